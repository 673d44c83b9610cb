"""Who is who: proving an organisation by e-mail domain or by review, losing and revoking the
proof, and people asking to join an organisation ("Begär att gå med").

Services take the acting user as an argument, check the rules, commit once and dispatch the
e-mails they queued after the commit (marketplace.notifications).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.extensions import db
from marketplace.moderation.models import ActionKind, CountyModerator, ModerationAction
from marketplace.notifications import services as notifications
from marketplace.organisations import orgnr
from marketplace.organisations.models import (
    ApplicationStatus,
    JoinRequest,
    JoinStatus,
    LegalForm,
    Membership,
    Organisation,
    Role,
    VerificationApplication,
)
from marketplace.organisations.services import (
    InvalidDetails,
    NotAllowed,
    OrganisationError,
    admins_to_email,
    email_domain,
    is_free_mail,
    lose_verification,
    membership_of,
    official_domains,
)
from marketplace.text import clean_text, one_line
from marketplace.urls import external_url

DOMAIN_PROOF_SALT = "organisations.domain-proof"
DOMAIN_PROOF_MAX_AGE = 2 * 86400  # two days, like a confirmation link
JOIN_RETRY_DAYS = 30  # a declined person may ask the same organisation again after this
REASON_MAX_LENGTH = 2000


class TrustProblem(OrganisationError):
    """A verification or join rule said no; `message` is for the user."""


class ProofLinkProblem(OrganisationError):
    """A domain-proof link that cannot be used (expired, tampered with, another account)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


# --- E-mail domain proof ---------------------------------------------------------------------


def provable_domain(organisation: Organisation, user: User) -> str | None:
    """The domain the user's confirmed address can prove for the organisation, or None."""
    if not user.is_confirmed:
        return None
    domain = email_domain(user.email)
    if is_free_mail(domain) or domain not in organisation.domain_list:
        return None
    if organisation.public_body and domain not in official_domains(organisation.public_body):
        return None
    return domain


def domain_proof_problem(organisation: Organisation, user: User) -> str:
    """Why the user cannot prove a domain for the organisation, in words ('' when they can)."""
    domain = email_domain(user.email)
    if is_free_mail(domain):
        return _(
            "Din adress är på %(domain)s, en e-posttjänst som vem som helst kan använda. Den kan "
            "inte visa att du hör till organisationen. Ansök om verifiering i stället, eller "
            "byt till din adress på organisationens domän under Kontoinställningar.",
            domain=domain,
        )
    if organisation.public_body and domain not in official_domains(organisation.public_body):
        return _(
            "%(domain)s är inte en av de e-postdomäner vi känner till för %(name)s. Hör av dig "
            "till oss om domänen är organisationens, så lägger vi till den.",
            domain=domain,
            name=organisation.name,
        )
    if domain not in organisation.domain_list:
        return _(
            "Din adress är på %(domain)s, som inte står bland organisationens domäner. En "
            "administratör kan lägga till den under Redigera.",
            domain=domain,
        )
    return ""


def _proof_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=DOMAIN_PROOF_SALT)


def send_domain_proof(organisation: Organisation, user: User) -> str:
    """Mail a fresh confirmation link to the member's address on the organisation's domain.

    :raise NotAllowed: the user is not a member.
    :raise TrustProblem: the address cannot prove a domain (free mail, not listed, unofficial).
    """
    if membership_of(user, organisation.id) is None:
        raise NotAllowed(_("Du är inte medlem i den organisationen."))
    domain = provable_domain(organisation, user)
    if domain is None:
        raise TrustProblem(domain_proof_problem(organisation, user))
    token = _proof_serializer().dumps(
        {"organisation": organisation.id, "user": user.id, "email": user.email}
    )
    notifications.queue_email(
        key=f"domain-proof:{organisation.id}:{user.id}:{utcnow().isoformat()}",
        to=user.email,
        template="organisation_notice",
        locale=user.locale,
        subject=_l(
            "Bekräfta att %(name)s använder %(domain)s", name=organisation.name, domain=domain
        ),
        paragraphs=[
            _l(
                "Du har bett om att verifiera %(name)s via e-postdomänen %(domain)s. Öppna "
                "länken och bekräfta, så visas organisationen som verifierad.",
                name=organisation.name,
                domain=domain,
            ),
            _l("Länken gäller i två dagar. Bad du inte om det här kan du bortse från meddelandet."),
        ],
        action_url=external_url("organisations.confirm_domain", token=token),
        action_label=_l("Bekräfta domänen"),
    )
    db.session.commit()
    notifications.dispatch()
    return domain


