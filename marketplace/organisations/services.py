"""Organisation use cases: create and edit profiles, members and invitations, the directory.

Services take the acting user as an argument (never `current_user`), check the business rules,
and commit once. E-mails are queued before the commit and dispatched after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from marketplace import locking, reference
from marketplace.accounts.models import User
from marketplace.accounts.passwords import hash_password
from marketplace.ads import services as ad_services
from marketplace.agreements.models import Signatory
from marketplace.clock import utcnow
from marketplace.extensions import db
from marketplace.notifications import services as notifications
from marketplace.organisations import names, orgnr
from marketplace.organisations.models import (
    Invitation,
    LegalForm,
    Membership,
    Organisation,
    OrganisationChallenge,
    PublicBodyDomain,
    Role,
    Sector,
)
from marketplace.search.text import index_terms, query_terms
from marketplace.text import clean_text, one_line, slugify
from marketplace.urls import external_url

INVITATION_SALT = "organisations.invitation"


class OrganisationError(Exception):
    """A business rule said no; `message` is for the user."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(OrganisationError):
    """The actor lacks the role this needs (views answer 403)."""


class DuplicateOrgNumber(OrganisationError):
    """Another organisation has registered this organisationsnummer."""


class InvalidDetails(OrganisationError):
    """Details that the form should have caught (e.g. a municipality outside the county)."""


class NameTaken(OrganisationError):
    """The name is a public body's reserved name, or a near-duplicate of an existing one.

    `existing` is the organisation that has it (for "Begär att gå med"), `body` the public body
    whose name it is (None for a plain near-duplicate).
    """

    def __init__(
        self, message: str, existing: Organisation | None, body: names.PublicBody | None = None
    ) -> None:
        super().__init__(message)
        self.existing = existing
        self.body = body


class LastAdministrator(OrganisationError):
    """The change would leave the organisation without an administrator."""


class AlreadyMember(OrganisationError):
    """The invited address already belongs to a member."""


class InvitationProblem(OrganisationError):
    """An invitation link that cannot be used; `reason` is expired/invalid/used/wrong_user."""

    def __init__(self, reason: str, message: str, invited_email: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.invited_email = invited_email


@dataclass
class OrganisationDetails:
    """What a person can say about their organisation (the create and edit forms' result)."""

    name: str
    sector: Sector
    legal_form: LegalForm
    county_code: str
    municipality_code: str | None = None
    org_number: str | None = None
    website: str = ""
    email: str = ""
    description: str = ""
    challenges: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    auto_approve_joins: bool = False


@dataclass
class DirectoryFilters:
    """The public directory's filters; empty values mean "any"."""

    q: str = ""
    sector: Sector | None = None
    county: str | None = None
    municipality: str | None = None
    challenge: str | None = None
    signatories: bool = False  # confirmed signatories of a region's Överenskommelse


def slug(name: str) -> str:
    """URL words from a name: 'Föreningen Språkcafé Malmö' -> 'foreningen-sprakcafe-malmo'."""
    return slugify(name, fallback="organisation", max_length=200)


def find_by_org_number(number: str, exclude_id: int | None = None) -> Organisation | None:
    """The organisation registered with this (normalised) number, other than `exclude_id`."""
    query = sa.select(Organisation).where(Organisation.org_number == number)
    if exclude_id is not None:
        query = query.where(Organisation.id != exclude_id)
    return db.session.scalar(query)


def _check_details(details: OrganisationDetails, exclude_id: int | None = None) -> str | None:
    """Business rules on the details; returns the normalised org number.

    :raise InvalidDetails: unknown county, municipality outside it or unknown challenge.
    :raise DuplicateOrgNumber: another organisation has the number.
    """
    if details.county_code not in reference.counties():
        raise InvalidDetails(_("Välj ett län."))
    if details.municipality_code:
        municipality = reference.municipalities().get(details.municipality_code)
        if municipality is None or municipality.county_code != details.county_code:
            raise InvalidDetails(_("Kommunen ligger inte i det valda länet."))
    known = reference.challenges()
    if not details.challenges or any(slug not in known for slug in details.challenges):
        raise InvalidDetails(_("Välj minst en samhällsutmaning."))
    number = None
    if details.org_number:
        try:
            number = orgnr.normalise(details.org_number)
        except orgnr.InvalidOrgNumber as error:
            raise InvalidDetails(str(error.message)) from error
        if find_by_org_number(number, exclude_id) is not None:
            raise DuplicateOrgNumber(duplicate_message())
    return number


# Mail services anyone can sign up to: an address there shows nothing about an organisation.
FREE_MAIL_DOMAINS = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "outlook.se",
        "hotmail.com",
        "hotmail.se",
        "live.com",
        "live.se",
        "msn.com",
        "telia.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "ymail.com",
        "aol.com",
        "protonmail.com",
        "proton.me",
        "pm.me",
        "gmx.com",
        "gmx.net",
        "gmx.de",
        "mail.com",
        "zoho.com",
        "tutanota.com",
        "tuta.io",
        "fastmail.com",
        "yandex.com",
        "yandex.ru",
        "spray.se",
        "passagen.se",
        "bredband.net",
        "comhem.se",
        "tele2.se",
        "telenor.se",
        "bahnhof.se",
    ]
)
_FREE_MAIL_FAMILIES = ("yahoo.", "gmx.", "yandex.")
# A host name as people write e-mail domains (internationalised ones in their ASCII form).
DOMAIN_PATTERN = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def is_domain(value: str) -> bool:
    return bool(DOMAIN_PATTERN.match(value))


