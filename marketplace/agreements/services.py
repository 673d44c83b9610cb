"""The regional Överenskommelser: pages, editing, signatories (claim and confirm), figures.

Who may do what:
* Anyone reads /overenskommelser and each region's page.
* Site administrators, and the administrators of the region itself (a *verified* organisation
  with legal form "region" in the county; Organisation.verified_at, set by Samverkanstorget),
  edit the agreement's name, date, summary and link.
* Any member of an organisation states that it has signed its region's agreement; the region's
  verified administrators, the county's moderators or a site administrator confirm (or turn
  down) it. Only confirmed signatories get the badge, the filters and the agreement page's list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from marketplace import reference
from marketplace.accounts.models import User
from marketplace.agreements.models import Agreement, Signatory
from marketplace.clock import utcnow
from marketplace.contact.models import Conversation
from marketplace.extensions import db
from marketplace.insights.models import Outcome
from marketplace.moderation import services as moderation
from marketplace.organisations.models import LegalForm, Membership, Organisation, Role, Sector
from marketplace.text import clean_text, one_line

NAME_MAX_LENGTH = 200
SUMMARY_MAX_LENGTH = 3000
URL_MAX_LENGTH = 300
FIRST_YEAR = 2000  # the national Överenskommelse is from 2008; none is older

# What is public about the first regional agreements (migration 0007 seeds the same rows).
SEED = [
    {
        "county_code": "12",
        "name": "Överenskommelsen i Skåne",
        "signed_year": 2010,
        "summary": "Region Skånes överenskommelse med den idéburna sektorn i Skåne om samverkan och dialog, den första regionala överenskommelsen i Sverige.",
        "partners": "Idéburen sektor i Skåne",
    },
    {
        "county_code": "14",
        "name": "Överenskommelse om samverkan mellan Västra Götalandsregionen och idéburen sektor",
        "signed_year": 2014,
        "summary": "Västra Götalandsregionens överenskommelse med den idéburna sektorn om hur de samverkar, till exempel i vård, kultur och regional utveckling.",
        "partners": "Idéburen sektor i Västra Götaland",
    },
    {
        "county_code": "05",
        "name": "Överenskommelse mellan Region Östergötland och idéburen sektor",
        "signed_year": 2018,
        "summary": "Region Östergötlands överenskommelse med den idéburna sektorn i länet om samverkan, dialog och långsiktiga förutsättningar.",
        "partners": "Idéburen sektor i Östergötland",
    },
    {
        "county_code": "08",
        "name": "Överenskommelse mellan Region Kalmar län och idéburen sektor",
        "signed_year": 2021,
        "summary": "Region Kalmar läns överenskommelse med den idéburna sektorn, tecknad tillsammans med Idéburna Nätverket Kalmar län.",
        "partners": "Idéburna Nätverket Kalmar län",
    },
]


class AgreementError(Exception):
    """A rule said no; `errors` maps form fields to messages in the user's language."""

    def __init__(self, errors: dict[str, str] | str) -> None:
        self.errors = errors if isinstance(errors, dict) else {"": errors}
        super().__init__("; ".join(self.errors.values()))


class NotAllowed(AgreementError):
    """The actor may not do this (views answer 403)."""


def seed_agreements() -> int:
    """Add the public agreements that are missing (the demo and tests; production has them from
    migration 0007). Returns how many were added."""
    have = set(db.session.scalars(sa.select(Agreement.county_code)))
    added = [Agreement(**row) for row in SEED if row["county_code"] not in have]
    db.session.add_all(added)
    db.session.commit()
    return len(added)


def all_agreements() -> list[Agreement]:
    return list(db.session.scalars(sa.select(Agreement).order_by(Agreement.county_code)))


def get_agreement(county_code: str) -> Agreement | None:
    if county_code not in reference.counties():
        return None
    return db.session.get(Agreement, county_code)


# --- Who may do what ----------------------------------------------------------------------------


def _region_admin(user: User, county_code: str) -> bool:
    """An administrator of the verified region organisation of the county."""
    return (
        db.session.scalar(
            sa.select(Membership.id)
            .join(Organisation, Organisation.id == Membership.organisation_id)
            .where(
                Membership.user_id == user.id,
                Membership.role == Role.ADMIN,
                Organisation.legal_form == LegalForm.REGION,
                Organisation.county_code == county_code,
                Organisation.verified_at.is_not(None),
                Organisation.hidden_at.is_(None),
            )
            .limit(1)
        )
        is not None
    )


