"""Ad pages: search (/annonser) and its Atom feed, posting, the ad page, and members' controls."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import (
    Blueprint,
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
from flask_limiter.util import get_remote_address
from flask_login import current_user

from marketplace import language
from marketplace.accounts.decorators import confirmed_required, viewer
from marketplace.ads import services
from marketplace.ads.decorators import own_ad_or_403, visible_ad_or_404
from marketplace.ads.forms import AdForm, CloseForm, ConfirmForm
from marketplace.ads.models import Ad, AdStatus
from marketplace.clock import today, utcnow
from marketplace.contact.forms import interest_panel
from marketplace.crises import services as crises
from marketplace.crises.forms import TagForm
from marketplace.extensions import limiter
from marketplace.htmx import is_partial_request, render_page, see_other
from marketplace.moderation import services as moderation
from marketplace.moderation import spam
from marketplace.moderation.models import ContentKind
from marketplace.search.filters import filter_panel
from marketplace.search.forms import AdSearchForm
from marketplace.search.services import relaxations, search_ads
from marketplace.submissions import submitted_once
from marketplace.urls import ad_url, external_url

bp = Blueprint("ads", __name__, url_prefix="/annonser")

FEED_SIZE = 50


# What url_for leaves unescaped in a query string (werkzeug's, after the WHATWG URL standard).
_QUERY_SAFE = "!$'()*,/:;?@"


def toggle_filter_url(name: str, value: str, single: bool = False) -> str:
    """The search URL with one filter value switched on or off (page reset to the first).

    The same address url_for would build, without building it for each of a page's dozens of
    facet links: the route's path is looked up once per request (make bench).
    """
    cached = request.environ.get("samverkanstorget.search_links")  # once per request
    if cached is None:
        base_args = request.args.to_dict(flat=False)
        base_args.pop("page", None)
        cached = request.environ["samverkanstorget.search_links"] = (
            url_for("ads.index"),
            base_args,
        )
    path, base_args = cached
    args = {key: list(values) for key, values in base_args.items()}
    values = args.get(name, [])
    if value in values:
        values = [v for v in values if v != value]
    else:
        values = [value] if single else [*values, value]
    if name == "county":
        args.pop("municipality", None)
    if values:
        args[name] = values
    else:
        args.pop(name, None)
    pairs = [(key, item) for key, items in args.items() for item in items]
    if not pairs:
        return path
    return f"{path}?{urlencode(pairs, safe=_QUERY_SAFE)}"


@bp.get("")
def index():
    form = AdSearchForm()
    query = form.to_query()
    query.live = is_partial_request()  # typing in the live search: the last word as a prefix
    result = search_ads(
        query,
        page=form.page_number(),
        per_page=current_app.config["PER_PAGE"],
        load_items=False,  # the cards come from plain rows and the cache (ads/cards.py)
    )
    args = request.args.to_dict(flat=False)
    args.pop("page", None)
    chosen = active_filters(form)
    wider = relaxations(query) if result.total == 0 and (chosen or query.text) else []
    return render_page(
        "ads/index.html",
        fragment="results",
        form=form,
        result=result,
        banner_crises=crises.banner_crises(query.county),
        search_crisis=crises.crisis_by_slug(query.crisis) if query.crisis else None,
        chosen=chosen,
        suggestions=[_suggestion(form, item) for item in wider],
        live_update=is_partial_request(),  # the fragment then also refreshes the filter counts
        feed_url=url_for("ads.feed", **args),
        swedish=swedish_suggestion(form.q.data),
        save_search_url=save_search_url(),
        toggle_filter_url=toggle_filter_url,
        filter_panel=filter_panel,  # drawn once per language, filter values and counts
    )


FILTER_FIELDS = ("kind", "challenge", "county", "municipality", "seeking", "sector")


def _choice_label(field, value: str) -> str:
    for choice in field.choices or []:
        choice_value, label = (
            (choice.value, choice.label) if hasattr(choice, "value") else choice[:2]
        )
        if str(choice_value) == value:
            return str(label)
    return value


def active_filters(form: AdSearchForm) -> list[tuple[str, str, str, str]]:
    """The filters the search uses: (field, value, label, URL without it), in the form's order."""
    chosen = []
    for name in FILTER_FIELDS:
        field = form[name]
        values = field.data if isinstance(field.data, list) else [field.data]
        for value in values:
            if value:
                single = not isinstance(field.data, list)
                label = _choice_label(field, value)
                chosen.append((name, value, label, toggle_filter_url(name, value, single)))
    return chosen