def domain_proof_for(user: User, token: str) -> tuple[Organisation, str]:
    """The organisation and domain a proof link stands for, checked against the logged-in user.

    :raise ProofLinkProblem: expired, tampered with, another account, or no longer provable.
    """
    try:
        payload = _proof_serializer().loads(token, max_age=DOMAIN_PROOF_MAX_AGE)
    except SignatureExpired as error:
        raise ProofLinkProblem(
            _("Länken har gått ut. Be om en ny från organisationens sida Verifiering."), 410
        ) from error
    except BadSignature as error:
        raise ProofLinkProblem(
            _("Länken fungerar inte. Kopiera hela adressen från mejlet."), 404
        ) from error
    if (
        not isinstance(payload, dict)
        or payload.get("user") != user.id
        or payload.get("email") != user.email
    ):
        raise ProofLinkProblem(
            _("Länken skickades till en annan adress. Logga in med det konto som bad om den."), 403
        )
    organisation = db.session.get(Organisation, payload.get("organisation"))
    if organisation is None:
        raise ProofLinkProblem(_("Organisationen finns inte längre."), 404)
    domain = provable_domain(organisation, user)
    if domain is None or membership_of(user, organisation.id) is None:
        raise ProofLinkProblem(
            domain_proof_problem(organisation, user)
            or _("Du är inte längre medlem i organisationen."),
            409,
        )
    return organisation, domain


def confirm_domain_proof(user: User, token: str) -> Organisation:
    """The member opened the link: the organisation is verified via its e-mail domain."""
    organisation, domain = domain_proof_for(user, token)
    if not (organisation.verified_via == "domain" and organisation.verified_domain == domain):
        organisation.verified_at = utcnow()
        organisation.verified_via = "domain"
        organisation.verified_domain = domain
        db.session.commit()
    return organisation


# --- Manual review ---------------------------------------------------------------------------


@dataclass
class ApplicationDetails:
    """What "Ansök om verifiering" asks for."""

    org_number: str
    legal_form: LegalForm
    document_url: str
    contact_name: str
    contact_email: str
    contact_phone: str = ""
    message: str = ""


def pending_application(organisation: Organisation) -> VerificationApplication | None:
    return db.session.scalar(
        sa.select(VerificationApplication).where(
            VerificationApplication.organisation_id == organisation.id,
            VerificationApplication.status == ApplicationStatus.PENDING,
        )
    )


def latest_application(organisation: Organisation) -> VerificationApplication | None:
    return db.session.scalar(
        sa.select(VerificationApplication)
        .where(VerificationApplication.organisation_id == organisation.id)
        .order_by(VerificationApplication.created_at.desc(), VerificationApplication.id.desc())
    )


def _require_admin(organisation: Organisation, actor: User) -> None:
    membership = membership_of(actor, organisation.id)
    if membership is None or not membership.is_admin:
        raise NotAllowed(_("Bara organisationens administratörer kan göra det här."))


def _reviewers(organisation: Organisation) -> list[User]:
    """Site administrators and the county's moderators, with confirmed addresses, who are not
    members of the organisation (no one reviews their own)."""
    moderators = sa.select(CountyModerator.user_id).where(
        CountyModerator.county_code == organisation.county_code
    )
    members = sa.select(Membership.user_id).where(Membership.organisation_id == organisation.id)
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                sa.or_(User.is_site_admin.is_(True), User.id.in_(moderators)),
                User.id.not_in(members),
                User.email_confirmed_at.is_not(None),
            )
            .order_by(User.id)
        )
    )