def _signed_in(user: User | None) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def may_edit(user: User | None, county_code: str) -> bool:
    if not _signed_in(user):
        return False
    return bool(user.is_site_admin or _region_admin(user, county_code))


def may_confirm(user: User | None, county_code: str) -> bool:
    if not _signed_in(user):
        return False
    return bool(
        user.is_site_admin
        or county_code in moderation.moderated_counties(user)
        or _region_admin(user, county_code)
    )


# --- Editing ------------------------------------------------------------------------------------


@dataclass
class AgreementFields:
    name: str
    signed_year: int
    signed_on: date | None
    summary: str
    url: str
    partners: str


def validate_fields(
    *,
    name: str,
    signed_year: int | None,
    signed_on: date | None,
    summary: str,
    url: str,
    partners: str,
) -> AgreementFields:
    errors: dict[str, str] = {}
    name = one_line(name)
    if not name:
        errors["name"] = _("Skriv överenskommelsens namn.")
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = _("Högst %(max)s tecken.", max=NAME_MAX_LENGTH)
    this_year = utcnow().year
    if signed_year is None or not FIRST_YEAR <= signed_year <= this_year:
        errors["signed_year"] = _(
            "Ange året då den undertecknades (%(first)s–%(last)s).",
            first=FIRST_YEAR,
            last=this_year,
        )
    elif signed_on is not None and signed_on.year != signed_year:
        errors["signed_on"] = _("Datumet ska vara samma år som året ovan.")
    summary = clean_text(summary)
    if len(summary) > SUMMARY_MAX_LENGTH:
        errors["summary"] = _("Högst %(max)s tecken.", max=SUMMARY_MAX_LENGTH)
    url = (url or "").strip()
    if url and (
        not url.startswith(("https://", "http://")) or len(url) > URL_MAX_LENGTH or " " in url
    ):
        errors["url"] = _("Skriv en hel webbadress som börjar med https://.")
    partners = one_line(partners)[:300]
    if errors:
        raise AgreementError(errors)
    return AgreementFields(name, signed_year, signed_on, summary, url, partners)  # type: ignore[arg-type]


def save_agreement(actor: User, county_code: str, **fields) -> Agreement:
    """Create or update the county's agreement.

    :raise NotAllowed: neither a site administrator nor the region's verified administrator.
    :raise AgreementError: one message per broken field.
    """
    if county_code not in reference.counties() or not may_edit(actor, county_code):
        raise NotAllowed(
            _(
                "Bara administratörer och regionens verifierade administratörer kan ändra överenskommelsen."
            )
        )
    checked = validate_fields(**fields)
    agreement = db.session.get(Agreement, county_code) or Agreement(county_code=county_code)
    agreement.name = checked.name
    agreement.signed_year = checked.signed_year
    agreement.signed_on = checked.signed_on
    agreement.summary = checked.summary
    agreement.url = checked.url
    agreement.partners = checked.partners
    agreement.updated_by_id = actor.id
    db.session.add(agreement)
    db.session.commit()
    return agreement


# --- Signatories --------------------------------------------------------------------------------


def signatories(county_code: str, *, confirmed: bool) -> list[Signatory]:
    condition = (
        Signatory.confirmed_at.is_not(None) if confirmed else Signatory.confirmed_at.is_(None)
    )
    return list(
        db.session.scalars(
            sa.select(Signatory)
            .join(Organisation, Organisation.id == Signatory.organisation_id)
            .where(
                Signatory.county_code == county_code, condition, Organisation.hidden_at.is_(None)
            )
            .options(so.contains_eager(Signatory.organisation))
            .order_by(sa.func.lower(Organisation.name), Organisation.id)
        )
    )


def claim_of(organisation: Organisation | None, county_code: str) -> Signatory | None:
    if organisation is None:
        return None
    return db.session.scalar(
        sa.select(Signatory).where(
            Signatory.county_code == county_code, Signatory.organisation_id == organisation.id
        )
    )


