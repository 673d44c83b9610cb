"""crises and the regional Överenskommelser: crisis, its counties, ad.crisis_id, crisis alert
settings and ledgers, agreement and agreement_signatory, seeded with the four public agreements

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 20:30:00

SQLite: adding and dropping ad.crisis_id with its foreign key copies the ad table (batch mode),
after which the full-text triggers are made again; seconds for 100,000 ads.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# The public agreements at this revision (marketplace/agreements/services.py SEED has the same).
SEED = [
    {"county_code": "12", "name": "Överenskommelsen i Skåne", "signed_year": 2010,
     "summary": "Region Skånes överenskommelse med den idéburna sektorn i Skåne om samverkan och dialog, den första regionala överenskommelsen i Sverige.",
     "partners": "Idéburen sektor i Skåne", "url": ""},
    {"county_code": "14", "name": "Överenskommelse om samverkan mellan Västra Götalandsregionen och idéburen sektor", "signed_year": 2014,
     "summary": "Västra Götalandsregionens överenskommelse med den idéburna sektorn om hur de samverkar, till exempel i vård, kultur och regional utveckling.",
     "partners": "Idéburen sektor i Västra Götaland", "url": ""},
    {"county_code": "05", "name": "Överenskommelse mellan Region Östergötland och idéburen sektor", "signed_year": 2018,
     "summary": "Region Östergötlands överenskommelse med den idéburna sektorn i länet om samverkan, dialog och långsiktiga förutsättningar.",
     "partners": "Idéburen sektor i Östergötland", "url": ""},
    {"county_code": "08", "name": "Överenskommelse mellan Region Kalmar län och idéburen sektor", "signed_year": 2021,
     "summary": "Region Kalmar läns överenskommelse med den idéburna sektorn, tecknad tillsammans med Idéburna Nätverket Kalmar län.",
     "partners": "Idéburna Nätverket Kalmar län", "url": ""},
]

SQLITE_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS fts_ad_after_insert AFTER INSERT ON ad BEGIN "
    "INSERT INTO fts_ad (rowid, terms) VALUES (new.id, new.search_terms); END",
    "CREATE TRIGGER IF NOT EXISTS fts_ad_after_update AFTER UPDATE OF search_terms ON ad BEGIN "
    "DELETE FROM fts_ad WHERE rowid = old.id; "
    "INSERT INTO fts_ad (rowid, terms) VALUES (new.id, new.search_terms); END",
    "CREATE TRIGGER IF NOT EXISTS fts_ad_after_delete AFTER DELETE ON ad BEGIN "
    "DELETE FROM fts_ad WHERE rowid = old.id; END",
)


def upgrade():
    op.create_table('crisis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('lead', sa.String(length=200), nullable=False),
    sa.Column('nationwide', sa.Boolean(), nullable=False),
    sa.Column('challenge', sa.String(length=40), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('last_digest_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_crisis_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crisis')),
    sa.UniqueConstraint('slug', name=op.f('uq_crisis_slug'))
    )
    with op.batch_alter_table('crisis', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crisis_ends_on'), ['ends_on'], unique=False)

    op.create_table('crisis_county',
    sa.Column('crisis_id', sa.Integer(), nullable=False),
    sa.Column('county_code', sa.String(length=2), nullable=False),
    sa.ForeignKeyConstraint(['crisis_id'], ['crisis.id'], name=op.f('fk_crisis_county_crisis_id_crisis'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('crisis_id', 'county_code', name=op.f('pk_crisis_county'))
    )
    with op.batch_alter_table('crisis_county', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crisis_county_county_code'), ['county_code'], unique=False)

    op.create_table('crisis_alert_setting',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('unsubscribe_nonce', sa.String(length=24), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_crisis_alert_setting_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_crisis_alert_setting'))
    )
    op.create_table('crisis_alert',
    sa.Column('crisis_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['crisis_id'], ['crisis.id'], name=op.f('fk_crisis_alert_crisis_id_crisis'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_crisis_alert_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('crisis_id', 'organisation_id', name=op.f('pk_crisis_alert'))
    )
    with op.batch_alter_table('crisis_alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crisis_alert_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('crisis_alert_ad',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('ad_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ad_id'], ['ad.id'], name=op.f('fk_crisis_alert_ad_ad_id_ad'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_crisis_alert_ad_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organisation_id', 'ad_id', name=op.f('pk_crisis_alert_ad'))
    )
    with op.batch_alter_table('crisis_alert_ad', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crisis_alert_ad_ad_id'), ['ad_id'], unique=False)

    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a table-level foreign key only by copying the table (batch mode); the copy
        # has none of the full-text triggers, so they are made again (fts_ad keeps its rows:
        # the ids do not change).
        with op.batch_alter_table('ad', schema=None) as batch_op:
            batch_op.add_column(sa.Column('crisis_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(batch_op.f('fk_ad_crisis_id_crisis'), 'crisis', ['crisis_id'], ['id'], ondelete='SET NULL')
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    else:
        op.add_column('ad', sa.Column('crisis_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_ad_crisis_id_crisis'), 'ad', 'crisis', ['crisis_id'], ['id'], ondelete='SET NULL')
    op.create_index(op.f('ix_ad_crisis_id'), 'ad', ['crisis_id'], unique=False)

    agreement = op.create_table('agreement',
    sa.Column('county_code', sa.String(length=2), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('signed_year', sa.Integer(), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('url', sa.String(length=300), nullable=False),
    sa.Column('partners', sa.String(length=300), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_agreement_updated_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('county_code', name=op.f('pk_agreement'))
    )
    op.create_table('agreement_signatory',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('county_code', sa.String(length=2), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('claimed_by_id', sa.Integer(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['claimed_by_id'], ['user.id'], name=op.f('fk_agreement_signatory_claimed_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['user.id'], name=op.f('fk_agreement_signatory_confirmed_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['county_code'], ['agreement.county_code'], name=op.f('fk_agreement_signatory_county_code_agreement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_agreement_signatory_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_signatory')),
    sa.UniqueConstraint('county_code', 'organisation_id', name=op.f('uq_agreement_signatory_county_code'))
    )
    with op.batch_alter_table('agreement_signatory', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_signatory_confirmed_at'), ['confirmed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreement_signatory_county_code'), ['county_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreement_signatory_organisation_id'), ['organisation_id'], unique=False)

    from datetime import datetime, timezone

    now = datetime.now(timezone.utc).replace(tzinfo=None)
    op.bulk_insert(agreement, [dict(row, updated_at=now, signed_on=None) for row in SEED])


def downgrade():
    op.drop_table('agreement_signatory')
    op.drop_table('agreement')
    op.drop_index(op.f('ix_ad_crisis_id'), table_name='ad')
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('ad', schema=None) as batch_op:
            batch_op.drop_column('crisis_id')
        for statement in SQLITE_TRIGGERS:  # the copied table has none
            op.execute(statement)
    else:
        op.drop_column('ad', 'crisis_id')
    op.drop_table('crisis_alert_ad')
    op.drop_table('crisis_alert')
    op.drop_table('crisis_alert_setting')
    op.drop_table('crisis_county')
    op.drop_table('crisis')