def submit_application(
    organisation: Organisation, actor: User, details: ApplicationDetails
) -> VerificationApplication:
    """An administrator asks for a manual review; reviewers are mailed.

    :raise NotAllowed: the actor is not an administrator of the organisation.
    :raise TrustProblem: already verified, or an application is waiting.
    :raise InvalidDetails: the organisation number is not valid.
    """
    _require_admin(organisation, actor)
    if organisation.is_verified:
        raise TrustProblem(_("Organisationen är redan verifierad."))
    if pending_application(organisation) is not None:
        raise TrustProblem(_("Det finns redan en ansökan som väntar på granskning."))
    try:
        number = orgnr.normalise(details.org_number)
    except orgnr.InvalidOrgNumber as error:
        raise InvalidDetails(str(error.message)) from error
    application = VerificationApplication(
        organisation=organisation,
        applicant_id=actor.id,
        org_number=number,
        legal_form=details.legal_form,
        document_url=details.document_url.strip(),
        contact_name=one_line(details.contact_name),
        contact_email=details.contact_email.strip().lower(),
        contact_phone=one_line(details.contact_phone),
        message=clean_text(details.message),
    )
    db.session.add(application)
    db.session.flush()
    _tell_reviewers(application)
    db.session.commit()
    notifications.dispatch()
    return application


def _tell_reviewers(application: VerificationApplication) -> None:
    organisation = application.organisation
    for reviewer in _reviewers(organisation):
        notifications.queue_email(
            key=f"verification-application:{application.id}:{reviewer.id}",
            to=reviewer.email,
            template="organisation_notice",
            locale=reviewer.locale,
            subject=_l("Ny ansökan om verifiering: %(name)s", name=organisation.name),
            paragraphs=[
                _l(
                    "%(name)s har ansökt om att bli verifierad. Granska ansökan mot kriterierna "
                    "på sidan Om Samverkanstorget.",
                    name=organisation.name,
                )
            ],
            action_url=external_url("organisations.review_queue"),
            action_label=_l("Öppna granskningskön"),
        )


