"""Security suite fixtures: a small world of organisations, ads, conversations and saved searches,
database snapshots ("nothing changed"), and the app with CSRF on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask, current_app

from marketplace.accounts import tokens
from marketplace.accounts.models import User
from marketplace.ads.models import Ad, AdKind
from marketplace.alerts import services as alert_services
from marketplace.alerts.models import Rhythm, SavedSearch
from marketplace.clock import today, utcnow
from marketplace.contact import services as contact_services
from marketplace.contact.models import Conversation
from marketplace.extensions import db
from marketplace.organisations import services as organisation_services
from marketplace.organisations import trust
from marketplace.organisations.models import (
    Invitation,
    JoinRequest,
    LegalForm,
    Membership,
    Organisation,
    PublicBodyDomain,
    Role,
    VerificationApplication,
)
from marketplace.partnerships import services as partnership_services
from marketplace.partnerships.models import Partnership
from marketplace.search.services import AdQuery
from tests import databases, factories

MESSAGE = "Hej! Vi har en lokal på lördagar och vill gärna hjälpa till med läxhjälpen."


@dataclass
class World:
    """Who is who in the security tests.

    `owner` administers `org` (which has `ad`); `colleague` is an ordinary member of it;
    `outsider` is a confirmed administrator of `other_org` (with `other_ad`) and a party to
    nothing of org's; `third` wrote to org about `ad` (the `conversation`); `admin` runs the site;
    `newcomer` has not confirmed their address yet; `invitee` was invited to join org.
    """

    org: Organisation
    owner: User
    owner_membership: Membership
    colleague: User
    colleague_membership: Membership
    ad: Ad
    other_org: Organisation
    outsider: User
    other_ad: Ad
    third_org: Organisation
    third: User
    conversation: Conversation
    saved_search: SavedSearch
    invitation: Invitation
    admin: User
    newcomer: User
    invitee: User
    moderator: User  # moderates county 01 (org, ad and the report are in 08)
    suspended: User
    report: object  # moderation.models.Report: third reported the ad
    hidden_ad: Ad  # org's ad that a moderator hid (its members may appeal)
    # Samverkansöverenskommelser between org and third_org (`conversation` has none yet): one
    # approved by both (about another ad of org's), one draft (org wrote about third's ad).
    agreement: Partnership
    draft: Partnership
    # Crisis mode: an active crisis in county 08 (declared by admin); org's crisis alerts are on
    # (`crisis_unsubscribe_token` turns them off); Kalmar län's regional Överenskommelse (08) with
    # third_org's claim to have signed it, awaiting confirmation.
    crisis: object  # crises.models.Crisis
    signatory: object  # agreements.models.Signatory

    # Signed links, valid for their intended user.
    confirm_token: str = ""
    reset_token: str = ""
    change_email_token: str = ""
    invitation_token: str = ""
    unsubscribe_token: str = ""
    crisis_unsubscribe_token: str = ""

    # Who is who (verification and join requests), filled in by _trust: `domain_member` is a plain
    # member of org whose address is on org's domain (KALMAR_DOMAIN) and who asked for the
    # `domain_proof_token`; `join_request` is a stranger's pending request to join org;
    # `rejected_application` is org's application that admin rejected (org may appeal it);
    # `pending_application` is third_org's (county 08), waiting for review; `verified_org` was
    # verified by review (a site administrator may revoke it); `added_domain` is an official
    # e-mail domain a site administrator added (and may remove).
    domain_member: User | None = None
    domain_proof_token: str = ""
    join_request: JoinRequest | None = None
    rejected_application: VerificationApplication | None = None
    pending_application: VerificationApplication | None = None
    verified_org: Organisation | None = None
    added_domain: PublicBodyDomain | None = None


def _build_world() -> World:
    org = factories.organisation(name="Kalmar Läxhjälp")
    owner = factories.member(org=org, name="Olle Ägare")
    colleague = factories.member(org=org, role=Role.MEMBER, name="Cilla Kollega")
    owner_membership, colleague_membership = (
        db.session.scalars(sa.select(Membership).where(Membership.user_id == person.id)).one()
        for person in (owner, colleague)
    )
    # Expires before a renewal's new date, so renewing it visibly changes it.
    ad = factories.ad(
        org=org, title="Vi söker partner för läxhjälp", expires_on=today() + timedelta(days=20)
    )
    other_org = factories.organisation(name="Främlingarnas förening")
    outsider = factories.member(org=other_org, name="Utomstående Uno")
    other_ad = factories.ad(org=other_org, kind=AdKind.OFFER, title="Vi erbjuder lokal")
    third_org = factories.organisation(name="Studieförbundet Norr")
    third = factories.member(org=third_org, name="Tredje Tea")
    message = contact_services.show_interest(third, third_org, ad, MESSAGE)
    conversation = db.session.get(Conversation, message.conversation_id)
    saved_search = alert_services.save_search(
        owner,
        name="Läxhjälp i Kalmar",
        rhythm=Rhythm.DAILY,
        query=AdQuery(text="läxhjälp", kinds=[AdKind.NEED], county="08"),
    )
    invitation = organisation_services.invite_member(org, owner, "ny.medlem@example.com")
    admin = factories.user(name="Sajt Admin", is_site_admin=True)
    newcomer = factories.user(confirmed=False, name="Nya Nils")
    invitee = factories.user(email=invitation.email, name="Inbjudna Inga")
    moderator, suspended, report = _moderation(admin, third, ad)
    hidden_ad = factories.ad(
        org=org,
        title="Dold annons om solglasögon",
        hidden_at=utcnow(),
        hidden_reason="Reklam, inte samverkan.",
    )
    agreement, draft = _partnerships(org, owner, third_org, third)
    crisis, signatory, crisis_unsubscribe_token = _crisis_mode(admin, org, third_org, third)
    world = World(
        org=org,
        owner=owner,
        owner_membership=owner_membership,
        colleague=colleague,
        colleague_membership=colleague_membership,
        ad=ad,
        other_org=other_org,
        outsider=outsider,
        other_ad=other_ad,
        third_org=third_org,
        third=third,
        conversation=conversation,
        saved_search=saved_search,
        invitation=invitation,
        admin=admin,
        newcomer=newcomer,
        invitee=invitee,
        moderator=moderator,
        suspended=suspended,
        report=report,
        hidden_ad=hidden_ad,
        agreement=agreement,
        draft=draft,
        crisis=crisis,
        signatory=signatory,
    )
    world.confirm_token = tokens.make(tokens.CONFIRM, {"id": newcomer.id, "email": newcomer.email})
    world.reset_token = tokens.make(
        tokens.RESET, {"id": owner.id, "fp": tokens.fingerprint(owner.password_hash, owner.email)}
    )
    world.change_email_token = tokens.make(
        tokens.CHANGE_EMAIL, {"id": owner.id, "from": owner.email, "to": "olle.ny@example.com"}
    )
    world.invitation_token = organisation_services.invitation_token(invitation)
    world.unsubscribe_token = alert_services.unsubscribe_token(saved_search)
    world.crisis_unsubscribe_token = crisis_unsubscribe_token
    _trust(world)
    return world


KALMAR_DOMAIN = "kalmarlaxhjalp.se"


def _application(org_number: str, contact: User) -> trust.ApplicationDetails:
    return trust.ApplicationDetails(
        org_number=org_number,
        legal_form=LegalForm.NONPROFIT_ASSOCIATION,
        document_url="https://example.org/stadgar.pdf",
        contact_name=contact.name,
        contact_email=contact.email,
    )


def _trust(world: World) -> None:
    """Verification and join requests (see the World's docstring)."""
    world.org.domains = KALMAR_DOMAIN
    db.session.commit()
    world.domain_member = factories.member(
        org=world.org, role=Role.MEMBER, name="Dora Domän", email=f"dora@{KALMAR_DOMAIN}"
    )
    # The link send_domain_proof mails (built here so the test need not read the mail).
    world.domain_proof_token = trust._proof_serializer().dumps(
        {
            "organisation": world.org.id,
            "user": world.domain_member.id,
            "email": world.domain_member.email,
        }
    )
    stranger = factories.user(name="Främmande Frida")
    world.join_request = trust.request_to_join(stranger, world.org, "Jag vill hjälpa till.")
    rejected = trust.submit_application(
        world.org, world.owner, _application("802002-8711", world.owner)
    )
    world.rejected_application = trust.decide_application(
        world.admin, rejected, False, "Stadgarna saknar styrelsens underskrifter."
    )
    world.pending_application = trust.submit_application(
        world.third_org, world.third, _application("802002-8711", world.third)
    )
    world.verified_org = factories.organisation(
        name="Verifierade Vänner", verified_at=utcnow(), verified_via="review"
    )
    world.added_domain = organisation_services.add_official_domain(
        world.admin, "kommun-0860", "hultsfred.se"
    )


def _moderation(admin: User, reporter: User, ad: Ad):
    """A county moderator (of 01), a suspended account, and a report about `ad`."""
    from marketplace.moderation import services as moderation_services
    from marketplace.moderation.models import ContentKind, ReportReason

    moderator = factories.user(name="Moderator Mona")
    moderation_services.assign_moderator(admin, moderator.email, "01")
    suspended = factories.user(name="Avstängda Anders")
    moderation_services.suspend_user(admin, suspended, "Skickade reklam till alla.")
    report = moderation_services.report_content(
        reporter, ContentKind.AD, ad, ReportReason.SPAM, "Det här är reklam, inte samverkan."
    )
    return moderator, suspended, report


def _partnerships(org, owner: User, third_org, third: User) -> tuple[Partnership, Partnership]:
    """An agreement both have approved (org's ad, third wrote) and a draft (org wrote to third)."""
    text = "Hej! Vi vill gärna samverka kring språkcaféet och skriva en överenskommelse."
    ad = factories.ad(org=org, title="Vi söker en partner till språkcaféet")
    message = contact_services.show_interest(third, third_org, ad, text)
    conversation = db.session.get(Conversation, message.conversation_id)
    agreement = partnership_services.start_partnership(owner, conversation)
    partnership_services.approve(owner, conversation, agreement, 1)
    partnership_services.approve(third, conversation, agreement, 1)
    offer = factories.ad(org=third_org, kind=AdKind.OFFER, title="Vi erbjuder samtalsledare")
    message = contact_services.show_interest(owner, org, offer, text)
    conversation = db.session.get(Conversation, message.conversation_id)
    draft = partnership_services.start_partnership(owner, conversation)
    return agreement, draft


def _crisis_mode(admin: User, org, third_org, third: User):
    """An active crisis in Kalmar län, org's crisis alert setting (on), and a pending signatory."""
    from marketplace.agreements import services as agreement_services
    from marketplace.crises import services as crisis_services

    crisis = crisis_services.declare_crisis(
        admin,
        name="Skogsbränder i Kalmar län",
        description="Stora bränder norr om Kalmar. Vi behöver frivilliga, mat och logi.",
        lead="Länsstyrelsen i Kalmar län",
        county_codes=["08"],
        nationwide=False,
        starts_on=today(),
        ends_on=today() + timedelta(days=30),
        challenge="crisis-preparedness",
    )
    setting = crisis_services.set_alerts(org, True)
    token = crisis_services.unsubscribe_token(setting)
    agreement_services.seed_agreements()
    signatory = agreement_services.claim(third, third_org, agreement_services.get_agreement("08"))
    return crisis, signatory, token


def build_world() -> World:
    """The world, in the current app's database.

    On SQLite, into an empty database, it is built once per app and process, and each later
    call gets a copy of the database it was built in, with the World's rows loaded afresh:
    building it (service calls, e-mails) took most of a security test's time. On PostgreSQL,
    or when the database already holds rows, it is built each time."""
    if db.engine.dialect.name != "sqlite" or not databases.is_empty():
        return _build_world()
    current = current_app._get_current_object()  # whose database the world goes into
    built = _built_worlds.get(id(current))
    if built is not None and built[0] is current:
        _app, copy, values = built
        databases.restore_sqlite(copy)
        world = object.__new__(World)
        world.__dict__.update(
            {
                name: db.session.get(value.model, value.key) if isinstance(value, _Row) else value
                for name, value in values.items()
            }
        )
        return world
    world = _build_world()
    values = {
        name: _Row.of(value) if isinstance(value, db.Model) else value
        for name, value in vars(world).items()
    }
    _built_worlds[id(current)] = (current, databases.copy_sqlite(), values)
    return world


@pytest.fixture
def world(app) -> World:
    return build_world()


@dataclass(frozen=True)
class _Row:
    """A World attribute that is a row: its model and primary key, to load it again."""

    model: type
    key: object

    @classmethod
    def of(cls, row) -> _Row:
        identity = sa.inspect(row).identity
        return cls(type(row), identity[0] if len(identity) == 1 else identity)


_built_worlds: dict[int, tuple[Flask, object, dict]] = {}


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order: two equal snapshots mean nothing changed."""
    db.session.rollback()  # see what the requests committed, not this session's cached view
    rows: dict[str, list[tuple]] = {}
    for table in db.metadata.sorted_tables:
        result = db.session.execute(sa.select(table))
        rows[table.name] = sorted((tuple(map(repr, row)) for row in result), key=repr)
    db.session.rollback()
    return rows


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


@pytest.fixture
def csrf_app(make_app) -> Flask:
    """The app as in production: CSRF protection on."""
    return make_app(WTF_CSRF_ENABLED=True)