def email_domain(address: str) -> str:
    """'Anna@RegionKalmar.se' -> 'regionkalmar.se'."""
    return address.rpartition("@")[2].strip().lower().rstrip(".")


def is_free_mail(domain: str) -> bool:
    """gmail.com, outlook.com, yahoo.se ...: can never verify an organisation."""
    domain = domain.strip().lower().rstrip(".")
    return domain in FREE_MAIL_DOMAINS or domain.startswith(_FREE_MAIL_FAMILIES)


def official_domains(body_code: str) -> set[str]:
    """The e-mail domains that prove a person works for this public body: the shipped list
    plus those site administrators added."""
    added = db.session.scalars(
        sa.select(PublicBodyDomain.domain).where(PublicBodyDomain.body == body_code)
    )
    return set(names.shipped_domains().get(body_code, frozenset())) | set(added)


def add_official_domain(actor: User, body_code: str, domain: str) -> PublicBodyDomain:
    """A site administrator adds an official e-mail domain to a public body.

    :raise NotAllowed: the actor is not a site administrator.
    :raise InvalidDetails: unknown body, or a free-mail domain.
    """
    if not actor.is_site_admin:
        raise NotAllowed(_("Bara Samverkanstorgets administratörer kan lägga till domäner."))
    domain = domain.strip().lower().rstrip(".")
    if body_code not in names.public_bodies():
        raise InvalidDetails(_("Det finns ingen sådan offentlig organisation."))
    if is_free_mail(domain) or not is_domain(domain):
        raise InvalidDetails(
            _("%(domain)s kan inte vara en offentlig organisations domän.", domain=domain)
        )
    existing = db.session.scalar(
        sa.select(PublicBodyDomain).where(
            PublicBodyDomain.body == body_code, PublicBodyDomain.domain == domain
        )
    )
    if existing is not None:
        return existing
    row = PublicBodyDomain(body=body_code, domain=domain, added_by_id=actor.id)
    db.session.add(row)
    db.session.commit()
    return row


def remove_official_domain(actor: User, domain_id: int) -> PublicBodyDomain | None:
    """A site administrator removes a domain an administrator added (the shipped list stays).

    Organisations verified through it keep their verification: it was right when it was given.
    Returns the removed row, or None when it was gone already (a double click, or another
    administrator was first).

    :raise NotAllowed: the actor is not a site administrator.
    """
    if not actor.is_site_admin:
        raise NotAllowed(_("Bara Samverkanstorgets administratörer kan ta bort domäner."))
    row = db.session.get(PublicBodyDomain, domain_id)
    if row is None:
        return None
    db.session.delete(row)
    db.session.commit()
    return row


def added_official_domains() -> list[PublicBodyDomain]:
    """The domains site administrators added, newest first."""
    return list(
        db.session.scalars(
            sa.select(PublicBodyDomain).order_by(
                PublicBodyDomain.created_at.desc(), PublicBodyDomain.id.desc()
            )
        )
    )


def _holder(body_code: str, exclude_id: int | None) -> Organisation | None:
    query = sa.select(Organisation).where(Organisation.public_body == body_code)
    if exclude_id is not None:
        query = query.where(Organisation.id != exclude_id)
    return db.session.scalar(query.order_by(Organisation.verified_at.is_(None), Organisation.id))