def claim(user: User, organisation: Organisation, agreement: Agreement) -> Signatory:
    """'Vi har undertecknat Överenskommelsen': the organisation's claim, awaiting confirmation.

    :raise NotAllowed: the user is not a member of the organisation.
    :raise AgreementError: the organisation has claimed it already.
    """
    is_member = db.session.scalar(
        sa.select(Membership.id).where(
            Membership.user_id == user.id, Membership.organisation_id == organisation.id
        )
    )
    if is_member is None:
        raise NotAllowed(_("Du är inte medlem i organisationen."))
    if claim_of(organisation, agreement.county_code) is not None:
        raise AgreementError(_("Organisationen har redan anmält att den har undertecknat."))
    signatory = Signatory(
        county_code=agreement.county_code, organisation_id=organisation.id, claimed_by_id=user.id
    )
    db.session.add(signatory)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # a double click: the first one counted
        db.session.rollback()
        raise AgreementError(
            _("Organisationen har redan anmält att den har undertecknat.")
        ) from None
    return signatory


def get_signatory(county_code: str, signatory_id: int) -> Signatory | None:
    signatory = db.session.get(Signatory, signatory_id)
    if signatory is None or signatory.county_code != county_code:
        return None
    return signatory


def confirm(actor: User, signatory: Signatory) -> Signatory:
    """:raise NotAllowed: the actor may not confirm signatories of this agreement."""
    if not may_confirm(actor, signatory.county_code):
        raise NotAllowed(_("Du kan inte bekräfta undertecknare av den här överenskommelsen."))
    if signatory.confirmed_at is None:
        signatory.confirmed_at = utcnow()
        signatory.confirmed_by_id = actor.id
        db.session.commit()
    return signatory


def reject(actor: User, signatory: Signatory) -> None:
    """Turn a claim down (or withdraw a confirmation): the row goes.

    :raise NotAllowed: the actor may not confirm signatories of this agreement.
    """
    if not may_confirm(actor, signatory.county_code):
        raise NotAllowed(_("Du kan inte bekräfta undertecknare av den här överenskommelsen."))
    db.session.delete(signatory)
    db.session.commit()


def confirmed_counties(organisation_id: int) -> list[str]:
    """The counties whose agreement the organisation has signed (confirmed): the API's field."""
    return list(
        db.session.scalars(
            sa.select(Signatory.county_code)
            .where(
                Signatory.organisation_id == organisation_id, Signatory.confirmed_at.is_not(None)
            )
            .order_by(Signatory.county_code)
        )
    )


def confirmed_map(organisation_ids) -> dict[int, list[str]]:
    """Organisation id -> confirmed county codes, for a page of organisations (one query)."""
    ids = list(set(organisation_ids))
    result: dict[int, list[str]] = {}
    if not ids:
        return result
    for organisation_id, code in db.session.execute(
        sa.select(Signatory.organisation_id, Signatory.county_code)
        .where(Signatory.organisation_id.in_(ids), Signatory.confirmed_at.is_not(None))
        .order_by(Signatory.county_code)
    ):
        result.setdefault(organisation_id, []).append(code)
    return result


# --- Figures ------------------------------------------------------------------------------------


@dataclass
class CountyFigures:
    county_code: str
    agreement: Agreement
    signatories: int
    conversations: int  # collaborations started between signatories and the region's public bodies
    outcomes: int  # reported collaborations between them


def figures() -> list[CountyFigures]:
    """Per county with an agreement: its signatories, and the conversations and reported
    collaborations between them and public bodies in the county."""
    result = []
    for agreement in all_agreements():
        code = agreement.county_code
        signed = sa.select(Signatory.organisation_id).where(
            Signatory.county_code == code, Signatory.confirmed_at.is_not(None)
        )
        public = sa.select(Organisation.id).where(
            Organisation.sector == Sector.PUBLIC, Organisation.county_code == code
        )
        count = db.session.scalar(sa.select(sa.func.count()).select_from(signed.subquery())) or 0
        conversations = db.session.scalar(
            sa.select(sa.func.count(Conversation.id)).where(
                sa.or_(
                    sa.and_(
                        Conversation.ad_organisation_id.in_(signed),
                        Conversation.interested_organisation_id.in_(public),
                    ),
                    sa.and_(
                        Conversation.interested_organisation_id.in_(signed),
                        Conversation.ad_organisation_id.in_(public),
                    ),
                )
            )
        )
        outcomes = db.session.scalar(
            sa.select(sa.func.count(Outcome.id)).where(
                Outcome.collaborated.is_(True),
                sa.or_(
                    sa.and_(
                        Outcome.organisation_id.in_(signed),
                        Outcome.partner_organisation_id.in_(public),
                    ),
                    sa.and_(
                        Outcome.partner_organisation_id.in_(signed),
                        Outcome.organisation_id.in_(public),
                    ),
                ),
            )
        )
        result.append(CountyFigures(code, agreement, count, conversations or 0, outcomes or 0))
    return result