def can_review(actor: User | None, application: VerificationApplication) -> bool:
    """Site administrators review everything; county moderators their county's first
    applications. An appeal goes to a site administrator other than the first decider. No one
    reviews an application of an organisation they are a member of."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if membership_of(actor, application.organisation_id) is not None:
        return False  # no one reviews their own organisation's application
    if application.appeal_of_id is not None:
        original = db.session.get(VerificationApplication, application.appeal_of_id)
        first = original.decided_by_id if original is not None else None
        return bool(actor.is_site_admin and actor.id != first)
    if actor.is_site_admin:
        return True
    return (
        db.session.scalar(
            sa.select(CountyModerator.user_id).where(
                CountyModerator.user_id == actor.id,
                CountyModerator.county_code == application.organisation.county_code,
            )
        )
        is not None
    )


def may_review_any(actor: User | None) -> bool:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    return bool(
        actor.is_site_admin
        or db.session.scalar(
            sa.select(CountyModerator.user_id).where(CountyModerator.user_id == actor.id)
        )
    )


def review_queue(actor: User) -> list[VerificationApplication]:
    """The waiting applications this actor may decide, oldest first."""
    rows = db.session.scalars(
        sa.select(VerificationApplication)
        .where(VerificationApplication.status == ApplicationStatus.PENDING)
        .options(so.selectinload(VerificationApplication.organisation))
        .order_by(VerificationApplication.created_at, VerificationApplication.id)
    )
    return [row for row in rows if can_review(actor, row)]


def _log(actor: User, action: ActionKind, organisation: Organisation, reason: str) -> None:
    db.session.add(
        ModerationAction(
            actor_id=actor.id,
            actor_name=actor.name,
            action=action,
            target_kind="organisation",
            target_id=organisation.id,
            target_label=organisation.name[:300],
            reason=reason,
        )
    )


def _clean_reason(reason: str) -> str:
    cleaned = clean_text(reason)
    if not cleaned:
        raise TrustProblem(_("Skriv en motivering. Den skickas till organisationen."))
    return cleaned[:REASON_MAX_LENGTH]


def decide_application(
    actor: User, application: VerificationApplication, approve: bool, reason: str
) -> VerificationApplication:
    """Approve or reject with a reason; logged, mailed to the applicant and the administrators.

    :raise NotAllowed: the actor may not review it.
    :raise TrustProblem: already decided, or no reason given.
    """
    if not can_review(actor, application):
        raise NotAllowed(_("Du kan inte granska den här ansökan."))
    if not application.is_pending:
        raise TrustProblem(_("Ansökan är redan avgjord."))
    reason = _clean_reason(reason)
    organisation = application.organisation
    application.status = ApplicationStatus.APPROVED if approve else ApplicationStatus.REJECTED
    application.reason = reason
    application.decided_by_id = actor.id
    application.decided_at = utcnow()
    if approve:
        organisation.verified_at = utcnow()
        organisation.verified_via = "review"
        organisation.verified_domain = None
        if organisation.org_number is None:
            taken = db.session.scalar(
                sa.select(Organisation.id).where(Organisation.org_number == application.org_number)
            )
            if taken is None:
                organisation.org_number = application.org_number
    _log(
        actor,
        ActionKind.VERIFY if approve else ActionKind.REJECT_VERIFICATION,
        organisation,
        reason,
    )
    _tell_applicant(application, approve, reason)
    db.session.commit()
    notifications.dispatch()
    return application


def _tell_applicant(application: VerificationApplication, approve: bool, reason: str) -> None:
    organisation = application.organisation
    people = {user.id: user for user in admins_to_email(organisation)}
    if application.applicant is not None and application.applicant.is_confirmed:
        people[application.applicant.id] = application.applicant
    if approve:
        subject = _l("%(name)s är verifierad", name=organisation.name)
        outcome = _l(
            "Ansökan om verifiering av %(name)s är godkänd. Organisationen visas nu som "
            "verifierad efter granskning.",
            name=organisation.name,
        )
        more = _l("Verifieringen försvinner om organisationsnumret eller namnet ändras.")
    else:
        subject = _l("Ansökan om verifiering av %(name)s är avslagen", name=organisation.name)
        outcome = _l("Ansökan om verifiering av %(name)s är avslagen.", name=organisation.name)
        more = (
            _l(
                "Du kan begära omprövning på organisationens sida Verifiering. En annan "
                "administratör på Samverkanstorget gör då en ny granskning."
            )
            if application.appeal_of_id is None
            else _l("Det här var en omprövning. Beslutet går inte att överklaga hos oss igen.")
        )
    for person in people.values():
        notifications.queue_email(
            key=f"verification-decision:{application.id}:{person.id}",
            to=person.email,
            template="organisation_notice",
            locale=person.locale,
            subject=subject,
            paragraphs=[outcome, _l("Motivering: %(reason)s", reason=reason), more],
            action_url=external_url("organisations.verification", organisation_id=organisation.id),
            action_label=_l("Visa verifieringen"),
        )


def appeal_application(
    actor: User, application: VerificationApplication, text: str
) -> VerificationApplication:
    """'Begär omprövning' of a rejection: a new application in the queue, for another reviewer.

    :raise NotAllowed: the actor is not an administrator of the organisation.
    :raise TrustProblem: not a rejected first decision, already appealed, or no text.
    """
    organisation = application.organisation
    _require_admin(organisation, actor)
    if application.status is not ApplicationStatus.REJECTED or application.appeal_of_id is not None:
        raise TrustProblem(_("Bara ett avslag kan omprövas, och bara en gång."))
    appealed = db.session.scalar(
        sa.select(VerificationApplication.id).where(
            VerificationApplication.appeal_of_id == application.id
        )
    )
    if appealed is not None or pending_application(organisation) is not None:
        raise TrustProblem(_("Omprövning är redan begärd."))
    text = clean_text(text)
    if len(text) < 10:
        raise TrustProblem(_("Skriv varför beslutet bör ändras (minst 10 tecken)."))
    appeal = VerificationApplication(
        organisation=organisation,
        applicant_id=actor.id,
        org_number=application.org_number,
        legal_form=application.legal_form,
        document_url=application.document_url,
        contact_name=application.contact_name,
        contact_email=application.contact_email,
        contact_phone=application.contact_phone,
        message=text[:REASON_MAX_LENGTH],
        appeal_of_id=application.id,
    )
    db.session.add(appeal)
    db.session.flush()
    _tell_reviewers(appeal)
    db.session.commit()
    notifications.dispatch()
    return appeal


def revoke_verification(actor: User, organisation: Organisation, reason: str) -> None:
    """A site administrator takes the verification away, with a reason (logged, mailed).

    :raise NotAllowed: the actor is not a site administrator.
    :raise TrustProblem: not verified, or no reason given.
    """
    if not actor.is_site_admin:
        raise NotAllowed(_("Bara Samverkanstorgets administratörer kan ta bort en verifiering."))
    if not organisation.is_verified:
        raise TrustProblem(_("Organisationen är inte verifierad."))
    reason = _clean_reason(reason)
    lose_verification(organisation, "revoked", reason)
    _log(actor, ActionKind.REVOKE_VERIFICATION, organisation, reason)
    db.session.commit()
    notifications.dispatch()


def verify_directly(actor: User, organisation: Organisation, reason: str) -> None:
    """A site administrator verifies after looking themself (counts as a review; logged).

    :raise NotAllowed: the actor is not a site administrator.
    """
    if not actor.is_site_admin:
        raise NotAllowed(_("Bara Samverkanstorgets administratörer kan verifiera organisationer."))
    organisation.verified_at = utcnow()
    organisation.verified_via = "review"
    organisation.verified_domain = None
    _log(actor, ActionKind.VERIFY, organisation, clean_text(reason)[:REASON_MAX_LENGTH])
    db.session.commit()


# --- Join requests ---------------------------------------------------------------------------


def open_join_request(user: User, organisation: Organisation) -> JoinRequest | None:
    return db.session.scalar(
        sa.select(JoinRequest).where(
            JoinRequest.user_id == user.id,
            JoinRequest.organisation_id == organisation.id,
            JoinRequest.status == JoinStatus.PENDING,
        )
    )


def join_problem(user: User | None, organisation: Organisation) -> str:
    """Why the user cannot ask to join now, in words ('' when they can)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    if not user.is_confirmed:
        return _("Bekräfta din e-postadress först.")
    if membership_of(user, organisation.id) is not None:
        return _("Du är redan medlem i %(name)s.", name=organisation.name)
    if open_join_request(user, organisation) is not None:
        return _(
            "Du har redan bett om att få gå med. Organisationens administratörer har fått ett mejl."
        )
    declined = db.session.scalar(
        sa.select(JoinRequest.decided_at)
        .where(
            JoinRequest.user_id == user.id,
            JoinRequest.organisation_id == organisation.id,
            JoinRequest.status == JoinStatus.DECLINED,
        )
        .order_by(JoinRequest.decided_at.desc())
    )
    if declined is not None and declined > utcnow() - timedelta(days=JOIN_RETRY_DAYS):
        again = (declined + timedelta(days=JOIN_RETRY_DAYS)).date().isoformat()
        return _("Din förfrågan avböjdes. Du kan fråga igen från och med %(date)s.", date=again)
    return ""


