"""Jinja filters and globals: localised dates and numbers, reference names, URL helpers."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from babel import Locale
from flask import Flask, current_app, g, request, url_for
from flask_babel import format_date, format_datetime, format_decimal, get_locale, to_user_timezone
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from marketplace import i18n, reference, urls


def _date(value: date | datetime | None, style: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):  # the day it is where the reader is, as format_date does
        value = to_user_timezone(value).date()
    return _format_day(value, style, str(get_locale()))


@lru_cache(maxsize=4096)
def _format_day(day: date, style: str, locale: str) -> str:
    """A page shows the same few dates many times; Babel takes a while for each (make bench)."""
    return format_date(day, style)


def _datetime(value: datetime | None, style: str = "medium") -> str:
    if value is None:
        return ""
    return format_datetime(value, style)


def _number(value: int | float | None) -> str:
    if value is None:
        return ""
    if type(value) is int and value >= 0:  # counts: the locale's digit grouping, without Babel
        return f"{value:,}".replace(",", _group_symbol(str(get_locale())))
    return format_decimal(value)


@lru_cache(maxsize=16)
def _group_symbol(locale: str) -> str:
    return Locale.parse(locale).number_symbols["latn"]["group"]


def _paragraphs(text: str | None) -> Markup:
    """Plain text as escaped <p> paragraphs: blank lines split paragraphs, single newlines become <br>."""
    if not text:
        return Markup("")
    blocks = [block.strip() for block in text.replace("\r\n", "\n").split("\n\n") if block.strip()]
    return Markup("\n").join(
        Markup("<p>{}</p>").format(
            Markup("<br>\n").join(escape(line) for line in block.split("\n"))
        )
        for block in blocks
    )


def url_with_query(**changes) -> str:
    """The current URL with some query parameters replaced (None removes one): for pagination and filters."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    return url_for(request.endpoint or "pages.index", **(request.view_args or {}), **args)


def main_navigation() -> list[tuple[str, str]]:
    """Main menu entries whose blueprints exist in this app: (endpoint, label)."""
    items = [
        ("ads.index", _("Annonser")),
        ("organisations.index", _("Organisationer")),
    ]
    if current_user.is_authenticated:
        items.append(("organisations.mine", _("Mina organisationer")))
        items.append(("alerts.index", _("Bevakningar")))
        if _is_moderator():
            items.append(("moderation.index", _("Moderering")))
    return [
        (endpoint, label) for endpoint, label in items if endpoint in current_app.view_functions
    ]


def _is_moderator() -> bool:
    """Site administrator or county moderator: one query per request, logged-in users only."""
    if current_user.is_site_admin:
        return True
    if "is_moderator" not in g:
        from sqlalchemy.exc import SQLAlchemyError

        from marketplace.extensions import db
        from marketplace.moderation.services import is_moderator

        try:
            g.is_moderator = is_moderator(current_user)
        except SQLAlchemyError:
            # The menu is also drawn on the error page after a failed transaction.
            db.session.rollback()
            g.is_moderator = False
    return g.is_moderator


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        date=_date, datetime=_datetime, number=_number, paragraphs=_paragraphs
    )
    app.jinja_env.globals.update(
        url_with_query=url_with_query,
        ad_url=urls.ad_url,
        external_url=urls.external_url,
        main_navigation=main_navigation,
        counties=reference.counties,
        challenges=reference.challenges,
        county_name=reference.county_name,
        municipality_name=reference.municipality_name,
        current_language=i18n.current_language,
        language_names=i18n.LANGUAGE_NAMES,
    )