def _suggestion(form: AdSearchForm, item) -> dict:
    """A wider search offered when nothing was found: its words, its link and its count."""
    if item.field == "q":
        return {
            "field": "q",
            "label": item.value,
            "english": item.english,
            "url": url_for("ads.index", **{**_args_without_page(), "q": item.value}),
            "total": item.total,
        }
    if item.field == "all":
        return {
            "field": "all",
            "label": "",
            "english": "",
            "url": url_for("ads.index", q=form.q.data) if form.q.data else url_for("ads.index"),
            "total": item.total,
        }
    single = item.field in ("county", "municipality")
    return {
        "field": item.field,
        "label": _choice_label(form[item.field], item.value),
        "english": "",
        "url": toggle_filter_url(item.field, item.value, single),
        "total": item.total,
    }


def _args_without_page() -> dict:
    args = request.args.to_dict(flat=False)
    args.pop("page", None)
    return args


def swedish_suggestion(text: str | None) -> str | None:
    """The search in Swedish when it has English words the site knows ("homework help" ->
    "läxhjälp hjälp"), for a "Sök på svenska" link; None when there is nothing to offer."""
    hints = dict(language.english_hints(text))
    if not hints:
        return None
    return " ".join(dict.fromkeys(hints.get(word, word) for word in language.words(text or "")))


def save_search_url() -> str:
    """The search page's "Spara sökningen" link: /bevakningar/ny with the current filters."""
    args = request.args.to_dict(flat=False)
    for name in ("page", "sort"):  # where the visitor is in the list is no part of the search
        args.pop(name, None)
    return url_for("alerts.new", **args)


@bp.get("/flode.atom")
def feed():
    """The newest (or best-matching) ads for any search, as an Atom feed."""
    form = AdSearchForm()
    result = search_ads(form.to_query(), page=1, per_page=FEED_SIZE, with_facets=False)
    args = request.args.to_dict(flat=False)
    args.pop("page", None)
    updated = max((ad.updated_at for ad in result.items), default=None) or utcnow()
    body = render_template(
        "ads/feed.xml",
        result=result,
        updated=updated,
        feed_url=external_url("ads.feed", **args),
        page_url=external_url("ads.index", **args),
        query_text=form.q.data or "",
    )
    response = make_response(body)
    response.mimetype = "application/atom+xml"
    return response


def _posting_key() -> str:
    # Per person: many people in one office share an IP address.
    if current_user.is_authenticated:
        return f"ad-posting:{current_user.id}"
    return get_remote_address()


@bp.route("/ny", methods=["GET", "POST"])
@confirmed_required
@limiter.limit(
    lambda: current_app.config["RATELIMIT_AD_POSTING"],
    key_func=_posting_key,
    methods=["POST"],
    deduct_when=lambda response: response.status_code < 400,  # published (or pretended to be)
)
@submitted_once  # a double click creates one
def new():
    organisation = services.acting_organisation(current_user)
    if organisation is None:  # explain, and point to creating or joining an organisation
        status = 403 if request.method == "POST" else 200
        return render_page("ads/need_organisation.html"), status
    form = AdForm()
    form.offer_crises(crises.active_crises(today()))
    if not form.is_submitted() and request.args.get("kris"):  # "Publicera … för krisen"
        form.crisis.data = request.args.get("kris")
    form.start_from(organisation)
    if form.is_submitted() and form.is_bot:  # honeypot: answer as if published, store nothing
        flash(_("Annonsen är publicerad."), "success")
        return see_other(url_for("ads.index"))
    if form.validate_on_submit():
        try:
            # The first week's limits (fewer ads, fewer links), then ads.services.publish_ad.
            ad = spam.publish_ad(organisation, current_user, **form.ad_fields())
        except services.InvalidAd as error:
            form.add_errors(error.errors)
        else:
            flash(_("Annonsen är publicerad."), "success")
            _tell_about_crisis_cap(form, ad)
            return see_other(ad_url(ad))
    return _render_form(form, None, organisation)


@bp.get("/<int:ad_id>", defaults={"slug": ""})
@bp.get("/<int:ad_id>-<slug>")
def detail(ad_id: int, slug: str):
    ad = visible_ad_or_404(ad_id)  # a hidden ad is gone for the public
    if slug != ad.slug:  # old titles and bare ids lead to the one canonical address
        return redirect(ad_url(ad), code=301)
    return render_page("ads/detail.html", **_detail_context(ad))


