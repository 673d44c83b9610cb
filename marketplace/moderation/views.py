"""Moderation pages: "Rapportera" (/rapportera/…), "Begär omprövning" (/omprovning/…), the queue
and decisions (/moderering/…)."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from marketplace import reference
from marketplace.accounts.decorators import current_account, site_admin_required
from marketplace.accounts.models import User
from marketplace.extensions import db, limiter, login_manager
from marketplace.htmx import render_page, see_other
from marketplace.moderation import labels, services
from marketplace.moderation.forms import (
    AppealForm,
    DecisionForm,
    ModeratorForm,
    ReinstateForm,
    ReportForm,
    SuspendByEmailForm,
    SuspendForm,
)
from marketplace.moderation.models import ContentKind, CountyModerator, Report, ReportReason
from marketplace.moderation.services import Decision
from marketplace.notifications import services as notifications
from marketplace.submissions import submitted_once

bp = Blueprint("moderation", __name__)

MAX_PAGE = 10_000


def _rate_key() -> str:
    # Per person: many people in one office share an IP address.
    if current_user.is_authenticated:
        return f"report:{current_user.id}"
    return get_remote_address()


# Only reports that went through count: fixing a missing description costs nothing.
report_limit = limiter.limit(
    lambda: current_app.config["RATELIMIT_REPORT"],
    key_func=_rate_key,
    methods=["POST"],
    deduct_when=lambda response: response.status_code < 400,
)


def _appeal_rate_key() -> str:
    return f"appeal:{current_user.id}" if current_user.is_authenticated else get_remote_address()


# Appeals have an allowance of their own, as large as the one for reports.
appeal_limit = limiter.limit(
    lambda: current_app.config["RATELIMIT_REPORT"],
    key_func=_appeal_rate_key,
    methods=["POST"],
    deduct_when=lambda response: response.status_code < 400,
)


def moderator_required(view):
    """Site administrators and county moderators; others get 403 (anonymous users log in)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not services.is_moderator(current_account()):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def _page_number() -> int:
    return min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)


# --- Reporting ------------------------------------------------------------------------------


def _content_path(kind: ContentKind, content) -> str:
    if kind is ContentKind.AD:
        return url_for("ads.detail", ad_id=content.id, slug=content.slug)
    if kind is ContentKind.ORGANISATION:
        return url_for("organisations.detail", organisation_id=content.id, slug=content.slug)
    return url_for("contact.detail", conversation_id=content.conversation_id)


@bp.route("/rapportera/<kind_slug>/<int:target_id>", methods=["GET", "POST"])
@login_required
@report_limit
@submitted_once  # a double click creates one
def report(kind_slug: str, target_id: int):
    kind = labels.KIND_BY_SLUG.get(kind_slug)
    if kind is None:
        abort(404)
    content = services.reportable(current_account(), kind, target_id)
    if content is None:  # missing, hidden already, or a message the user cannot see
        abort(404)
    form = ReportForm()
    back_url = _content_path(kind, content)
    if form.validate_on_submit():
        services.report_content(
            current_account(), kind, content, ReportReason(form.reason.data), form.text.data
        )
        flash(
            _(
                "Tack för din rapport! Moderatorerna granskar den, och du får e-post när den är "
                "avgjord."
            ),
            "success",
        )
        return see_other(back_url)
    return render_page(
        "moderation/report.html",
        fragment="report_form",
        form=form,
        kind=kind,
        label=services.content_label(kind, content),
        target_id=target_id,
        kind_slug=kind_slug,
        back_url=back_url,
    ), 422 if form.is_submitted() else 200


# --- Appeals --------------------------------------------------------------------------------


@bp.route("/omprovning/<kind_slug>/<int:target_id>", methods=["GET", "POST"])
@login_required
@appeal_limit
@submitted_once  # a double click creates one
def appeal(kind_slug: str, target_id: int):
    """ "Begär omprövning": the people behind hidden content ask the moderators to look again."""
    kind = labels.KIND_BY_SLUG.get(kind_slug)
    if kind is None:
        abort(404)
    # Missing, not hidden, or not theirs: 404, so nobody learns what is hidden.
    content = services.appealable(current_account(), kind, target_id)
    if content is None:
        abort(404)
    form = AppealForm()
    back_url = _content_path(kind, content)
    pending = services.open_appeal(kind, content)
    status = 200
    if form.is_submitted():
        status = 409 if pending is not None else 422
    if pending is None and form.validate_on_submit():
        try:
            services.appeal(current_account(), kind, content, form.text.data)
        except services.NotAllowed:
            abort(404)
        except services.AppealPending:
            pending, status = services.open_appeal(kind, content), 409
        else:
            flash(
                _(
                    "Din begäran om omprövning är skickad. En moderator tittar på den, och du "
                    "får e-post om beslutet."
                ),
                "success",
            )
            return see_other(back_url)
    return render_page(
        "moderation/appeal.html",
        fragment="appeal_form",
        form=form,
        kind=kind,
        kind_slug=kind_slug,
        target_id=target_id,
        label=services.content_label(kind, content),
        hidden_reason=content.hidden_reason,
        pending=pending,
        back_url=back_url,
    ), status