def reserved_message() -> str:
    return _("Det här namnet tillhör en offentlig organisation — be om att få gå med i den.")


def near_duplicate_message(existing: Organisation) -> str:
    return _(
        "Namnet är för likt %(name)s, som redan finns på Samverkanstorget. Hör du till den "
        "organisationen? Be om att få gå med i den.",
        name=existing.name,
    )


def check_name(
    name: str, actor: User | None, organisation: Organisation | None = None
) -> str | None:
    """The name rules; returns the code of the public body whose reserved name this is, if any.

    A reserved name may be taken by someone whose confirmed address is on one of the body's
    official domains (the organisation then proves the domain), or kept by the organisation
    that already holds it. Any other name must not look like an existing organisation's name.
    :raise NameTaken: a reserved name without the right address, or a near-duplicate.
    """
    exclude = organisation.id if organisation is not None else None
    body = names.reserved_body(name)
    if body is not None:
        if organisation is not None and organisation.public_body == body.code:
            return body.code
        holder = _holder(body.code, exclude)
        if holder is not None:
            raise NameTaken(reserved_message(), holder, body)
        own_domain = email_domain(actor.email) if actor is not None and actor.is_confirmed else ""
        if own_domain and own_domain in official_domains(body.code):
            return body.code
        raise NameTaken(reserved_message(), None, body)
    wanted = names.skeleton(name)
    query = sa.select(Organisation).where(Organisation.name_skeleton == wanted)
    if exclude is not None:
        query = query.where(Organisation.id != exclude)
    existing = db.session.scalar(query.order_by(Organisation.id))
    if existing is not None:
        raise NameTaken(near_duplicate_message(existing), existing)
    return None


def duplicate_message() -> str:
    return _(
        "En annan organisation på Samverkanstorget har redan registrerat det här "
        "organisationsnumret. Hör av dig till oss om det är fel."
    )


def _apply(organisation: Organisation, details: OrganisationDetails, number: str | None) -> None:
    organisation.name = one_line(details.name)
    organisation.name_skeleton = names.skeleton(organisation.name)
    organisation.slug = slug(organisation.name)
    organisation.domains = " ".join(
        dict.fromkeys(d.strip().lower() for d in details.domains if d.strip())
    )
    organisation.auto_approve_joins = details.auto_approve_joins
    organisation.sector = details.sector
    organisation.legal_form = details.legal_form
    organisation.org_number = number
    organisation.county_code = details.county_code
    organisation.municipality_code = details.municipality_code or None
    organisation.website = details.website.strip()
    organisation.email = details.email.strip().lower()
    organisation.description = clean_text(details.description)
    organisation.search_terms = index_terms(organisation.name, organisation.description)
    wanted = list(dict.fromkeys(details.challenges))
    kept = [link for link in organisation.challenge_links if link.challenge in wanted]
    have = {link.challenge for link in kept}
    organisation.challenge_links = kept + [
        OrganisationChallenge(challenge=slug) for slug in wanted if slug not in have
    ]


def _commit_or_duplicate(body: str | None = None) -> None:
    """Commit; a unique-index clash means someone registered the same number, or took the same
    public body's name, a moment earlier."""
    try:
        db.session.commit()
    except sa.exc.IntegrityError as error:
        db.session.rollback()
        holder = _holder(body, None) if body else None
        if holder is not None:
            raise NameTaken(reserved_message(), holder, names.public_bodies()[body]) from error
        raise DuplicateOrgNumber(duplicate_message()) from error


def create_organisation(creator: User, details: OrganisationDetails) -> Organisation:
    """Register an organisation; its creator becomes its administrator and acts for it.

    :raise NameTaken: a reserved name or a near-duplicate (see check_name).
    """
    number = _check_details(details)
    body = check_name(details.name, creator)
    organisation = Organisation()
    if body is not None:  # the creator's official address: its domain is the one to prove
        organisation.public_body = body
        domain = email_domain(creator.email)
        if domain not in details.domains:
            details.domains = [*details.domains, domain]
    _apply(organisation, details, number)
    db.session.add(organisation)
    db.session.add(Membership(user=creator, organisation=organisation, role=Role.ADMIN))
    creator.acting_organisation = organisation
    _commit_or_duplicate(body)
    return organisation


