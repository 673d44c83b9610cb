"""Samverkansöverenskommelse use cases: start one, save a section, approve, record the outcome.

One shared document per conversation; every member of either organisation may read and edit
it. Each save is one section and one new version, written only on top of the version it was
based on: when someone else saved the same fields meanwhile, nothing is written and the caller
gets a Conflict with both texts (a change to other fields, or to other sections, is merged).
Approvals name the version approved, so any later change asks both parties again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from marketplace import reference
from marketplace.accounts.models import User
from marketplace.agreements.models import Agreement
from marketplace.clock import utcnow
from marketplace.contact import services as contact_services
from marketplace.contact.models import Conversation, Message
from marketplace.extensions import db
from marketplace.insights import outcomes as insights
from marketplace.insights.models import CollaborationForm, Outcome
from marketplace.notifications import services as notifications
from marketplace.organisations.models import Membership, Organisation, Sector
from marketplace.partnerships import iop, sections
from marketplace.partnerships.models import Partnership, PartnershipApproval, PartnershipVersion
from marketplace.partnerships.rules import clean_section
from marketplace.partnerships.sections import Field, Section
from marketplace.urls import external_url

SAVE_ATTEMPTS = 3  # a save that loses the race to another re-reads and tries again

# The outcome recorded in one step once both have approved: "IOP", or "Samverkan" for any
# other collaboration (the statistics count it under "Annat").
OUTCOME_FORMS = {"iop": CollaborationForm.IOP, "samverkan": CollaborationForm.OTHER}


class PartnershipError(Exception):
    """A rule said no; the message is for the user, in their language."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class Conflict(PartnershipError):
    """Someone else saved the same fields after the version the input was based on.

    `theirs` holds the saved text of the contested fields, `version` the newest version (a
    save based on it overwrites deliberately) and `saved_by` the version row that last
    changed them (who and when).
    """

    def __init__(
        self, theirs: dict[str, str], version: int, saved_by: PartnershipVersion | None
    ) -> None:
        super().__init__(_("Någon annan har ändrat samma text medan du skrev."))
        self.theirs = theirs
        self.version = version
        self.saved_by = saved_by


class StaleApproval(PartnershipError):
    """The approval was for a version that is no longer the newest."""


class NotApproved(PartnershipError):
    """The outcome can be recorded only once both parties have approved the current version."""


class OutcomeRefused(PartnershipError):
    """The ad is gone, or the person is not a member of the ad's organisation."""


@dataclass
class SaveResult:
    saved: bool  # False: nothing differed from what is stored
    version: int
    voided_approvals: bool = False  # the save asked both parties to approve again


@dataclass
class Approval:
    """One party's approval state, as the page shows it."""

    organisation: Organisation
    current: PartnershipApproval | None  # of the newest version
    earlier: PartnershipApproval | None  # the latest one of an older version, if any

    @property
    def approved(self) -> bool:
        return self.current is not None


@dataclass
class Document:
    """Everything the agreement's pages show, loaded in a handful of queries."""

    conversation: Conversation
    partnership: Partnership
    own: Organisation  # the party the user acts for
    other: Organisation
    parties: dict[str, Organisation]  # sections.AD_SIDE / INTERESTED_SIDE -> organisation
    values: dict[str, str]
    iop: iop.Result
    approvals: list[Approval]
    latest: PartnershipVersion | None
    public_body: Organisation | None  # a public-sector party: the document may become public
    outcome: Outcome | None
    may_record_outcome: bool  # the user is a member of the ad's organisation
    agreement_url: str | None  # the region's Överenskommelse on the site, if there is one
    iop_pair: bool  # one public and one idea-driven party, as an IOP needs

    @property
    def approved(self) -> bool:
        """Both parties have approved the current version."""
        return all(approval.approved for approval in self.approvals)

    @property
    def approved_by_own(self) -> bool:
        return any(a.approved and a.organisation.id == self.own.id for a in self.approvals)

    @property
    def version(self) -> int:
        return self.partnership.version

    def value(self, name: str) -> str:
        return self.values.get(name, "")

    def filled(self, section: Section) -> bool:
        return any(self.value(name) for name in section.names)