# --- The queue and decisions ----------------------------------------------------------------


@bp.get("/moderering")
@moderator_required
def index():
    handled = request.args.get("visa") == "hanterade"
    page = db.paginate(
        services.queue(current_account(), handled=handled),
        page=_page_number(),
        per_page=current_app.config["PER_PAGE"],
        error_out=False,
    )
    return render_page(
        "moderation/index.html",
        page=page,
        handled=handled,
        counties=sorted(services.moderated_counties(current_account())),
    )


def _report_or_403(report_id: int) -> Report:
    """The report, for one of its moderators.

    :raise 404: no such report.
    :raise 403: the user does not moderate the reported content.
    """
    report = services.get_report(report_id)
    if report is None:
        abort(404)
    if not services.can_moderate(current_account(), report):
        abort(403)
    return report


def _suspendable(report: Report) -> list[User]:
    """The people behind the content whom the site administrator may suspend now."""
    me = current_account()
    if not me.is_site_admin:
        return []
    return [
        person
        for person in services.people_behind(report)
        if person.id != me.id and not person.is_suspended
    ]


def _render_detail(
    report: Report,
    decision_form: DecisionForm | None = None,
    suspend_form: SuspendForm | None = None,
):
    people = _suspendable(report)
    return render_page(
        "moderation/detail.html",
        report=report,
        content=report.content,
        reports=services.reports_about(report),
        decision_form=decision_form
        or DecisionForm(formdata=None, decisions=services.decisions_for(report)),
        suspend_form=suspend_form or SuspendForm(formdata=None, people=people),
        people=people,
    )


@bp.get("/moderering/rapporter/<int:report_id>")
@moderator_required
def detail(report_id: int):
    return _render_detail(_report_or_403(report_id))


_DONE = {
    Decision.HIDE: lambda: _(
        "Innehållet är dolt. De som rapporterade det och de som publicerade det får e-post."
    ),
    Decision.RESTORE: lambda: _(
        "Innehållet är återställt och syns igen. De som publicerade det får e-post."
    ),
    Decision.DISMISS: lambda: _("Rapporterna är avvisade. De som rapporterade får e-post."),
    Decision.KEEP_HIDDEN: lambda: _(
        "Innehållet förblir dolt. Den som begärde omprövning får e-post med din motivering."
    ),
}


@bp.post("/moderering/rapporter/<int:report_id>/beslut")
@moderator_required
def decide(report_id: int):
    report = _report_or_403(report_id)
    form = DecisionForm(decisions=services.decisions_for(report))
    if form.validate_on_submit():
        try:
            services.decide(current_account(), report, form.decision.data, form.reason.data)
        except services.NotAllowed:
            abort(403)
        except services.ModerationError as error:
            form.form_errors.append(error.message)
        else:
            flash(_DONE[form.decision.data](), "success")
            return see_other(url_for("moderation.index"))
    return _render_detail(report, decision_form=form), 422


@bp.post("/moderering/rapporter/<int:report_id>/stang-av")
@site_admin_required
def suspend_from_report(report_id: int):
    report = _report_or_403(report_id)
    people = _suspendable(report)
    form = SuspendForm(people=people)
    if form.validate_on_submit():
        user = next(person for person in people if str(person.id) == form.user_id.data)
        try:
            services.suspend_user(current_account(), user, form.reason.data, report)
        except services.NotAllowed:
            abort(403)
        except services.ModerationError as error:
            form.form_errors.append(error.message)
        else:
            flash(_("Kontot för %(name)s är avstängt.", name=user.name), "success")
            return see_other(url_for("moderation.detail", report_id=report.id))
    return _render_detail(report, suspend_form=form), 422


# --- E-mail that could not be delivered (site administrators) -----------------------------


@bp.get("/moderering/e-post")
@site_admin_required
def failed_mail():
    return render_page(
        "moderation/failed_mail.html",
        emails=notifications.failed_emails(),
        max_attempts=notifications.MAX_ATTEMPTS,
    )