def _auto_approves(user: User, organisation: Organisation) -> bool:
    return bool(
        organisation.auto_approve_joins
        and organisation.verified_via == "domain"
        and organisation.verified_domain
        and email_domain(user.email) == organisation.verified_domain
    )


def request_to_join(user: User, organisation: Organisation, message: str) -> JoinRequest:
    """'Begär att gå med'. Administrators are mailed; an address on the verified domain joins at
    once when the organisation has chosen so.

    :raise TrustProblem: see join_problem.
    """
    problem = join_problem(user, organisation)
    if problem:
        raise TrustProblem(problem)
    request = JoinRequest(organisation=organisation, user=user, message=clean_text(message)[:1000])
    db.session.add(request)
    db.session.flush()
    if _auto_approves(user, organisation):
        request.status = JoinStatus.APPROVED
        request.decided_at = utcnow()
        db.session.add(Membership(user=user, organisation=organisation, role=Role.MEMBER))
        if user.acting_organisation_id is None:
            user.acting_organisation = organisation
        _tell_requester(request, approved=True)
    else:
        for admin in admins_to_email(organisation):
            notifications.queue_email(
                key=f"join-request:{request.id}:{admin.id}",
                to=admin.email,
                template="organisation_notice",
                locale=admin.locale,
                subject=_l(
                    "%(person)s vill gå med i %(name)s", person=user.name, name=organisation.name
                ),
                paragraphs=[
                    _l(
                        "%(person)s (%(email)s) ber om att få gå med i %(name)s på Samverkanstorget.",
                        person=user.name,
                        email=user.email,
                        name=organisation.name,
                    ),
                    *(
                        [_l("Meddelande: %(text)s", text=request.message)]
                        if request.message
                        else []
                    ),
                    _l("Godkänn eller avböj på sidan Medlemmar."),
                ],
                action_url=external_url("organisations.members", organisation_id=organisation.id),
                action_label=_l("Öppna sidan Medlemmar"),
            )
    try:
        db.session.commit()
    except sa.exc.IntegrityError as error:  # a double click that joined a moment earlier
        db.session.rollback()
        raise TrustProblem(_("Du är redan medlem i %(name)s.", name=organisation.name)) from error
    notifications.dispatch()
    return request