@dataclass
class HistoryEntry:
    version: PartnershipVersion
    fields: list[tuple[Field, str, str]] = field(default_factory=list)  # (field, old, new)

    @property
    def section(self) -> Section | None:
        return sections.SECTIONS_BY_KEY.get(self.version.section)


# --- Starting -------------------------------------------------------------------------------


def partnership_of(conversation: Conversation) -> Partnership | None:
    return db.session.scalar(
        sa.select(Partnership).where(Partnership.conversation_id == conversation.id)
    )


def _last_writer(conversation: Conversation, organisation_id: int) -> str:
    """The name of the person who last wrote for the organisation in the conversation."""
    return (
        db.session.scalar(
            sa.select(User.name)
            .join(Message, Message.author_id == User.id)
            .where(
                Message.conversation_id == conversation.id,
                Message.organisation_id == organisation_id,
            )
            .order_by(Message.id.desc())
            .limit(1)
        )
        or ""
    )


def prefilled(conversation: Conversation, starter: User, starter_side: str) -> dict[str, str]:
    """A new document: every field empty but the parties and the ad's challenges."""
    content = dict.fromkeys(sections.FIELDS, "")
    parties = {
        sections.AD_SIDE: conversation.ad_organisation,
        sections.INTERESTED_SIDE: conversation.interested_organisation,
    }
    for side, organisation in parties.items():
        content[f"{side}_name"] = organisation.name
        content[f"{side}_org_number"] = organisation.org_number or ""
        contact = starter.name if side == starter_side else ""
        content[f"{side}_contact"] = contact or _last_writer(conversation, organisation.id)
    ad = conversation.ad
    if ad is not None:
        names = [
            reference.challenges()[slug].name
            for slug in ad.challenge_slugs
            if slug in reference.challenges()
        ]
        content["challenges"] = ", ".join(names)
    return content


def _side_of(conversation: Conversation, organisation_id: int) -> str:
    if organisation_id == conversation.ad_organisation_id:
        return sections.AD_SIDE
    return sections.INTERESTED_SIDE