def update_organisation(
    organisation: Organisation, actor: User, details: OrganisationDetails
) -> Organisation:
    """Save an administrator's changes; a new name or description re-indexes the organisation's ads.

    :raise NotAllowed: the actor is not an administrator of the organisation.
    """
    _require_admin(organisation, actor)
    number = _check_details(details, exclude_id=organisation.id)
    body = check_name(details.name, actor, organisation)
    old_text = (organisation.name, organisation.description)
    before = (organisation.name_skeleton, organisation.org_number, organisation.verified_domain)
    organisation.public_body = body
    _apply(organisation, details, number)
    if (organisation.name, organisation.description) != old_text:
        _reindex_ads(organisation)
    lost = organisation.is_verified and _needs_new_look(organisation, before)
    if lost:
        lose_verification(organisation, lost)
    _commit_or_duplicate(body)
    if lost:
        notifications.dispatch()
    return organisation


def _needs_new_look(organisation: Organisation, before: tuple) -> str:
    """Why a change takes the verification away ('' when it does not)."""
    old_skeleton, old_number, old_domain = before
    if organisation.name_skeleton != old_skeleton:
        return "name"
    if organisation.verified_via == "review" and organisation.org_number != old_number:
        return "org_number"
    if organisation.verified_via == "domain" and old_domain not in organisation.domain_list:
        return "domains"
    return ""


def lose_verification(organisation: Organisation, why: str, reason: str = "") -> None:
    """Take the verification away and mail the organisation's administrators (after commit)."""
    organisation.verified_at = None
    organisation.verified_via = None
    organisation.verified_domain = None
    stamp = utcnow().isoformat()
    for admin in admins_to_email(organisation):
        notifications.queue_email(
            key=f"verification-lost:{organisation.id}:{admin.id}:{stamp}",
            to=admin.email,
            template="organisation_notice",
            locale=admin.locale,
            subject=_l("%(name)s är inte längre verifierad", name=organisation.name),
            paragraphs=[
                lost_reason_text(why, organisation.name),
                *([_l("Motivering: %(reason)s", reason=reason)] if reason else []),
                _l(
                    "Ni kan verifiera organisationen igen med en e-postadress på organisationens "
                    "domän, eller ansöka om verifiering."
                ),
            ],
            action_url=external_url("organisations.verification", organisation_id=organisation.id),
            action_label=_l("Verifiera igen"),
        )


def lost_reason_text(why: str, name: str):
    """Why the verification went, in words (lazy: rendered in the recipient's language)."""
    if why == "name":
        return _l("%(name)s har bytt namn. Ett nytt namn behöver verifieras på nytt.", name=name)
    if why == "org_number":
        return _l(
            "Organisationsnumret för %(name)s har ändrats och behöver granskas på nytt.", name=name
        )
    if why == "domains":
        return _l("Domänen som %(name)s var verifierad genom är borttagen.", name=name)
    return _l(
        "En av Samverkanstorgets administratörer har tagit bort verifieringen av %(name)s.",
        name=name,
    )


def admins_to_email(organisation: Organisation) -> list[User]:
    """The organisation's administrators with a confirmed address."""
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.organisation_id == organisation.id,
                Membership.role == Role.ADMIN,
                User.email_confirmed_at.is_not(None),
            )
            .order_by(User.id)
        )
    )


def _reindex_ads(organisation: Organisation) -> None:
    """Ads carry their organisation's name in their search terms: refresh them in this transaction."""
    ad_services.reindex_organisation_ads(organisation)


