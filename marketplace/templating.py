"""What every template may use, listed in one place (as marketplace/models.py lists the models),
and the layout's data for every page.

Filters and globals here format values (dates, numbers, paragraphs, XML text), name things in
the visitor's language (the domains' labels for their enums, counties, challenges) and build
URLs; none of them runs a query. What a page needs from another domain, its view passes in (the
ad page's "Visa intresse" panel and appeal offer, a county's figures, a saved search's summary).
The layout's own data (the main menu and the inbox's unread count) is worked out once per
request, before its first template is drawn (`layout`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

import sqlalchemy as sa
from babel import Locale
from flask import Flask, g, has_request_context, request, url_for
from flask_babel import format_date, format_decimal, format_time, get_locale, to_user_timezone
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy.exc import SQLAlchemyError

from marketplace import i18n, reference, urls
from marketplace.ads import labels as ad_labels
from marketplace.ads.cards import ad_cards
from marketplace.ads.markup import linkify
from marketplace.alerts.labels import rhythm_label
from marketplace.assets import static_url
from marketplace.clock import today as swedish_today
from marketplace.clock import utcnow
from marketplace.contact import services as contact
from marketplace.extensions import db
from marketplace.insights.labels import form_label
from marketplace.moderation import labels as moderation_labels
from marketplace.moderation import services as moderation
from marketplace.organisations import labels as organisation_labels


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
    """A moment as people say it, in the reader's language and time zone: the day as |date
    writes it ("7 dec. 2026", "i dag", "i går") and the time ("kl. 15:54"). Every page uses
    this one, so the inbox and the ad page never disagree ("2026-12-07 15:54" vs "7 dec.")."""
    if value is None:
        return ""
    local = to_user_timezone(value)
    days_ago = (to_user_timezone(utcnow()).date() - local.date()).days
    if days_ago == 0:
        day = _("i dag")
    elif days_ago == 1:
        day = _("i går")
    else:
        day = _format_day(local.date(), "medium", str(get_locale()))
    return _("%(day)s kl. %(time)s", day=day, time=format_time(value, "short"))


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


# Characters XML 1.0 forbids (the feed must parse whatever an organisation typed).
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(value) -> str:
    return _NOT_XML.sub("", str(value or ""))


def _atom_date(value: datetime) -> str:
    """RFC 3339 in UTC, as Atom wants it (the database holds naive UTC)."""
    return value.replace(microsecond=0).isoformat() + "Z"


def url_with_query(**changes) -> str:
    """The current URL with some query parameters replaced (None removes one): for pagination and filters."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    return url_for(request.endpoint or "pages.index", **(request.view_args or {}), **args)


@dataclass(frozen=True)
class Layout:
    """What base.html shows on every page besides the page itself."""

    navigation: list[tuple[str, str]]  # the main menu: (endpoint, label)
    unread: int  # unread messages in the visitor's inbox (0 for anonymous visitors)


def layout() -> Layout:
    """The layout's data for this request, worked out once: for a logged-in visitor one query
    (the unread messages and whether they moderate anything)."""
    if "layout" not in g:
        navigation = [("ads.index", _("Annonser")), ("organisations.index", _("Organisationer"))]
        unread = 0
        if current_user.is_authenticated:
            navigation.append(("organisations.mine", _("Mina organisationer")))
            navigation.append(("alerts.index", _("Bevakningar")))
            unread, moderates = _account_figures()
            if current_user.is_site_admin or moderates:
                navigation.append(("moderation.index", _("Moderering")))
        g.layout = Layout(navigation=navigation, unread=unread)
    return g.layout


def _account_figures() -> tuple[int, bool]:
    """(unread messages, moderates a county) for the logged-in visitor, in one query."""
    user_id = current_user.id
    try:
        unread, moderates = db.session.execute(
            sa.select(
                contact.unread_count(user_id).scalar_subquery(),
                moderation.moderates_query(user_id),
            )
        ).one()
    except SQLAlchemyError:
        # The header is also drawn on the error page after a failed transaction; missing
        # figures must not turn that page into a second error.
        db.session.rollback()
        return 0, False
    return int(unread or 0), bool(moderates)


def _layout_context() -> dict:
    """Every template rendered for a request gets `layout` (e-mails are rendered without it)."""
    return {"layout": layout()} if has_request_context() else {}


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        # formatting
        date=_date,
        datetime=_datetime,
        number=_number,
        paragraphs=_paragraphs,
        linkify=linkify,
        xml_text=_xml_text,
        atom_date=_atom_date,
        # the domains' words for their enums
        kind_label=ad_labels.kind_label,
        status_label=ad_labels.status_label,
        sector_label=organisation_labels.sector_label,
        legal_form_label=organisation_labels.legal_form_label,
        role_label=organisation_labels.role_label,
        verified_how=organisation_labels.verified_how,
        trust_line=organisation_labels.trust_line,
        rhythm_label=rhythm_label,
        collaboration_form_label=form_label,
        report_reason_label=moderation_labels.reason_label,
        content_kind_label=moderation_labels.kind_label,
        content_kind_noun=moderation_labels.kind_noun,
        report_status_label=moderation_labels.status_label,
        moderation_action_label=moderation_labels.action_label,
    )
    app.jinja_env.globals.update(
        # URLs
        url_with_query=url_with_query,
        static_url=static_url,
        ad_url=urls.ad_url,
        ad_cards=ad_cards,  # cached cards for result lists
        external_url=urls.external_url,
        organisation_logo_url=urls.logo_url,  # None without a logo: the monogram is drawn
        report_url=moderation_labels.report_url,
        # reference data and language
        counties=reference.counties,
        challenges=reference.challenges,
        county_name=reference.county_name,
        municipality_name=reference.municipality_name,
        current_language=i18n.current_language,
        swedish_today=swedish_today,  # the date, no query: "Kris" labels of ads in active crises
    )
    app.context_processor(_layout_context)
