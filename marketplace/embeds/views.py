"""/inbaddning: a page of newest ads other sites may frame; /inbaddning/skapa: its snippet."""

from __future__ import annotations

from html import escape

from flask import Blueprint, current_app, make_response, render_template, url_for
from flask_babel import gettext as _

from marketplace import reference
from marketplace.embeds import services
from marketplace.embeds.forms import EmbedForm
from marketplace.htmx import render_page
from marketplace.security import allow_framing
from marketplace.urls import external_url

bp = Blueprint("embeds", __name__, url_prefix="/inbaddning")

CACHE_SECONDS = 300
FRAME_HEIGHT = 640


@bp.get("")
def index():
    """The embeddable list; the only page any site may show in a frame (EMBED_FRAME_ANCESTORS)."""
    form = EmbedForm()
    valid = form.validate()
    options = form.options() if valid else {}
    county, challenge = options.get("lan"), options.get("utmaning")
    search = {"county": county, "challenge": challenge}
    body = render_template(
        "embeds/widget.html",
        form=form,
        valid=valid,
        ads=services.newest_ads(county, challenge) if valid else [],
        county=reference.counties().get(county or ""),
        challenge=reference.challenges().get(challenge or ""),
        dark=options.get("tema") == "mork",
        search_url=external_url(
            "ads.index", **{key: value for key, value in search.items() if value}
        ),
    )
    response = make_response(body, 200 if valid else 400)
    if valid:
        response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    # The error page may be framed too: the embedding site then shows why, not a blocked frame.
    return allow_framing(response, current_app.config["EMBED_FRAME_ANCESTORS"])


@bp.get("/skapa")
def builder():
    """Choose county and challenge, see the embed, copy its <iframe> code (works without JS)."""
    form = EmbedForm()
    valid = form.validate()
    options = form.options() if valid else {}
    county = reference.counties().get(options.get("lan", ""))
    challenge = reference.challenges().get(options.get("utmaning", ""))
    title = frame_title(county.name if county else "", challenge.name if challenge else "")
    page = render_page(
        "embeds/builder.html",
        fragment="embed_preview",
        form=form,
        valid=valid,
        preview_url=url_for("embeds.index", **options),
        frame_title=title,
        snippet=snippet(external_url("embeds.index", **options), title),
    )
    return page, 200 if valid else 400


def frame_title(county: str, challenge: str) -> str:
    """The iframe's title (its name for screen readers): what the list shows."""
    parts = [part for part in (county, challenge) if part]
    if parts:
        return _("Annonser från Samverkanstorget: %(what)s", what=", ".join(parts))
    return _("Annonser från Samverkanstorget")


def snippet(url: str, title: str) -> str:
    """The <iframe> code to copy, as text (the page escapes it once more to show it)."""
    return (
        f'<iframe src="{escape(url)}" title="{escape(title)}" width="100%" height="{FRAME_HEIGHT}" '
        f'loading="lazy"></iframe>'
    )
