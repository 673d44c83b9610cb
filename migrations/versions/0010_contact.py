"""contact: direct conversations between two organisations, not tied to an ad

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 23:10:00

Every existing conversation is about an ad (kind 'ad', direct_pair NULL). A direct one has no
ad and no ad title; `direct_pair` ("<lower id>-<higher id>") is unique, so two organisations
have one direct thread whoever writes first, on SQLite and PostgreSQL alike.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.Enum('ad', 'direct', name='conversationkind', native_enum=False, length=16), server_default='ad', nullable=False))
        batch_op.add_column(sa.Column('direct_pair', sa.String(length=32), nullable=True))
        batch_op.alter_column('ad_title', existing_type=sa.String(length=120), nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_conversation_direct_pair'), ['direct_pair'])
        batch_op.create_check_constraint(
            op.f('ck_conversation_kind_fits'),
            "(kind = 'direct' AND direct_pair IS NOT NULL AND ad_id IS NULL AND ad_title IS NULL)"
            " OR (kind = 'ad' AND direct_pair IS NULL AND ad_title IS NOT NULL)",
        )


def downgrade():
    # Direct conversations cannot exist in the old schema (it needs an ad title): they go.
    op.execute("DELETE FROM conversation WHERE kind = 'direct'")
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_conversation_kind_fits'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_conversation_direct_pair'), type_='unique')
        batch_op.alter_column('ad_title', existing_type=sa.String(length=120), nullable=False)
        batch_op.drop_column('direct_pair')
        batch_op.drop_column('kind')
