"""Organisation pages: the directory, profiles, registration and editing, members and invitations."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.accounts.decorators import confirmed_required, site_admin_required, viewer
from marketplace.ads.services import organisation_ads
from marketplace.agreements import services as agreements
from marketplace.contact import services as contact
from marketplace.extensions import db, per_person_limit
from marketplace.htmx import is_partial_request, render_page, see_other
from marketplace.moderation import services as moderation
from marketplace.moderation.models import ContentKind
from marketplace.organisations import names, services, trust
from marketplace.organisations.decorators import member_of_or_403
from marketplace.organisations.forms import (
    AppealForm,
    ApplicationForm,
    DecisionForm,
    DirectoryForm,
    InviteForm,
    JoinForm,
    OfficialDomainForm,
    OrganisationForm,
    RevokeForm,
)
from marketplace.organisations.models import (
    JoinRequest,
    Membership,
    Organisation,
    Role,
    VerificationApplication,
)
from marketplace.security import safe_next
from marketplace.submissions import submitted_once
from marketplace.urls import external_url

bp = Blueprint("organisations", __name__, url_prefix="/organisationer")
MAX_PAGE = 10_000  # a hand-typed page=10**20 must not overflow the database's OFFSET


@bp.get("/")
def index():
    form = DirectoryForm()
    query = services.directory_query(form.filters())
    page = db.paginate(
        query,
        page=min(request.args.get("page", 1, type=int), MAX_PAGE),
        per_page=current_app.config["PER_PAGE"],
        error_out=False,
    )
    return render_page(
        "organisations/index.html",
        fragment="results",
        form=form,
        page=page,
        signed=agreements.confirmed_map(organisation.id for organisation in page.items),
    )


@bp.route("/ny", methods=["GET", "POST"])
@confirmed_required
@submitted_once  # a double click creates one
def new():
    form = OrganisationForm()
    return _save(
        form,
        "organisations/form.html",
        lambda details: services.create_organisation(current_user, details),
    )


@bp.route("/<int:organisation_id>/redigera", methods=["GET", "POST"])
@login_required
def edit(organisation_id: int):
    membership = member_of_or_403(organisation_id, admin=True)
    organisation = membership.organisation
    if request.method == "GET":
        form = OrganisationForm.for_organisation(organisation)
    else:
        form = OrganisationForm(organisation=organisation)
    return _save(
        form,
        "organisations/form.html",
        lambda details: services.update_organisation(organisation, current_user, details),
    )


def _save(form: OrganisationForm, template: str, save):
    """The create/edit pair: inline check (validate_only), save and redirect, or 422 with input kept."""
    if form.is_submitted() and request.form.get("validate_only"):
        form.validate()
        form.keep_errors_of_filled_fields()
        form.suggest_from_org_number()
        return _render_form(form, template), 422 if form.errors else 200
    name_taken = None
    if form.validate_on_submit():
        try:
            organisation = save(form.details())
        except services.NameTaken as error:
            form.name.errors.append(error.message)
            name_taken = error
        except services.DuplicateOrgNumber as error:
            form.org_number.errors.append(error.message)
        except services.InvalidDetails as error:
            form.form_errors.append(error.message)
        except services.NotAllowed:
            abort(403)
        else:
            if form.organisation is None:
                flash(_("Organisationen är skapad."), "success")
            else:
                flash(_("Uppgifterna om %(name)s är sparade.", name=organisation.name), "success")
            if organisation.public_body and not organisation.is_verified:
                # A region, municipality or county board: the next step is proving the domain.
                return see_other(
                    url_for("organisations.verification", organisation_id=organisation.id)
                )
            return see_other(_detail_url(organisation))
    form.suggest_from_org_number()
    return _render_form(form, template, name_taken), 422 if form.is_submitted() else 200


def _render_form(form: OrganisationForm, template: str, name_taken=None):
    if is_partial_request():
        form.limit_municipalities()  # htmx keeps the list in step with the county from here on
    return render_page(
        template,
        fragment="organisation_form",
        form=form,
        organisation=form.organisation,
        name_taken=name_taken,
    )


@bp.get("/<int:organisation_id>", defaults={"slug": ""})
@bp.get("/<int:organisation_id>-<slug>")
def detail(organisation_id: int, slug: str):
    organisation = db.get_or_404(Organisation, organisation_id)
    membership = services.membership_of(current_user, organisation.id)
    if organisation.is_hidden and membership is None and not _moderates(organisation):
        abort(404)  # hidden by a moderator: gone for the public
    if slug != organisation.slug:  # old names and bare ids lead to the one canonical address
        return redirect(_detail_url(organisation), code=301)
    open_ads, ended_ads = organisation_ads(organisation.id)
    return render_page(
        "organisations/detail.html",
        organisation=organisation,
        membership=membership,
        open_ads=open_ads,
        ended_ads=ended_ads,
        appeal=moderation.appeal_offer(viewer(), ContentKind.ORGANISATION, organisation),
        signed={organisation.id: agreements.confirmed_counties(organisation.id)},
        direct=contact.direct_state(viewer(), organisation),  # "Kontakta organisationen"
        join_problem=trust.join_problem(viewer(), organisation),
        join_pending=(
            current_user.is_authenticated
            and trust.open_join_request(current_user, organisation) is not None
        ),
        canonical_url=external_url(
            "organisations.detail", organisation_id=organisation.id, slug=organisation.slug
        ),
    )


def _moderates(organisation: Organisation) -> bool:
    """Its moderators still see a hidden organisation (with a notice)."""
    return moderation.can_moderate_content(current_user, ContentKind.ORGANISATION, organisation)


def _detail_url(organisation: Organisation) -> str:
    return url_for("organisations.detail", organisation_id=organisation.id, slug=organisation.slug)


@bp.get("/<int:organisation_id>/medlemmar")
@login_required
def members(organisation_id: int):
    membership = member_of_or_403(organisation_id)
    return _render_members(membership, InviteForm())


def _render_members(membership: Membership, invite_form: InviteForm, problem: str = ""):
    organisation = membership.organisation
    return render_page(
        "organisations/members.html",
        fragment="invite_form",
        organisation=organisation,
        membership=membership,
        members=services.members_of(organisation),
        invitations=services.pending_invitations(organisation) if membership.is_admin else [],
        join_requests=trust.pending_join_requests(organisation) if membership.is_admin else [],
        invite_form=invite_form,
        invite_days=services.invitation_days(),
        problem=problem,
    )


@bp.post("/<int:organisation_id>/medlemmar/bjud-in")
@login_required
@submitted_once  # a double click creates one
def invite(organisation_id: int):
    membership = member_of_or_403(organisation_id, admin=True)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            services.invite_member(membership.organisation, current_user, form.email.data)
        except services.AlreadyMember as error:
            form.email.errors.append(error.message)
        else:
            flash(_("Inbjudan är skickad till %(email)s.", email=form.email.data), "success")
            return see_other(url_for("organisations.members", organisation_id=organisation_id))
    return _render_members(membership, form), 422


def _target_membership(organisation_id: int, membership_id: int) -> Membership:
    """:raise 404: no such membership in this organisation."""
    target = db.session.get(Membership, membership_id)
    if target is None or target.organisation_id != organisation_id:
        abort(404)
    return target


def _member_action(own: Membership, target: Membership, action, done: str):
    """Run one change to a membership; a broken rule re-renders the members page with 422."""
    try:
        action(target)
    except services.NotAllowed:
        abort(403)
    except services.OrganisationError as error:
        return _render_members(own, InviteForm(formdata=None), problem=error.message), 422
    flash(done, "success")
    if services.membership_of(current_user, own.organisation_id) is None:  # the user left
        return see_other(url_for("organisations.mine"))
    return see_other(url_for("organisations.members", organisation_id=own.organisation_id))


@bp.post("/<int:organisation_id>/medlemmar/<int:membership_id>/ta-bort")
@login_required
def remove_member(organisation_id: int, membership_id: int):
    """Administrators remove members; every member may leave (remove themself)."""
    own = member_of_or_403(organisation_id)
    target = _target_membership(organisation_id, membership_id)
    leaving = target.id == own.id
    if not leaving and not own.is_admin:
        abort(403)
    done = _("Du har lämnat organisationen.") if leaving else _("Medlemmen är borttagen.")
    return _member_action(own, target, lambda m: services.remove_member(current_user, m), done)


@bp.post("/<int:organisation_id>/medlemmar/<int:membership_id>/roll")
@login_required
def change_role(organisation_id: int, membership_id: int):
    own = member_of_or_403(organisation_id, admin=True)
    target = _target_membership(organisation_id, membership_id)
    role = Role.ADMIN if request.form.get("role") == Role.ADMIN.value else Role.MEMBER
    return _member_action(
        own, target, lambda m: services.change_role(current_user, m, role), _("Rollen är ändrad.")
    )


@bp.post("/<int:organisation_id>/medlemmar/<int:membership_id>/overlamna")
@login_required
def hand_over(organisation_id: int, membership_id: int):
    own = member_of_or_403(organisation_id, admin=True)
    target = _target_membership(organisation_id, membership_id)
    return _member_action(
        own,
        target,
        lambda m: services.hand_over(current_user, m),
        _("Administratörsrollen är överlämnad. Du är nu medlem."),
    )


# Expired or used links are gone for good; a wrong account is forbidden; anything else is unknown.
_INVITATION_STATUS = {"expired": 410, "used": 410, "wrong_user": 403, "invalid": 404}


@bp.route("/inbjudan/<token>", methods=["GET", "POST"])
@login_required
def accept_invitation(token: str):
    """GET explains the invitation and offers a button; only the POST joins (link scanners GET)."""
    try:
        if request.method == "POST":
            membership = services.accept_invitation(current_user, token)
            flash(
                _("Välkommen! Du är nu medlem i %(name)s.", name=membership.organisation.name),
                "success",
            )
            return see_other(_detail_url(membership.organisation))
        invitation = services.invitation_for(current_user, token)
    except services.InvitationProblem as problem:
        status = _INVITATION_STATUS[problem.reason]
        return render_page(
            "organisations/invitation.html", problem=problem, invitation=None
        ), status
    return render_page("organisations/invitation.html", problem=None, invitation=invitation)


@bp.post("/agera-for")
@login_required
def act_for():
    organisation_id = request.form.get("organisation_id", type=int)
    if organisation_id is None:
        abort(404)
    db.get_or_404(Organisation, organisation_id)
    try:
        membership = services.set_acting_organisation(current_user, organisation_id)
    except services.NotAllowed:
        abort(403)
    flash(_("Du företräder nu %(name)s.", name=membership.organisation.name), "success")
    return see_other(safe_next(url_for("organisations.mine")))


@bp.get("/mina")
@login_required
def mine():
    return render_page(
        "organisations/mine.html",
        memberships=services.memberships_of(current_user),
        acting=services.acting_membership(current_user),
    )


@bp.post("/<int:organisation_id>/verifiera")
@site_admin_required
def verify(organisation_id: int):
    """A site administrator verifies directly (logged as a review); revoking needs a reason and
    goes through the revoke form."""
    organisation = db.get_or_404(Organisation, organisation_id)
    if organisation.is_verified:
        return see_other(url_for("organisations.verification", organisation_id=organisation.id))
    trust.verify_directly(current_user, organisation, request.form.get("reason", ""))
    flash(_("%(name)s är nu markerad som verifierad.", name=organisation.name), "success")
    return see_other(_detail_url(organisation))


# --- Verification ------------------------------------------------------------------------------


proof_limit = per_person_limit("RATELIMIT_DOMAIN_PROOF", "domain-proof")
join_limit = per_person_limit("RATELIMIT_JOIN", "join")


def _verification_page(
    organisation: Organisation,
    membership: Membership | None,
    *,
    application_form: ApplicationForm | None = None,
    appeal_form: AppealForm | None = None,
    revoke_form: RevokeForm | None = None,
    problem: str = "",
):
    user = viewer()
    latest = trust.latest_application(organisation)
    if application_form is None:
        application_form = ApplicationForm(
            formdata=None, data=ApplicationForm.defaults(organisation, user)
        )
    return render_page(
        "organisations/verification.html",
        organisation=organisation,
        membership=membership,
        body=names.public_bodies().get(organisation.public_body or ""),
        provable=trust.provable_domain(organisation, user) if membership else None,
        proof_problem=trust.domain_proof_problem(organisation, user) if membership else "",
        latest=latest,
        application_form=application_form,
        appeal_form=appeal_form or AppealForm(formdata=None),
        revoke_form=revoke_form or RevokeForm(formdata=None),
        problem=problem,
    )


def _verification_access(organisation_id: int) -> tuple[Organisation, Membership | None]:
    """Members and site administrators; :raise 403/404: anyone else."""
    organisation = db.get_or_404(Organisation, organisation_id)
    membership = services.membership_of(current_user, organisation.id)
    if membership is None and not current_user.is_site_admin:
        abort(403)
    return organisation, membership


@bp.get("/<int:organisation_id>/verifiering")
@login_required
def verification(organisation_id: int):
    organisation, membership = _verification_access(organisation_id)
    return _verification_page(organisation, membership)


@bp.post("/<int:organisation_id>/verifiering/doman")
@login_required
@proof_limit
def prove_domain(organisation_id: int):
    organisation, membership = _verification_access(organisation_id)
    try:
        domain = trust.send_domain_proof(organisation, current_user)
    except services.NotAllowed:
        abort(403)
    except trust.TrustProblem as error:
        return _verification_page(organisation, membership, problem=error.message), 422
    flash(
        _(
            "Vi har skickat en länk till %(email)s. Öppna den för att verifiera %(domain)s.",
            email=current_user.email,
            domain=domain,
        ),
        "success",
    )
    return see_other(url_for("organisations.verification", organisation_id=organisation.id))


@bp.route("/doman/<token>", methods=["GET", "POST"])
@login_required
def confirm_domain(token: str):
    """GET explains and offers a button; only the POST verifies (link scanners GET)."""
    try:
        if request.method == "POST":
            organisation = trust.confirm_domain_proof(current_user, token)
            flash(
                _(
                    "%(name)s är verifierad via e-postdomänen %(domain)s.",
                    name=organisation.name,
                    domain=organisation.verified_domain,
                ),
                "success",
            )
            return see_other(_detail_url(organisation))
        organisation, domain = trust.domain_proof_for(current_user, token)
    except trust.ProofLinkProblem as problem:
        return render_page(
            "organisations/confirm_domain.html",
            problem=problem.message,
            organisation=None,
            domain="",
        ), problem.status
    return render_page(
        "organisations/confirm_domain.html", problem="", organisation=organisation, domain=domain
    )


@bp.post("/<int:organisation_id>/verifiering/ansok")
@login_required
def apply_for_verification(organisation_id: int):
    membership = member_of_or_403(organisation_id, admin=True)
    organisation = membership.organisation
    form = ApplicationForm()
    if form.validate_on_submit():
        try:
            trust.submit_application(organisation, current_user, form.details())
        except services.InvalidDetails as error:
            form.org_number.errors.append(error.message)
        except trust.TrustProblem as error:
            form.form_errors.append(error.message)
        else:
            flash(_("Ansökan är skickad. Du får ett mejl när den är granskad."), "success")
            return see_other(url_for("organisations.verification", organisation_id=organisation_id))
    return _verification_page(organisation, membership, application_form=form), 422


@bp.post("/<int:organisation_id>/verifiering/<int:application_id>/omprovning")
@login_required
def appeal_verification(organisation_id: int, application_id: int):
    membership = member_of_or_403(organisation_id, admin=True)
    application = db.get_or_404(VerificationApplication, application_id)
    if application.organisation_id != organisation_id:
        abort(404)
    form = AppealForm()
    if form.validate_on_submit():
        try:
            trust.appeal_application(current_user, application, form.text.data)
        except trust.TrustProblem as error:
            form.text.errors.append(error.message)
        else:
            flash(_("Omprövningen är begärd. Du får ett mejl med beslutet."), "success")
            return see_other(url_for("organisations.verification", organisation_id=organisation_id))
    return _verification_page(membership.organisation, membership, appeal_form=form), 422


@bp.post("/<int:organisation_id>/verifiering/aterkalla")
@site_admin_required
def revoke_verification(organisation_id: int):
    organisation = db.get_or_404(Organisation, organisation_id)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            trust.revoke_verification(current_user, organisation, form.reason.data)
        except trust.TrustProblem as error:
            form.reason.errors.append(error.message)
        else:
            flash(_("Verifieringen av %(name)s är borttagen.", name=organisation.name), "success")
            return see_other(_detail_url(organisation))
    membership = services.membership_of(current_user, organisation.id)
    return _verification_page(organisation, membership, revoke_form=form), 422


@bp.get("/granskning")
@login_required
def review_queue():
    if not trust.may_review_any(current_user):
        abort(403)
    return _review_page(DecisionForm(formdata=None), None, OfficialDomainForm(formdata=None))


def _review_page(form: DecisionForm, failed: int | None, domain_form: OfficialDomainForm):
    return render_page(
        "organisations/review.html",
        applications=trust.review_queue(current_user),
        form=form,
        failed=failed,
        domain_form=domain_form,
        added_domains=services.added_official_domains() if current_user.is_site_admin else [],
        bodies=names.public_bodies(),
    )


@bp.post("/granskning/domaner")
@site_admin_required
def add_official_domain():
    form = OfficialDomainForm()
    if form.validate_on_submit():
        try:
            services.add_official_domain(current_user, form.body.data, form.domain.data)
        except services.InvalidDetails as error:
            form.domain.errors.append(error.message)
        else:
            flash(_("Domänen %(domain)s är tillagd.", domain=form.domain.data.lower()), "success")
            return see_other(url_for("organisations.review_queue"))
    return _review_page(DecisionForm(formdata=None), None, form), 422


@bp.post("/granskning/domaner/<int:domain_id>/ta-bort")
@site_admin_required
def remove_official_domain(domain_id: int):
    removed = services.remove_official_domain(current_user, domain_id)
    if removed is None:
        flash(_("Domänen var redan borttagen."), "info")
    else:
        flash(_("Domänen %(domain)s är borttagen.", domain=removed.domain), "success")
    return see_other(url_for("organisations.review_queue"))


@bp.post("/granskning/<int:application_id>")
@login_required
def decide_application(application_id: int):
    application = db.get_or_404(VerificationApplication, application_id)
    if not trust.can_review(current_user, application):
        abort(403)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            trust.decide_application(
                current_user, application, form.decision.data == "approve", form.reason.data
            )
        except trust.TrustProblem as error:
            form.reason.errors.append(error.message)
        else:
            flash(
                _(
                    "Beslutet är sparat och skickat till %(name)s.",
                    name=application.organisation.name,
                ),
                "success",
            )
            return see_other(url_for("organisations.review_queue"))
    return _review_page(form, application.id, OfficialDomainForm(formdata=None)), 422


# --- Join requests -----------------------------------------------------------------------------


@bp.route("/<int:organisation_id>/ga-med", methods=["GET", "POST"])
@confirmed_required
@join_limit
def join(organisation_id: int):
    organisation = db.get_or_404(Organisation, organisation_id)
    if organisation.is_hidden:
        abort(404)
    form = JoinForm()
    if form.validate_on_submit():
        try:
            join_request = trust.request_to_join(
                current_user, organisation, form.message.data or ""
            )
        except trust.TrustProblem as error:
            form.message.errors.append(error.message)
        else:
            if join_request.is_pending:
                flash(
                    _(
                        "Din förfrågan är skickad till administratörerna för %(name)s.",
                        name=organisation.name,
                    ),
                    "success",
                )
            else:
                flash(
                    _("Välkommen! Du är nu medlem i %(name)s.", name=organisation.name), "success"
                )
            return see_other(_detail_url(organisation))
    status = 422 if form.is_submitted() else 200
    return render_page(
        "organisations/join.html",
        organisation=organisation,
        form=form,
        problem=trust.join_problem(current_user, organisation),
    ), status


@bp.post("/<int:organisation_id>/medlemmar/forfragningar/<int:request_id>")
@login_required
def answer_join_request(organisation_id: int, request_id: int):
    own = member_of_or_403(organisation_id, admin=True)
    join_request = db.get_or_404(JoinRequest, request_id)
    if join_request.organisation_id != organisation_id:
        abort(404)
    approve = request.form.get("answer") == "approve"
    try:
        trust.decide_join_request(current_user, join_request, approve)
    except services.NotAllowed:
        abort(403)
    except trust.TrustProblem as error:
        return _render_members(own, InviteForm(formdata=None), problem=error.message), 422
    if approve:
        flash(_("%(person)s är nu medlem.", person=join_request.user.name), "success")
    else:
        flash(_("Förfrågan från %(person)s är avböjd.", person=join_request.user.name), "success")
    return see_other(url_for("organisations.members", organisation_id=organisation_id))
