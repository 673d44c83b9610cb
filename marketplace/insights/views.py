"""The outcome question (/annonser/<id>/resultat), statistics (/statistik and its CSV)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace import reference
from marketplace.accounts.decorators import confirmed_required
from marketplace.ads.decorators import own_ad_or_403
from marketplace.ads.models import Ad
from marketplace.agreements import services as agreements
from marketplace.clock import today
from marketplace.htmx import render_fragment, render_page, see_other
from marketplace.insights import charts, labels, outcomes
from marketplace.insights import statistics as figures
from marketplace.insights.forms import OutcomeForm, StatisticsForm

bp = Blueprint("insights", __name__)


def _render_outcome(ad: Ad, form: OutcomeForm, status: int = 200):
    page = render_page(
        "insights/outcome.html", fragment="outcome_form", ad=ad, form=form, today=today()
    )
    return page, status


@bp.route("/annonser/<int:ad_id>/resultat", methods=["GET", "POST"])
@confirmed_required
def outcome(ad_id: int):
    """Did the ad lead to collaboration? One answer per ad, which members may change."""
    ad = own_ad_or_403(ad_id)
    existing = outcomes.get_outcome(ad)
    form = OutcomeForm()
    if request.method == "GET" and existing is not None:
        form.fill_from(existing)
    chosen = existing.partner_organisation if existing else None
    form.offer_partners(
        outcomes.find_partner_organisations(form.partner_name.data or "", ad.organisation_id),
        chosen,
    )
    if request.method == "POST" and "find" in request.form:
        return _render_outcome(ad, form)  # "Sök": show the organisations found, save nothing
    if form.validate_on_submit():
        try:
            outcomes.record_outcome(ad, current_user, **form.answer())
        except outcomes.InvalidOutcome as error:
            form.add_errors(error.errors)
        else:
            flash(_("Tack! Resultatet är sparat."), "success")
            return see_other(url_for("ads.detail", ad_id=ad.id, slug=ad.slug))
    return _render_outcome(ad, form, 422 if form.is_submitted() else 200)


@bp.get("/annonser/<int:ad_id>/resultat/organisationer")
@confirmed_required
def partner_suggestions(ad_id: int):
    """The organisations matching the typed partner name (htmx swaps them into the form)."""
    ad = own_ad_or_403(ad_id)
    form = OutcomeForm(formdata=request.args, meta={"csrf": False})
    form.offer_partners(
        outcomes.find_partner_organisations(form.partner_name.data or "", ad.organisation_id)
    )
    return render_fragment("insights/outcome.html", "partner_suggestions", ad=ad, form=form)


def _statistics_context(form: StatisticsForm) -> dict:
    stats = figures.statistics(form.filters())
    return {
        "form": form,
        "stats": stats,
        "charts": charts,
        "kinds": ("need", "offer"),
        "counties": reference.counties(),
        "challenges_list": reference.challenges(),
        "month_name": figures.month_name,
        "period_label": labels.PERIOD_LABELS[stats.filters.months],
        "csv_url": url_for("insights.statistics_csv", **request.args.to_dict()),
        "stats_crisis": form.crises.get(form.kris.data or ""),
        "agreement_figures": agreements.figures(),
    }


@bp.get("/statistik")
def statistics():
    """Figures for all of Sweden or one county over a period, as charts, a map and tables."""
    form = StatisticsForm()
    if not form.validate():
        page = render_page("insights/statistics.html", fragment="results", form=form, stats=None)
        return page, 400
    return render_page("insights/statistics.html", fragment="results", **_statistics_context(form))


@bp.get("/statistik.csv")
def statistics_csv():
    """The same figures as /statistik, with the same filters, as a spreadsheet file."""
    form = StatisticsForm()
    if not form.validate():
        abort(400)
    filters = form.filters()
    stats = figures.statistics(filters)
    name = f"samverkanstorget-statistik-{filters.county or 'sverige'}-{filters.months}-manader-{today().isoformat()}.csv"
    response = make_response(figures.statistics_csv(stats))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