def _detail_context(ad: Ad, close_form: CloseForm | None = None) -> dict:
    visitor = viewer()
    # A hidden ad's notice offers its people a review of what hid it: the ad or its organisation.
    hidden = (ContentKind.AD, ad) if ad.hidden_at else (ContentKind.ORGANISATION, ad.organisation)
    can_manage = services.can_manage(current_user, ad)
    # Forms (and their CSRF tokens, which make a session) only for those who may use them:
    # for everyone else the ad's page is a public one (marketplace/httpcache.py).
    return {
        "ad": ad,
        "interest": interest_panel(visitor, ad),
        "appeal": moderation.appeal_offer(visitor, *hidden),
        "today": today(),
        "can_manage": can_manage,
        "close_form": close_form or (CloseForm(formdata=None) if can_manage else None),
        "confirm_form": ConfirmForm(formdata=None) if can_manage else None,
        "canonical_url": ad_url(ad, external=True),
        "crisis_tag_form": _crisis_tag_form(ad, visitor),
    }


def _crisis_tag_form(ad: Ad, visitor) -> TagForm | None:
    """Moderators of the ad's county add or remove its crisis tag from the ad page."""
    if visitor is None or not crises.may_tag_as_moderator(visitor, ad):
        return None
    form = TagForm(formdata=None, data={"crisis": ad.crisis.slug if ad.crisis else ""})
    form.offer(crises.active_crises(today()))
    return form


@bp.route("/<int:ad_id>/redigera", methods=["GET", "POST"])
@confirmed_required
def edit(ad_id: int):
    ad = own_ad_or_403(ad_id)
    form = AdForm(ad=ad)
    form.offer_crises(crises.active_crises(today()))
    if form.validate_on_submit():
        try:
            services.update_ad(ad, **form.ad_fields())
        except services.InvalidAd as error:
            form.add_errors(error.errors)
        else:
            flash(_("Ändringarna är sparade."), "success")
            _tell_about_crisis_cap(form, ad)
            return see_other(ad_url(ad))
    return _render_form(form, ad, ad.organisation)


def _tell_about_crisis_cap(form: AdForm, ad: Ad) -> None:
    """The poster is told when the crisis cut the ad's last day (its end + 14 days)."""
    wanted = form.expires_on.data
    if ad.crisis is not None and wanted and ad.expires_on < wanted:
        flash(
            _(
                "Annonsen är kopplad till krisen ”%(name)s” och visas därför till och med %(date)s, "
                "14 dagar efter krisens slut. Förläng den då om den fortfarande behövs.",
                name=ad.crisis.name,
                date=format_date(ad.expires_on),
            ),
            "warning",
        )


def _render_form(form: AdForm, ad: Ad | None, organisation):
    """The ad form page (or its form fragment): 200 at first, 422 when a submission failed."""
    status = 422 if form.is_submitted() else 200
    page = render_page(
        "ads/form.html",
        fragment="ad_form",
        form=form,
        ad=ad,
        organisation=organisation,
        today_iso=today().isoformat(),
        latest_iso=services.latest_expiry().isoformat(),
    )
    return page, status


@bp.post("/<int:ad_id>/stang")
@confirmed_required
def close(ad_id: int):
    ad = own_ad_or_403(ad_id)
    form = CloseForm()
    if form.validate():
        services.close_ad(ad, AdStatus(form.reason.data))
        flash(_("Annonsen är stängd och syns inte längre i sökningen."), "success")
        return see_other(ad_url(ad))
    return render_page("ads/detail.html", **_detail_context(ad, close_form=form)), 422


@bp.post("/<int:ad_id>/forlang")
@confirmed_required
def renew(ad_id: int):
    ad = own_ad_or_403(ad_id)  # CSRFProtect has checked the token already
    services.renew_ad(ad)
    flash(
        _("Annonsen är öppen och visas till och med %(date)s.", date=format_date(ad.expires_on)),
        "success",
    )
    return see_other(ad_url(ad))


@bp.route("/<int:ad_id>/ta-bort", methods=["GET", "POST"])
@confirmed_required
def delete(ad_id: int):
    ad = own_ad_or_403(ad_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        organisation = ad.organisation
        services.delete_ad(ad)
        flash(_("Annonsen är borttagen."), "success")
        return see_other(
            url_for("organisations.detail", organisation_id=organisation.id, slug=organisation.slug)
        )
    return render_page("ads/delete.html", ad=ad, form=form)
