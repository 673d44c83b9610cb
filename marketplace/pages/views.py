"""Start page, health check, language switch and the site's information pages."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, make_response, redirect, url_for
from flask_login import current_user

from marketplace import health, reference
from marketplace.accounts import services as account_services
from marketplace.crises import services as crises
from marketplace.forms import MunicipalityForm
from marketplace.htmx import render_fragment, render_page
from marketplace.i18n import LANGUAGE_COOKIE
from marketplace.insights import statistics as insights
from marketplace.pages import services
from marketplace.security import safe_next

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    return render_page(
        "pages/index.html",
        start=services.start_page(),
        banner_crises=crises.banner_crises(everywhere=True),
    )


@bp.get("/utmaningar/<slug>")
def challenge(slug: str):
    item = reference.challenges().get(slug)
    if item is None:
        abort(404)
    return render_page("pages/challenge.html", challenge=item, topic=services.challenge_page(slug))


@bp.get("/lan/<code>")
def county(code: str):
    item = reference.counties().get(code)
    if item is None:
        abort(404)
    return render_page(
        "pages/county.html",
        county=item,
        topic=services.county_page(code),
        figures=insights.county_figures(code),
        banner_crises=crises.banner_crises(code),
    )


@bp.get("/kommuner")
def municipalities():
    """The municipality field for the county just chosen (htmx swaps it into the ad and the
    organisation forms; see marketplace.forms)."""
    return render_fragment(
        "pages/municipalities.html", "municipality_field", form=MunicipalityForm()
    )


@bp.get("/healthz")
def healthz():
    """Each dependency's state as JSON; 503 only when the database does not answer (see
    marketplace.health), for load balancers, deploys and monitoring."""
    body, status = health.report()
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, status


@bp.get("/sprak/<language>")
def set_language(language: str):
    """Switch language (a cookie, and the account's e-mail language), then go back where we were."""
    if language not in current_app.config["LANGUAGES"]:
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
    response = make_response(redirect(safe_next(url_for("pages.index")), code=303))
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=60 * 60 * 24 * 365,
        samesite="Lax",
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    if current_user.is_authenticated and current_user.locale != language:
        account_services.set_locale(current_user, language)
    return response


@bp.get("/om")
def about():
    return render_page("pages/about.html", operator=services.operator())


@bp.get("/tillganglighet")
def accessibility():
    return render_page("pages/accessibility.html", operator=services.operator())


@bp.get("/integritet")
def privacy():
    return render_page("pages/privacy.html", operator=services.operator())
