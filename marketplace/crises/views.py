"""Crisis pages: /kris (list), /kris/<slug> with its feed and embed, declaring, extending and
ending (moderators), tagging ads (moderators), and the organisations' crisis alert setting."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.accounts.decorators import confirmed_required, current_account, viewer
from marketplace.ads import services as ad_services
from marketplace.ads.decorators import visible_ad_or_404
from marketplace.clock import today, utcnow
from marketplace.crises import services
from marketplace.crises.forms import (
    AlertSettingForm,
    DeclareForm,
    EndForm,
    ExtendForm,
    MunicipalityFilterForm,
    TagForm,
)
from marketplace.crises.models import Crisis
from marketplace.extensions import csrf
from marketplace.forms import add_service_errors as add_errors
from marketplace.htmx import render_page, see_other
from marketplace.organisations.decorators import member_of_or_403
from marketplace.security import allow_framing
from marketplace.urls import ad_url, external_url

bp = Blueprint("crises", __name__, url_prefix="/kris")

FEED_SIZE = 50
EMBED_SIZE = 10


def _crisis_or_404(slug: str) -> Crisis:
    crisis = services.crisis_by_slug(slug)
    if crisis is None:
        abort(404)
    return crisis


def _managed_or_403(slug: str) -> Crisis:
    """:raise 404: no such crisis. :raise 403: the user may not extend or end it."""
    crisis = _crisis_or_404(slug)
    if not services.may_manage(viewer(), crisis):
        abort(403)
    return crisis


@bp.get("")
def index():
    crises = services.all_crises()
    return render_page(
        "crises/index.html",
        crises=crises,
        counts=services.counts([crisis.id for crisis in crises]),
        today=today(),
        may_declare=services.may_declare(viewer()),
    )


@bp.route("/ny", methods=["GET", "POST"])
@confirmed_required
def new():
    allowed = services.declarable_counties(current_account())
    if allowed == set():
        abort(403)
    form = DeclareForm(allowed=allowed)
    if form.validate_on_submit():
        try:
            crisis = services.declare_crisis(current_account(), **form.fields())
        except services.NotAllowed:
            abort(403)
        except services.CrisisError as error:
            add_errors(form, error.errors)
        else:
            flash(_("Krisen ”%(name)s” är utlyst.", name=crisis.name), "success")
            return see_other(url_for("crises.detail", slug=crisis.slug))
    return render_page("crises/new.html", fragment="crisis_form", form=form), (
        422 if form.is_submitted() else 200
    )


@bp.get("/<slug>")
def detail(slug: str):
    crisis = _crisis_or_404(slug)
    places = services.crisis_municipalities(crisis)
    filter_form = MunicipalityFilterForm(places)
    page = services.crisis_page(crisis, filter_form.kommun.data or None)
    return render_page(
        "crises/detail.html",
        fragment="crisis_ads",
        page=page,
        crisis=crisis,
        area=services.area(crisis),
        filter_form=filter_form,
        may_manage=services.may_manage(viewer(), crisis),
        today=today(),
    )


@bp.get("/<slug>/flode.atom")
def feed(slug: str):
    crisis = _crisis_or_404(slug)
    ads = services.feed_ads(crisis, FEED_SIZE)
    body = render_template(
        "crises/feed.xml",
        crisis=crisis,
        ads=ads,
        updated=max((ad.updated_at for ad in ads), default=None) or crisis.updated_at or utcnow(),
        feed_url=external_url("crises.feed", slug=crisis.slug),
        page_url=external_url("crises.detail", slug=crisis.slug),
    )
    response = make_response(body)
    response.mimetype = "application/atom+xml"
    return response


@bp.get("/<slug>/inbaddning")
def embed(slug: str):
    """The crisis's newest ads for other sites' frames (same rules as /inbaddning)."""
    crisis = _crisis_or_404(slug)
    body = render_template(
        "crises/widget.html",
        crisis=crisis,
        active=crisis.is_active(today()),
        ads=services.feed_ads(crisis, EMBED_SIZE),
        page_url=external_url("crises.detail", slug=crisis.slug),
    )
    response = make_response(body)
    response.headers["Cache-Control"] = "public, max-age=300"
    return allow_framing(response, current_app.config["EMBED_FRAME_ANCESTORS"])


@bp.route("/<slug>/forlang", methods=["GET", "POST"])
@confirmed_required
def extend(slug: str):
    crisis = _managed_or_403(slug)
    form = ExtendForm()
    if not form.is_submitted():
        form.ends_on.data = services.latest_extension(crisis)
    if form.validate_on_submit():
        try:
            services.extend_crisis(current_account(), crisis, form.ends_on.data, form.reason.data)
        except services.NotAllowed:
            abort(403)
        except services.CrisisError as error:
            add_errors(form, error.errors)
        else:
            flash(
                _("Krisen gäller nu till och med %(date)s.", date=format_date(crisis.ends_on)),
                "success",
            )
            return see_other(url_for("crises.detail", slug=crisis.slug))
    return render_page(
        "crises/extend.html", crisis=crisis, form=form, latest=services.latest_extension(crisis)
    ), 422 if form.is_submitted() else 200


@bp.route("/<slug>/avsluta", methods=["GET", "POST"])
@confirmed_required
def end(slug: str):
    crisis = _managed_or_403(slug)
    form = EndForm()
    if form.validate_on_submit():
        try:
            services.end_crisis(current_account(), crisis, form.reason.data)
        except services.NotAllowed:
            abort(403)
        except services.CrisisError as error:
            add_errors(form, error.errors)
        else:
            flash(_("Krisen är avslutad."), "success")
            return see_other(url_for("crises.detail", slug=crisis.slug))
    return render_page("crises/end.html", crisis=crisis, form=form), (
        422 if form.is_submitted() else 200
    )


@bp.post("/annons/<int:ad_id>")
@confirmed_required
def tag(ad_id: int):
    """A moderator adds or removes an ad's crisis tag (members use the ad form)."""
    ad = visible_ad_or_404(ad_id)
    if not services.may_tag_as_moderator(current_account(), ad):
        abort(403)
    form = TagForm()
    form.offer(services.active_crises(today()))
    slug = form.crisis.data or ""
    try:
        if slug:
            crisis = services.crisis_by_slug(slug)
            if crisis is None:
                raise services.CrisisError({"crisis": _("Välj en kris i listan.")})
            services.tag_ad(current_account(), ad, crisis)
            flash(_("Annonsen är kopplad till krisen ”%(name)s”.", name=crisis.name), "success")
        else:
            services.untag_ad(current_account(), ad)
            flash(_("Annonsen är inte längre kopplad till någon kris."), "success")
    except services.NotAllowed:
        abort(403)
    except services.CrisisError as error:
        for message in error.errors.values():
            flash(message, "error")
    return see_other(ad_url(ad))


