"""partnerships: a conversation's Samverkansöverenskommelse, its versions and approvals

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 16:38:37

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('partnership',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], name=op.f('fk_partnership_conversation_id_conversation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['started_by_id'], ['user.id'], name=op.f('fk_partnership_started_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partnership')),
    sa.UniqueConstraint('conversation_id', name=op.f('uq_partnership_conversation_id'))
    )
    op.create_table('partnership_approval',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['approved_by_id'], ['user.id'], name=op.f('fk_partnership_approval_approved_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_partnership_approval_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_partnership_approval_partnership_id_partnership'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partnership_approval')),
    sa.UniqueConstraint('partnership_id', 'organisation_id', 'version', name=op.f('uq_partnership_approval_partnership_id'))
    )
    with op.batch_alter_table('partnership_approval', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partnership_approval_approved_by_id'), ['approved_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partnership_approval_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('partnership_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('section', sa.String(length=32), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_partnership_version_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_partnership_version_organisation_id_organisation'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_partnership_version_partnership_id_partnership'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partnership_version')),
    sa.UniqueConstraint('partnership_id', 'number', name=op.f('uq_partnership_version_partnership_id'))
    )
    with op.batch_alter_table('partnership_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partnership_version_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partnership_version_organisation_id'), ['organisation_id'], unique=False)



def downgrade():
    with op.batch_alter_table('partnership_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partnership_version_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_partnership_version_author_id'))

    op.drop_table('partnership_version')
    with op.batch_alter_table('partnership_approval', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partnership_approval_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_partnership_approval_approved_by_id'))

    op.drop_table('partnership_approval')
    op.drop_table('partnership')
