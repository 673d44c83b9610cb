"""Organisation pages: the directory, profiles, registration and editing, members and invitations."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.accounts.decorators import confirmed_required, site_admin_required, viewer
from marketplace.agreements import services as agreements
from marketplace.extensions import db
from marketplace.htmx import is_partial_request, render_page, see_other
from marketplace.moderation import services as moderation
from marketplace.moderation.models import ContentKind
from marketplace.organisations import services
from marketplace.organisations.decorators import member_of_or_403
from marketplace.organisations.forms import DirectoryForm, InviteForm, OrganisationForm
from marketplace.organisations.models import Membership, Organisation, Role
from marketplace.security import safe_next
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
    if form.validate_on_submit():
        try:
            organisation = save(form.details())
        except services.DuplicateOrgNumber as error:
            form.org_number.errors.append(error.message)
        except services.InvalidDetails as error:
            form.form_errors.append(error.message)
        except services.NotAllowed:
            abort(403)
        else:
            flash(_("Uppgifterna om %(name)s är sparade.", name=organisation.name), "success")
            return see_other(_detail_url(organisation))
    form.suggest_from_org_number()
    return _render_form(form, template), 422 if form.is_submitted() else 200


def _render_form(form: OrganisationForm, template: str):
    if is_partial_request():
        form.limit_municipalities()  # htmx keeps the list in step with the county from here on
    return render_page(
        template, fragment="organisation_form", form=form, organisation=form.organisation
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
    return render_page(
        "organisations/detail.html",
        organisation=organisation,
        membership=membership,
        appeal=moderation.appeal_offer(viewer(), ContentKind.ORGANISATION, organisation),
        signed={organisation.id: agreements.confirmed_counties(organisation.id)},
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
        invite_form=invite_form,
        invite_days=services.invitation_days(),
        problem=problem,
    )


@bp.post("/<int:organisation_id>/medlemmar/bjud-in")
@login_required
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
    flash(_("Du agerar nu för %(name)s.", name=membership.organisation.name), "success")
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
    organisation = db.get_or_404(Organisation, organisation_id)
    try:
        verified = services.toggle_verified(current_user, organisation)
    except services.NotAllowed:
        abort(403)
    if verified:
        flash(_("%(name)s är nu markerad som verifierad.", name=organisation.name), "success")
    else:
        flash(_("Verifieringen av %(name)s är borttagen.", name=organisation.name), "success")
    return see_other(_detail_url(organisation))