def membership_of(user: User | None, organisation_id: int) -> Membership | None:
    """The user's membership in the organisation, or None (also for anonymous users)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        sa.select(Membership).where(
            Membership.user_id == user.id, Membership.organisation_id == organisation_id
        )
    )


def _require_admin(organisation: Organisation, actor: User) -> Membership:
    membership = membership_of(actor, organisation.id)
    if membership is None or not membership.is_admin:
        raise NotAllowed(_("Bara organisationens administratörer kan göra det här."))
    return membership


def _admin_count(organisation_id: int) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Membership)
            .where(Membership.organisation_id == organisation_id, Membership.role == Role.ADMIN)
        )
        or 0
    )


def _lock_memberships(organisation_id: int, membership: Membership) -> None:
    """Decide about the organisation's roles alone: two administrators leaving (or demoting each
    other) at the same moment are taken one after the other, and the second sees the first's
    change, so the last-administrator rule holds under races (marketplace.locking)."""
    locking.lock(Organisation, organisation_id)
    try:
        db.session.refresh(membership)  # its role as committed, read after the lock
    except sa.exc.InvalidRequestError as error:  # removed by the request before ours
        raise NotAllowed(_("Medlemskapet finns inte längre.")) from error


def _last_admin_message() -> str:
    return _(
        "En organisation måste alltid ha minst en administratör. Gör någon annan till "
        "administratör först."
    )


def acting_membership(user: User | None) -> Membership | None:
    """The membership the user acts through: their chosen organisation, else their first one."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    memberships = sorted(user.memberships, key=lambda m: (m.created_at, m.id))
    for membership in memberships:
        if membership.organisation_id == user.acting_organisation_id:
            return membership
    return memberships[0] if memberships else None


def set_acting_organisation(user: User, organisation_id: int) -> Membership:
    """Act for another of the user's organisations.

    :raise NotAllowed: the user is not a member of it.
    """
    membership = membership_of(user, organisation_id)
    if membership is None:
        raise NotAllowed(_("Du är inte medlem i den organisationen."))
    user.acting_organisation_id = organisation_id
    db.session.commit()
    return membership


def memberships_of(user: User) -> list[Membership]:
    """The user's memberships with their organisations, by organisation name."""
    rows = db.session.scalars(
        sa.select(Membership)
        .join(Membership.organisation)
        .where(Membership.user_id == user.id)
        .options(so.contains_eager(Membership.organisation))
        .order_by(sa.func.lower(Organisation.name), Organisation.id)
    ).all()
    return list(rows)


def members_of(organisation: Organisation) -> list[Membership]:
    """Members with their accounts: administrators first, then by name."""
    rows = db.session.scalars(
        sa.select(Membership)
        .join(Membership.user)
        .where(Membership.organisation_id == organisation.id)
        .options(so.contains_eager(Membership.user))
        .order_by(
            sa.case((Membership.role == Role.ADMIN, 0), else_=1),
            sa.func.lower(User.name),
            Membership.id,
        )
    ).all()
    return list(rows)


def pending_invitations(organisation: Organisation) -> list[Invitation]:
    """Invitations not yet accepted and not yet expired, newest first."""
    max_age = current_app.config["INVITE_TOKEN_MAX_AGE"]
    since = utcnow() - timedelta(seconds=max_age)
    return list(
        db.session.scalars(
            sa.select(Invitation)
            .where(
                Invitation.organisation_id == organisation.id,
                Invitation.accepted_at.is_(None),
                Invitation.created_at >= since,
            )
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        )
    )


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=INVITATION_SALT)


def invitation_token(invitation: Invitation) -> str:
    """The signed, expiring token in an invitation link (it names the invitation and the address)."""
    return _serializer().dumps({"invitation": invitation.id, "email": invitation.email})