def start_partnership(user: User, conversation: Conversation) -> Partnership:
    """The conversation's agreement: a new, pre-filled one (version 1), or the one that exists.

    :raise contact_services.NotParticipant: the user belongs to neither organisation.
    """
    organisation_id = contact_services.sending_organisation_id(user, conversation)
    existing = partnership_of(conversation)
    if existing is not None:
        return existing
    now = utcnow()
    content = prefilled(conversation, user, _side_of(conversation, organisation_id))
    partnership = Partnership(
        conversation_id=conversation.id,
        content=content,
        version=1,
        started_by_id=user.id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(partnership)
    db.session.flush()
    db.session.add(
        PartnershipVersion(
            partnership_id=partnership.id,
            number=1,
            section="start",
            changes={},
            author_id=user.id,
            organisation_id=organisation_id,
            created_at=now,
        )
    )
    _tell_other_party(
        conversation, organisation_id, user, "started", key=f"started:{partnership.id}"
    )
    try:
        db.session.commit()
    except IntegrityError:
        # Both parties pressed "start" at once: the other request made it a moment ago.
        db.session.rollback()
        started = partnership_of(conversation)
        if started is None:
            raise
        return started
    return partnership


# --- Saving a section -------------------------------------------------------------------------


def _versions_since(partnership_id: int, base: int) -> list[PartnershipVersion]:
    return list(
        db.session.scalars(
            sa.select(PartnershipVersion)
            .where(
                PartnershipVersion.partnership_id == partnership_id,
                PartnershipVersion.number > base,
            )
            .options(so.joinedload(PartnershipVersion.author))
            .order_by(PartnershipVersion.number)
        )
    )


def _approved_before(partnership: Partnership) -> bool:
    return (
        db.session.scalar(
            sa.select(PartnershipApproval.id)
            .where(
                PartnershipApproval.partnership_id == partnership.id,
                PartnershipApproval.version == partnership.version,
            )
            .limit(1)
        )
        is not None
    )


def save_section(
    author: User,
    conversation: Conversation,
    partnership: Partnership,
    key: str,
    raw: Mapping[str, str | None],
    base_version: int,
) -> SaveResult:
    """Save one section as a new version, on top of `base_version` (the version the author saw).

    A field someone else changed after `base_version` keeps their text if the author left it
    as it was, and is a conflict if the author changed it too.

    :raise contact_services.NotParticipant: the author belongs to neither organisation.
    :raise rules.InvalidSection: a field breaks its rule; nothing is saved.
    :raise Conflict: someone else saved the same fields meanwhile; nothing is saved.
    """
    section = sections.SECTIONS_BY_KEY[key]
    organisation_id = contact_services.sending_organisation_id(author, conversation)
    cleaned = clean_section(section, raw)
    for _attempt in range(SAVE_ATTEMPTS):
        result = _try_save(author, organisation_id, partnership, section, cleaned, base_version)
        if result is not None:
            return result
        db.session.rollback()  # another save won the race: look again at what it wrote
        db.session.refresh(partnership)
    versions = _versions_since(partnership.id, base_version)
    raise Conflict(
        {name: partnership.content.get(name, "") for name in cleaned},
        partnership.version,
        versions[-1] if versions else None,
    )


def _try_save(
    author: User,
    organisation_id: int,
    partnership: Partnership,
    section: Section,
    cleaned: dict[str, str],
    base_version: int,
) -> SaveResult | None:
    """One attempt; None when another save got in between reading and writing."""
    current = dict(partnership.content or {})
    version = partnership.version
    base_version = min(max(base_version, 1), version)
    changed_since: dict[str, str] = {}  # field -> its text at base_version
    last_change: dict[str, PartnershipVersion] = {}
    if base_version < version:
        for row in _versions_since(partnership.id, base_version):
            for name, (old, _new) in (row.changes or {}).items():
                changed_since.setdefault(name, old)
                last_change[name] = row
    to_write: dict[str, str] = {}
    contested: dict[str, str] = {}
    for name, value in cleaned.items():
        stored = current.get(name, "")
        if value == stored:
            continue
        if name in changed_since:
            if value == changed_since[name]:
                continue  # the author left it as it was: the other person's text stays
            contested[name] = stored
            continue
        to_write[name] = value
    if contested:
        newest = max((last_change[name] for name in contested), key=lambda row: row.number)
        raise Conflict(contested, version, newest)
    if not to_write:
        return SaveResult(saved=False, version=version)
    voided = _approved_before(partnership)
    now = utcnow()
    new_version = version + 1
    written = db.session.execute(
        sa.update(Partnership)
        .where(Partnership.id == partnership.id, Partnership.version == version)
        .values(content={**current, **to_write}, version=new_version, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if written.rowcount != 1:
        return None
    db.session.add(
        PartnershipVersion(
            partnership_id=partnership.id,
            number=new_version,
            section=section.key,
            changes={name: [current.get(name, ""), value] for name, value in to_write.items()},
            author_id=author.id,
            organisation_id=organisation_id,
            created_at=now,
        )
    )
    if voided:
        # The first change to an approved version: the other party must approve again.
        _tell_other_party(
            partnership.conversation,
            organisation_id,
            author,
            "reopened",
            key=f"reopened:{partnership.id}:{new_version}",
            version=new_version,
        )
    try:
        db.session.commit()
    except IntegrityError:
        return None
    db.session.refresh(partnership)
    return SaveResult(saved=True, version=new_version, voided_approvals=voided)


# --- Approving and the outcome ----------------------------------------------------------------


def approve(user: User, conversation: Conversation, partnership: Partnership, version: int) -> None:
    """Approve the version the user saw, for the organisation they act for (once per version).

    :raise contact_services.NotParticipant: the user belongs to neither organisation.
    :raise StaleApproval: the document has changed since that version.
    """
    organisation_id = contact_services.sending_organisation_id(user, conversation)
    if version != partnership.version:
        raise StaleApproval(
            _(
                "Överenskommelsen har ändrats sedan du öppnade den (nu version %(version)s). "
                "Läs igenom den och godkänn igen.",
                version=partnership.version,
            )
        )
    done = db.session.scalar(
        sa.select(PartnershipApproval.id).where(
            PartnershipApproval.partnership_id == partnership.id,
            PartnershipApproval.organisation_id == organisation_id,
            PartnershipApproval.version == version,
        )
    )
    if done is not None:
        return  # a second click
    db.session.add(
        PartnershipApproval(
            partnership_id=partnership.id,
            organisation_id=organisation_id,
            version=version,
            approved_by_id=user.id,
            approved_at=utcnow(),
        )
    )
    other_approved = db.session.scalar(
        sa.select(PartnershipApproval.id).where(
            PartnershipApproval.partnership_id == partnership.id,
            PartnershipApproval.organisation_id != organisation_id,
            PartnershipApproval.version == version,
        )
    )
    _tell_other_party(
        conversation,
        organisation_id,
        user,
        "agreed" if other_approved is not None else "approved",
        key=f"approved:{partnership.id}:{version}:{organisation_id}",
        version=version,
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # two clicks at once: the other one approved it


def record_outcome(
    user: User, conversation: Conversation, partnership: Partnership, form: str
) -> Outcome:
    """Report the ad's outcome as collaboration with the other party, as "IOP" or "Samverkan".

    :raise NotApproved: both parties have not approved the current version.
    :raise OutcomeRefused: the ad is deleted, or the user is not in the ad's organisation.
    :raise insights.InvalidOutcome: an unknown form.
    """
    if not all(state.approved for state in approvals(conversation, partnership)):
        raise NotApproved(
            _("Båda parter behöver godkänna den senaste versionen innan resultatet registreras.")
        )
    ad = conversation.ad
    if conversation.is_direct:
        raise OutcomeRefused(
            _("Konversationen gäller ingen annons, så det finns inget resultat att registrera.")
        )
    if ad is None:
        raise OutcomeRefused(_("Annonsen är borttagen, så resultatet kan inte registreras."))
    if user.id not in _member_ids(conversation.ad_organisation_id):
        raise OutcomeRefused(
            _(
                "Bara medlemmar i %(organisation)s kan registrera annonsens resultat.",
                organisation=conversation.ad_organisation.name,
            )
        )
    chosen = OUTCOME_FORMS.get(form)
    if chosen is None:
        raise insights.InvalidOutcome({"form": _("Välj IOP eller samverkan.")})
    return insights.record_outcome(
        ad,
        user,
        collaborated=True,
        form=chosen,
        partner_organisation_id=conversation.interested_organisation_id,
    )


def _tell_other_party(
    conversation: Conversation,
    organisation_id: int,
    author: User,
    event: str,
    *,
    key: str,
    version: int | None = None,
) -> None:
    """E-mail the other organisation's members that the agreement was started, approved by
    this side ("approved", or "agreed" when theirs was already in), or changed after an
    approval ("reopened": it needs their approval again). Ordinary saves mail nobody: a draft
    is edited many times, and the conversation is where people talk about it.

    Queued in the caller's transaction, so the mail goes only if the change is committed; the
    key makes a repeated event (a double click) mail once.
    """
    if organisation_id == conversation.ad_organisation_id:
        sender, recipient = conversation.ad_organisation, conversation.interested_organisation
    else:
        sender, recipient = conversation.interested_organisation, conversation.ad_organisation
    notifications.email_members(
        recipient.id,
        key=f"partnership-{key}",
        template="partnership_update",
        headers=notifications.AUTOMATIC,
        besides=author.id,
        event=event,
        version=version,
        sender_organisation=sender.name,
        recipient_organisation=recipient.name,
        author_name=author.name,
        title=conversation.title or "",
        direct=conversation.is_direct,  # no ad to name: the e-mail says "er direktkontakt"
        agreement_url=external_url("partnerships.detail", conversation_id=conversation.id),
    )


def _member_ids(organisation_id: int) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(Membership.user_id).where(Membership.organisation_id == organisation_id)
        )
    )


# --- Reading ----------------------------------------------------------------------------------


def approvals(conversation: Conversation, partnership: Partnership) -> list[Approval]:
    """Each party's approval of the current version, and its latest earlier one (ad side first)."""
    rows = db.session.scalars(
        sa.select(PartnershipApproval)
        .where(PartnershipApproval.partnership_id == partnership.id)
        .options(so.joinedload(PartnershipApproval.approved_by))
        .order_by(PartnershipApproval.version)
    ).all()
    states = []
    for organisation in (conversation.ad_organisation, conversation.interested_organisation):
        own = [row for row in rows if row.organisation_id == organisation.id]
        current = next((row for row in own if row.version == partnership.version), None)
        earlier = [row for row in own if row.version < partnership.version]
        states.append(Approval(organisation, current, earlier[-1] if earlier else None))
    return states


def public_party(conversation: Conversation) -> Organisation | None:
    """The public body among the two parties (the ad's first), if there is one."""
    for party in (conversation.ad_organisation, conversation.interested_organisation):
        if party.sector is Sector.PUBLIC:
            return party
    return None


def agreement_page_url(county_code: str | None) -> str | None:
    """The region's Överenskommelse page on the site (/overenskommelser/<county code>), when the
    region has one registered (marketplace.agreements); else None and the IOP check names the
    Överenskommelse without a link."""
    if not county_code or db.session.get(Agreement, county_code) is None:
        return None
    return external_url("agreements.detail", code=county_code)  # the PDF's link too


def document(user: User, conversation: Conversation, partnership: Partnership) -> Document:
    """The agreement as the user sees it.

    :raise contact_services.NotParticipant: the user belongs to neither organisation.
    """
    own_id = contact_services.sending_organisation_id(user, conversation)
    parties = {
        sections.AD_SIDE: conversation.ad_organisation,
        sections.INTERESTED_SIDE: conversation.interested_organisation,
    }
    own = parties[_side_of(conversation, own_id)]
    other = conversation.other_organisation(own_id)
    values = dict.fromkeys(sections.FIELDS, "") | dict(partnership.content or {})
    public = [party for party in parties.values() if party.sector is Sector.PUBLIC]
    civil = [party for party in parties.values() if party.sector is Sector.CIVIL]
    latest = db.session.scalar(
        sa.select(PartnershipVersion)
        .where(PartnershipVersion.partnership_id == partnership.id)
        .options(so.joinedload(PartnershipVersion.author))
        .order_by(PartnershipVersion.number.desc())
        .limit(1)
    )
    county = public[0].county_code if public else conversation.ad_organisation.county_code
    outcome = insights.get_outcome(conversation.ad) if conversation.ad is not None else None
    return Document(
        conversation=conversation,
        partnership=partnership,
        own=own,
        other=other,
        parties=parties,
        values=values,
        iop=iop.assess(values),
        approvals=approvals(conversation, partnership),
        latest=latest,
        public_body=public[0] if public else None,
        outcome=outcome,
        may_record_outcome=conversation.ad is not None
        and user.id in _member_ids(conversation.ad_organisation_id),
        agreement_url=agreement_page_url(county),
        iop_pair=bool(public) and bool(civil),
    )


def history(partnership: Partnership) -> list[HistoryEntry]:
    """Every version, newest first, with each changed field's old and new text."""
    rows = db.session.scalars(
        sa.select(PartnershipVersion)
        .where(PartnershipVersion.partnership_id == partnership.id)
        .options(
            so.joinedload(PartnershipVersion.author),
            so.joinedload(PartnershipVersion.organisation),
        )
        .order_by(PartnershipVersion.number.desc())
    ).all()
    entries = []
    for row in rows:
        changed = [
            (sections.FIELDS[name], old, new)
            for name, (old, new) in (row.changes or {}).items()
            if name in sections.FIELDS
        ]
        order = list(sections.FIELDS)
        changed.sort(key=lambda item: order.index(item[0].name))
        entries.append(HistoryEntry(row, changed))
    return entries