def _tell_requester(request: JoinRequest, *, approved: bool) -> None:
    organisation = request.organisation
    user = request.user
    if approved:
        subject = _l("Du är nu medlem i %(name)s", name=organisation.name)
        text = _l("Din förfrågan om att gå med i %(name)s är godkänd.", name=organisation.name)
        url = external_url(
            "organisations.detail", organisation_id=organisation.id, slug=organisation.slug
        )
        label = _l("Gå till %(name)s", name=organisation.name)
    else:
        subject = _l("Din förfrågan till %(name)s", name=organisation.name)
        text = _l(
            "%(name)s har avböjt din förfrågan om att gå med. Du kan fråga igen om %(days)s dagar.",
            name=organisation.name,
            days=JOIN_RETRY_DAYS,
        )
        url, label = "", ""
    notifications.queue_email(
        key=f"join-answer:{request.id}",
        to=user.email,
        template="organisation_notice",
        locale=user.locale,
        subject=subject,
        paragraphs=[text],
        action_url=url,
        action_label=label,
    )


def pending_join_requests(organisation: Organisation) -> list[JoinRequest]:
    """Waiting requests with their people, oldest first (for the members page)."""
    return list(
        db.session.scalars(
            sa.select(JoinRequest)
            .where(
                JoinRequest.organisation_id == organisation.id,
                JoinRequest.status == JoinStatus.PENDING,
            )
            .options(so.selectinload(JoinRequest.user))
            .order_by(JoinRequest.created_at, JoinRequest.id)
        )
    )


def decide_join_request(actor: User, request: JoinRequest, approve: bool) -> JoinRequest:
    """An administrator approves (the person becomes a member) or declines; the person is mailed.

    :raise NotAllowed: the actor is not an administrator of the organisation.
    :raise TrustProblem: already answered.
    """
    organisation = request.organisation
    _require_admin(organisation, actor)
    if not request.is_pending:
        raise TrustProblem(_("Förfrågan är redan besvarad."))
    request.status = JoinStatus.APPROVED if approve else JoinStatus.DECLINED
    request.decided_by_id = actor.id
    request.decided_at = utcnow()
    if approve and membership_of(request.user, organisation.id) is None:
        db.session.add(Membership(user=request.user, organisation=organisation, role=Role.MEMBER))
        if request.user.acting_organisation_id is None:
            request.user.acting_organisation = organisation
    _tell_requester(request, approved=approve)
    try:
        db.session.commit()
    except sa.exc.IntegrityError as error:
        db.session.rollback()
        raise TrustProblem(_("Förfrågan är redan besvarad.")) from error
    notifications.dispatch()
    return request


# --- For a person's own overview ("Mina sidor") ----------------------------------------------


@dataclass
class TrustOverview:
    """What a person waits for: their join requests, and their organisations' verification."""

    join_requests: list[JoinRequest]
    applications: list[VerificationApplication]
    unverified: list[Organisation]


def overview_for(user: User) -> TrustOverview:
    """The user's waiting join requests, their organisations' waiting applications, and their
    organisations that are not verified (a page such as "Mina sidor" can show these)."""
    requests = list(
        db.session.scalars(
            sa.select(JoinRequest)
            .where(JoinRequest.user_id == user.id, JoinRequest.status == JoinStatus.PENDING)
            .options(so.selectinload(JoinRequest.organisation))
            .order_by(JoinRequest.created_at)
        )
    )
    own = sa.select(Membership.organisation_id).where(Membership.user_id == user.id)
    applications = list(
        db.session.scalars(
            sa.select(VerificationApplication)
            .where(
                VerificationApplication.organisation_id.in_(own),
                VerificationApplication.status == ApplicationStatus.PENDING,
            )
            .options(so.selectinload(VerificationApplication.organisation))
        )
    )
    unverified = list(
        db.session.scalars(
            sa.select(Organisation)
            .where(Organisation.id.in_(own), Organisation.verified_at.is_(None))
            .order_by(Organisation.name)
        )
    )
    return TrustOverview(requests, applications, unverified)