def invitation_days() -> int:
    """How many days an invitation link works (INVITE_TOKEN_MAX_AGE, at least one)."""
    return max(1, current_app.config["INVITE_TOKEN_MAX_AGE"] // 86400)


def invite_member(organisation: Organisation, inviter: User, email: str) -> Invitation:
    """Invite an address to join; the e-mail is written in the inviter's language.

    The invitee's own language is unknown until they have an account we can match.
    :raise NotAllowed: the inviter is not an administrator.
    :raise AlreadyMember: the address already belongs to a member.
    """
    _require_admin(organisation, inviter)
    address = email.strip().lower()
    existing = db.session.scalar(
        sa.select(Membership.id)
        .join(Membership.user)
        .where(Membership.organisation_id == organisation.id, sa.func.lower(User.email) == address)
    )
    if existing is not None:
        raise AlreadyMember(_("%(email)s är redan medlem i organisationen.", email=address))
    invitation = Invitation(organisation=organisation, email=address, invited_by_id=inviter.id)
    db.session.add(invitation)
    db.session.flush()  # the id goes into the signed link
    notifications.queue_email(
        key=f"organisation-invitation:{invitation.id}",
        to=address,
        template="organisation_invitation",
        locale=inviter.locale,
        organisation_name=organisation.name,
        inviter_name=inviter.name,
        accept_url=external_url(
            "organisations.accept_invitation", token=invitation_token(invitation)
        ),
        valid_days=invitation_days(),
    )
    db.session.commit()
    notifications.dispatch()  # after the commit: a rolled-back invitation mails no one
    return invitation


def read_invitation(token: str) -> Invitation:
    """The invitation a link stands for.

    :raise InvitationProblem: expired, tampered with, withdrawn or already used.
    """
    try:
        payload = _serializer().loads(token, max_age=current_app.config["INVITE_TOKEN_MAX_AGE"])
    except SignatureExpired as error:
        raise InvitationProblem(
            "expired",
            _("Inbjudan har gått ut. Be en administratör i organisationen att bjuda in dig igen."),
        ) from error
    except BadSignature as error:
        raise _invalid_invitation() from error
    if not isinstance(payload, dict) or not isinstance(payload.get("invitation"), int):
        raise _invalid_invitation()
    invitation = db.session.get(Invitation, payload["invitation"])
    if invitation is None or invitation.email != payload.get("email"):
        raise _invalid_invitation()
    if invitation.accepted_at is not None:
        raise InvitationProblem(
            "used",
            _("Inbjudan har redan använts. Varje inbjudningslänk fungerar bara en gång."),
        )
    return invitation


def _invalid_invitation() -> InvitationProblem:
    return InvitationProblem(
        "invalid",
        _(
            "Länken fungerar inte. Kontrollera att du har kopierat hela adressen från "
            "e-postmeddelandet, eller be om en ny inbjudan."
        ),
    )


def invitation_for(user: User, token: str) -> Invitation:
    """The invitation a link stands for, checked against the logged-in user's address.

    :raise InvitationProblem: the link cannot be used, or it was sent to another address.
    """
    invitation = read_invitation(token)
    if user.email.strip().lower() != invitation.email:
        raise InvitationProblem(
            "wrong_user",
            _(
                "Inbjudan skickades till %(invited)s, men du är inloggad som %(current)s. "
                "Logga ut och logga in (eller skapa ett konto) med %(invited)s för att gå med.",
                invited=invitation.email,
                current=user.email,
            ),
            invited_email=invitation.email,
        )
    return invitation


def _accepted_by(user: User, token: str) -> Membership | None:
    """The user's membership from an invitation link sent to them and used in the last minute
    (a double click or a retry; later, the link says it was used)."""
    try:
        payload = _serializer().loads(token, max_age=current_app.config["INVITE_TOKEN_MAX_AGE"])
        invitation = db.session.get(Invitation, payload["invitation"])
    except (BadSignature, KeyError, TypeError):
        return None
    if invitation is None or invitation.email != user.email.strip().lower():
        return None
    if invitation.accepted_at is None or invitation.accepted_at < utcnow() - timedelta(minutes=1):
        return None
    return membership_of(user, invitation.organisation_id)


def accept_invitation(user: User, token: str) -> Membership:
    """Join the organisation the link invites to, as a member; the link then stops working.

    :raise InvitationProblem: the link cannot be used, or it was sent to another address.
    """
    try:
        invitation = invitation_for(user, token)
    except InvitationProblem as problem:
        # A double click whose first click already made them a member: the same outcome.
        joined = _accepted_by(user, token) if problem.reason == "used" else None
        if joined is None:
            raise
        return joined
    organisation_id = invitation.organisation_id
    # A double click: the second request waits here and then finds the membership made.
    locking.lock(Invitation, invitation.id)
    membership = membership_of(user, organisation_id)
    if membership is None:
        membership = Membership(user=user, organisation=invitation.organisation, role=Role.MEMBER)
        db.session.add(membership)
    invitation.accepted_at = utcnow()
    if user.acting_organisation_id is None:
        user.acting_organisation = invitation.organisation
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        # A double click: the other request made the membership first. The same outcome.
        db.session.rollback()
        membership = membership_of(user, organisation_id)
        if membership is None:
            raise
    return membership


def remove_member(actor: User, membership: Membership) -> None:
    """An administrator removes a member, or a member leaves.

    :raise NotAllowed: the actor is neither an administrator nor the member.
    :raise LastAdministrator: the member is the organisation's only administrator.
    """
    organisation = membership.organisation
    _lock_memberships(organisation.id, membership)
    if membership.user_id != actor.id:
        _require_admin(organisation, actor)
    if membership.is_admin and _admin_count(organisation.id) <= 1:
        raise LastAdministrator(_last_admin_message())
    leaving = membership.user
    db.session.delete(membership)
    db.session.flush()
    if leaving.acting_organisation_id == organisation.id:
        remaining = [m for m in leaving.memberships if m is not membership]
        leaving.acting_organisation_id = remaining[0].organisation_id if remaining else None
    db.session.commit()


def change_role(actor: User, membership: Membership, role: Role) -> None:
    """Grant or withdraw the administrator role.

    :raise NotAllowed: the actor is not an administrator.
    :raise LastAdministrator: the last administrator would become a plain member.
    """
    _lock_memberships(membership.organisation_id, membership)
    _require_admin(membership.organisation, actor)
    if (
        membership.is_admin
        and role is not Role.ADMIN
        and _admin_count(membership.organisation_id) <= 1
    ):
        raise LastAdministrator(_last_admin_message())
    membership.role = role
    db.session.commit()


def hand_over(actor: User, membership: Membership) -> None:
    """The actor makes another member administrator and becomes a plain member in one step.

    :raise NotAllowed: the actor is not an administrator.
    :raise OrganisationError: the actor tried to hand over to themself.
    """
    _lock_memberships(membership.organisation_id, membership)
    own = _require_admin(membership.organisation, actor)
    if membership.id == own.id:
        raise OrganisationError(_("Välj en annan medlem att lämna över till."))
    membership.role = Role.ADMIN
    own.role = Role.MEMBER
    db.session.commit()


def toggle_verified(actor: User, organisation: Organisation) -> bool:
    """A site administrator marks the organisation as verified, or takes the mark away.

    :raise NotAllowed: the actor is not a site administrator.
    """
    if not actor.is_site_admin:
        raise NotAllowed(_("Bara Samverkanstorgets administratörer kan verifiera organisationer."))
    organisation.verified_at = None if organisation.is_verified else utcnow()
    db.session.commit()
    return organisation.is_verified


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def directory_query(filters: DirectoryFilters) -> sa.Select:
    """Organisations matching the filters, by name; `q` matches whole stems, the last word as a prefix."""
    query = (
        sa.select(Organisation)
        .where(Organisation.hidden_at.is_(None))  # hidden by a moderator
        .options(so.selectinload(Organisation.challenge_links))
    )
    if filters.sector is not None:
        query = query.where(Organisation.sector == filters.sector)
    if filters.county:
        query = query.where(Organisation.county_code == filters.county)
    if filters.municipality:
        query = query.where(Organisation.municipality_code == filters.municipality)
    if filters.challenge:
        query = query.where(
            Organisation.id.in_(
                sa.select(OrganisationChallenge.organisation_id).where(
                    OrganisationChallenge.challenge == filters.challenge
                )
            )
        )
    if filters.signatories:
        query = query.where(
            Organisation.id.in_(
                sa.select(Signatory.organisation_id).where(Signatory.confirmed_at.is_not(None))
            )
        )
    terms = query_terms(filters.q)
    padded = sa.literal(" ") + Organisation.search_terms + sa.literal(" ")
    for position, alternatives in enumerate(terms):
        is_last = position == len(terms) - 1  # the word being typed matches as a prefix too
        conditions = []
        for stem in alternatives:
            escaped = _like_escape(stem)
            conditions.append(padded.like(f"% {escaped} %", escape="\\"))
            if is_last:
                conditions.append(padded.like(f"% {escaped}%", escape="\\"))
        query = query.where(sa.or_(*conditions))
    return query.order_by(sa.func.lower(Organisation.name), Organisation.id)


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(
        sa.select(User).where(sa.func.lower(User.email) == email.strip().lower())
    )


def ensure_site_admin(email: str, password: str | None = None, name: str = "") -> tuple[User, bool]:
    """Make the account with this address a site administrator, creating it (confirmed) if needed.

    Returns the user and whether it was created. A new account needs a password.
    """
    address = email.strip().lower()
    user = find_user_by_email(address)
    created = user is None
    if user is None:
        if not password:
            raise OrganisationError(_("Ett nytt konto behöver ett lösenord."))
        user = User(
            email=address,
            name=name.strip() or address.split("@")[0],
            password_hash=hash_password(password),
        )
        db.session.add(user)
    user.is_site_admin = True
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    db.session.commit()
    return user, created
