"""logos: organisation logos as WebP renditions in the database (marketplace/images)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 23:10:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('organisation_logo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('image', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_organisation_logo_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation_logo')),
    sa.UniqueConstraint('organisation_id', 'size', name=op.f('uq_organisation_logo_organisation_id'))
    )
    with op.batch_alter_table('organisation_logo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_logo_content_hash'), ['content_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_logo_organisation_id'), ['organisation_id'], unique=False)

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('logo_hash', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('logo_hash')

    with op.batch_alter_table('organisation_logo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_logo_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_organisation_logo_content_hash'))
    op.drop_table('organisation_logo')