@bp.post("/moderering/e-post/skicka-igen")
@site_admin_required
def retry_failed_mail():
    """Queue one failed e-mail (`id`) or all of them again; repeating it does nothing more."""
    email_id = request.form.get("id", type=int)
    count = notifications.requeue_failed([email_id] if email_id is not None else None)
    if count:
        message = ngettext(
            "%(num)d e-postmeddelande har köats igen.",
            "%(num)d e-postmeddelanden har köats igen.",
            count,
        )
        flash(message, "success")
    else:
        flash(_("Inget e-postmeddelande behövde köas igen."), "info")
    return see_other(url_for("moderation.failed_mail"))


# --- Accounts (site administrators) ---------------------------------------------------------


def _render_accounts(suspend_form: SuspendByEmailForm | None = None, failed=None):
    """The suspended accounts with a reinstate form each; `failed` is (user_id, bound form)."""
    accounts = services.suspended_accounts()
    forms = {
        user.id: ReinstateForm(formdata=None, prefix=f"reinstate-{user.id}") for user in accounts
    }
    if failed is not None:
        forms[failed[0]] = failed[1]
    return render_page(
        "moderation/accounts.html",
        accounts=accounts,
        reinstate_forms=forms,
        suspend_form=suspend_form or SuspendByEmailForm(formdata=None),
    )


@bp.get("/moderering/konton")
@site_admin_required
def accounts():
    return _render_accounts()


@bp.post("/moderering/konton/stang-av")
@site_admin_required
def suspend():
    form = SuspendByEmailForm()
    if form.validate_on_submit():
        user = services.find_account(form.email.data)
        if user is None:
            form.email.errors.append(_("Det finns inget konto med den e-postadressen."))
        else:
            try:
                services.suspend_user(current_account(), user, form.reason.data)
            except services.NotAllowed:
                abort(403)
            except services.ModerationError as error:
                form.form_errors.append(error.message)
            else:
                flash(_("Kontot för %(name)s är avstängt.", name=user.name), "success")
                return see_other(url_for("moderation.accounts"))
    return _render_accounts(suspend_form=form), 422


@bp.post("/moderering/konton/<int:user_id>/ateraktivera")
@site_admin_required
def reinstate(user_id: int):
    user = db.get_or_404(User, user_id)
    form = ReinstateForm(prefix=f"reinstate-{user.id}")
    if form.validate_on_submit():
        try:
            services.reinstate_user(current_account(), user, form.reason.data)
        except services.NotAllowed:
            abort(403)
        except services.ModerationError as error:
            form.form_errors.append(error.message)
        else:
            flash(_("Kontot för %(name)s är återaktiverat.", name=user.name), "success")
            return see_other(url_for("moderation.accounts"))
    if not user.is_suspended:
        abort(409)
    return _render_accounts(failed=(user.id, form)), 422


# --- County moderators and the log (site administrators) ------------------------------------


@bp.route("/moderering/moderatorer", methods=["GET", "POST"])
@site_admin_required
def moderators():
    form = ModeratorForm()
    if form.validate_on_submit():
        try:
            assignment = services.assign_moderator(
                current_account(), form.email.data, form.county.data
            )
        except services.NotAllowed:
            abort(403)
        except services.NoSuchAccount as error:
            form.email.errors.append(error.message)
        except services.ModerationError as error:
            form.form_errors.append(error.message)
        else:
            flash(
                _(
                    "%(name)s är nu moderator för %(county)s.",
                    name=assignment.user.name,
                    county=reference.county_name(assignment.county_code),
                ),
                "success",
            )
            return see_other(url_for("moderation.moderators"))
    return render_page(
        "moderation/moderators.html",
        fragment="moderator_form",
        form=form,
        assignments=services.moderator_assignments(),
    ), 422 if form.is_submitted() else 200


@bp.post("/moderering/moderatorer/<int:user_id>/<county_code>/ta-bort")
@site_admin_required
def remove_moderator(user_id: int, county_code: str):
    assignment = db.session.get(CountyModerator, (user_id, county_code))
    if assignment is None:
        abort(404)
    name = assignment.user.name
    try:
        services.remove_moderator(current_account(), assignment)
    except services.NotAllowed:
        abort(403)
    flash(
        _(
            "%(name)s är inte längre moderator för %(county)s.",
            name=name,
            county=reference.county_name(county_code),
        ),
        "success",
    )
    return see_other(url_for("moderation.moderators"))


@bp.get("/moderering/logg")
@site_admin_required
def log():
    page = db.paginate(
        services.log_query(),
        page=_page_number(),
        per_page=50,
        error_out=False,
    )
    return render_page("moderation/log.html", page=page)