@bp.get("/bevakning")
@confirmed_required
def my_settings():
    """The crisis alert setting of the organisation the user acts for."""
    organisation = ad_services.acting_organisation(current_user)
    if organisation is None:
        return render_page("ads/need_organisation.html")
    return redirect(url_for("crises.settings", organisation_id=organisation.id), code=303)


@bp.route("/bevakning/<int:organisation_id>", methods=["GET", "POST"])
@confirmed_required
def settings(organisation_id: int):
    """An organisation's crisis alerts for its county (any member may change them).

    :raise 404: no such organisation. :raise 403: not a member of it.
    """
    organisation = member_of_or_403(organisation_id).organisation
    form = AlertSettingForm()
    if form.validate_on_submit():
        services.set_alerts(organisation, bool(form.enabled.data))
        flash(
            _("Krisbevakningen är på.") if form.enabled.data else _("Krisbevakningen är av."),
            "success",
        )
        return see_other(url_for("crises.settings", organisation_id=organisation.id))
    if not form.is_submitted():
        form.enabled.data = services.alerts_enabled(organisation)
    return render_page(
        "crises/settings.html",
        organisation=organisation,
        form=form,
        default_on=services.alerts_on_by_default(organisation),
    )


@bp.route("/bevakning/avsluta/<token>", methods=["GET", "POST"])
@csrf.exempt  # one-click unsubscribe (RFC 8058): the signed token is the proof
def unsubscribe(token: str):
    """GET asks (mail scanners follow links); POST, from the page or a mail client, turns off.

    :raise 404: the token was altered or its organisation is gone.
    """
    setting = services.setting_for_token(token)
    organisation = services.organisation_of(setting) if setting is not None else None
    if setting is None or organisation is None:
        page = render_page("crises/unsubscribe.html", setting=None, organisation=None, token=token)
        return page, 404
    if request.method == "POST":
        services.unsubscribe(setting)
        flash(
            _("Klart! %(name)s får inga fler krisbevakningar.", name=organisation.name), "success"
        )
        return see_other(url_for("crises.unsubscribe", token=token))
    return render_page(
        "crises/unsubscribe.html", setting=setting, organisation=organisation, token=token
    )
