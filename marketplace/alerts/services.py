"""Saved searches: save, edit, pause and delete them; find the new ads they match; queue alerts.

A saved search finds exactly what the search page finds, because it *is* a search-page query
(`marketplace.search.services.AdQuery`) and matching goes through that module:

* Digests (daily, weekly) page through `search_ads(query, sort newest)` and keep the ads
  published since the last check that the ledger (`SentAlert`) has not seen for that search.
* Immediate alerts (`alert_new_ad`, called from ads.events.ad_published inside publish_ad's
  transaction) must stay fast with many saved searches. The request only decides whom to alert
  (one outbox job, committed with the ad); the worker writes the ledger rows and the e-mails
  (`write_new_ad_alerts`). Deciding does not run each search either: one
  SQL query keeps the immediate searches whose kind, place, challenge and sector filters admit
  the new ad (the search's filter rules read the other way round; the tests hold both to the
  same answers); their words are compared with the ad's terms in Python, through the same
  Swedish analysis and rule the search engine applies (see _words_match).

E-mail: ONE message per saved search per run (not one per user bundling several searches), so
each message says which search it is about and its one-click unsubscribe link (RFC 8058) stops
exactly that search. Immediate searches get one message per new ad. The ledger's primary key
(saved search, ad) guarantees that no ad is ever sent twice for the same saved search.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import lru_cache

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeSerializer

from marketplace import language, reference
from marketplace.accounts.models import User
from marketplace.ads.labels import SECTOR_LABELS, kind_label
from marketplace.ads.models import Ad, AdKind
from marketplace.alerts.models import (
    KIND_BITS,
    SECTOR_BITS,
    Rhythm,
    SavedSearch,
    SavedSearchChallenge,
    SentAlert,
    to_mask,
)
from marketplace.clock import today, utcnow
from marketplace.extensions import db
from marketplace.notifications import services as notifications
from marketplace.organisations.labels import trust_line
from marketplace.organisations.models import Sector
from marketplace.search import engine as search_engine
from marketplace.search import services as search
from marketplace.search import text as search_text
from marketplace.urls import ad_url, external_url, logo_url

MAX_SAVED_SEARCHES = 50  # per user: plenty for real use, a cap on abuse
NAME_MAX_LENGTH = 120
TEXT_MAX_LENGTH = 500  # the search reads no further (search.text.query_terms)
MAX_ADS_PER_MAIL = 30  # a digest lists the newest; the rest are one click away
SCAN_PAGE_SIZE = 100
# Digests look this far back before the last check too: an ad whose transaction committed
# just after a run started (published_at is set before the commit) is still caught next time.
# The ledger keeps the overlap from sending anything twice.
OVERLAP = timedelta(hours=1)
UNSUBSCRIBE_SALT = "alerts.unsubscribe"
EMAIL_TEMPLATE = "saved_search_alert"
NEW_AD_ALERTS = "alerts.new_ad"  # the outbox job of alert_new_ad, written by write_new_ad_alerts


class TooManySavedSearches(Exception):
    """The user already has MAX_SAVED_SEARCHES saved searches."""


# --- The search a saved search stands for ------------------------------------------------------


def query_of(saved: SavedSearch) -> search.AdQuery:
    """The saved search as the search page's query, newest first (what an alert lists)."""
    return search.AdQuery(
        text=saved.text,
        kinds=saved.kinds,
        challenges=saved.challenges,
        county=saved.county_code,
        municipality=saved.municipality_code,
        seeking=saved.seeking,
        sectors=saved.sectors,
        sort="newest",
    )


def _apply_query(saved: SavedSearch, query: search.AdQuery) -> None:
    """Store a query's filters; unknown places and challenges are dropped, as the search does."""
    saved.text = " ".join((query.text or "").split())[:TEXT_MAX_LENGTH]
    saved.kinds = [AdKind(kind) for kind in query.kinds]
    known = reference.challenges()
    saved.challenges = [slug for slug in query.challenges if slug in known]
    county = query.county if query.county in reference.counties() else None
    municipality = reference.municipalities().get(query.municipality or "")
    if municipality and county and municipality.county_code != county:
        municipality = None  # the search page ignores a municipality outside the county
    saved.county_code = municipality.county_code if municipality else county
    saved.municipality_code = municipality.code if municipality else None
    saved.seeking = [Sector(sector) for sector in query.seeking]
    saved.sectors = [Sector(sector) for sector in query.sectors]


def search_args(query: search.AdQuery) -> dict[str, str | list[str]]:
    """The query as /annonser's query-string parameters (the search form's names)."""
    args: dict[str, str | list[str]] = {}
    if query.text:
        args["q"] = query.text
    if query.kinds:
        args["kind"] = [kind.value for kind in query.kinds]
    if query.challenges:
        args["challenge"] = list(query.challenges)
    if query.county:
        args["county"] = query.county
    if query.municipality:
        args["municipality"] = query.municipality
    if query.seeking:
        args["seeking"] = [sector.value for sector in query.seeking]
    if query.sectors:
        args["sector"] = [sector.value for sector in query.sectors]
    return args


def _either(items: list[str]) -> str:
    if len(items) < 2:
        return "".join(items)
    return _("%(items)s eller %(last)s", items=", ".join(items[:-1]), last=items[-1])


def _both(items: list[str]) -> str:
    if len(items) < 2:
        return "".join(items)
    return _("%(items)s och %(last)s", items=", ".join(items[:-1]), last=items[-1])


def _challenge_names(slugs: Iterable[str]) -> list[str]:
    wanted = set(slugs)
    return [item.name for slug, item in reference.challenges().items() if slug in wanted]


def _sector_names(sectors: Iterable[Sector]) -> list[str]:
    wanted = set(sectors)
    return [str(label).lower() for sector, label in SECTOR_LABELS.items() if sector in wanted]


def _typed_words(text: str) -> list[str]:
    """The words of a search as the user typed them (with å, ä, ö), for reading, not matching."""
    words = list(dict.fromkeys(re.findall(r"\w+", text or "")))
    return words[: search_text.MAX_QUERY_TERMS]


def describe(query: search.AdQuery) -> list[str]:
    """The search in words: ['Söker', 'Integration och etablering', 'Kalmar län', '”läxhjälp”']."""
    parts: list[str] = []
    if query.kinds:
        parts.append(_either([kind_label(kind) for kind in AdKind if kind in query.kinds]))
    if query.challenges:
        parts.append(_either(_challenge_names(query.challenges)))
    if query.municipality:
        parts.append(reference.municipality_name(query.municipality))
    elif query.county:
        parts.append(reference.county_name(query.county))
    if query.seeking:
        parts.append(
            _("Söker samverkan med %(sectors)s", sectors=_either(_sector_names(query.seeking)))
        )
    if query.sectors:
        parts.append(_("Annonsör: %(sectors)s", sectors=_either(_sector_names(query.sectors))))
    if query.text:
        parts.append(f"”{query.text}”")
    return [part for part in parts if part] or [_("Alla annonser")]


def summary(query: search.AdQuery) -> str:
    """describe() as one line: 'Söker · Integration och etablering · Kalmar län · ”läxhjälp”'."""
    return " · ".join(describe(query))


def default_name(query: search.AdQuery) -> str:
    """A name to start from: the search's summary, shortened to fit."""
    name = summary(query)
    if len(name) > NAME_MAX_LENGTH:
        name = name[: NAME_MAX_LENGTH - 1].rstrip() + "…"
    return name


def match_reasons(query: search.AdQuery, ad: Ad) -> list[str]:
    """Why the ad matched, filter by filter: ['Integration och etablering', 'Kalmar län', 'ordet läxhjälp']."""
    reasons: list[str] = []
    if query.kinds:
        reasons.append(kind_label(ad.kind))
    if query.challenges:
        reasons.extend(_challenge_names(set(query.challenges) & set(ad.challenge_slugs)))
    if query.municipality:
        if ad.municipality_code == query.municipality:
            reasons.append(reference.municipality_name(ad.municipality_code))
        elif ad.county_code:
            reasons.append(
                _("%(county)s, hela länet", county=reference.county_name(ad.county_code))
            )
        else:
            reasons.append(_("Hela Sverige"))
    elif query.county:
        if ad.county_code:
            reasons.append(reference.county_name(ad.county_code))
        else:
            reasons.append(_("Hela Sverige"))
    if query.seeking:
        sectors = _sector_names(set(query.seeking) & set(ad.seeking))
        reasons.append(_("söker samverkan med %(sectors)s", sectors=_both(sectors)))
    if query.sectors:
        reasons.append(
            _("annonsör: %(sector)s", sector="".join(_sector_names([ad.organisation.sector])))
        )
    words = _typed_words(query.text)
    if words:
        reasons.append(
            ngettext("ordet %(words)s", "orden %(words)s", len(words), words=", ".join(words))
        )
    return reasons


# --- Managing saved searches (the owner's use cases) -----------------------------------------


def saved_searches_of(user: User) -> list[SavedSearch]:
    """The user's saved searches, newest first, with what the list shows loaded."""
    return list(
        db.session.scalars(
            sa.select(SavedSearch)
            .where(SavedSearch.user_id == user.id)
            .options(so.selectinload(SavedSearch.challenge_links))
            .order_by(SavedSearch.created_at.desc(), SavedSearch.id.desc())
        )
    )


def get_saved_search(user: User, saved_search_id: int) -> SavedSearch | None:
    """The saved search if it exists and belongs to `user`; None otherwise (never someone else's)."""
    return db.session.scalar(
        sa.select(SavedSearch)
        .where(SavedSearch.id == saved_search_id, SavedSearch.user_id == user.id)
        .options(so.selectinload(SavedSearch.challenge_links))
    )


def _clean_name(name: str, query: search.AdQuery) -> str:
    name = " ".join((name or "").split())[:NAME_MAX_LENGTH]
    return name or default_name(query)


def save_search(user: User, *, name: str, rhythm: Rhythm, query: search.AdQuery) -> SavedSearch:
    """Save a search for `user`; only ads published from now on will be sent.

    :raise TooManySavedSearches: the user has MAX_SAVED_SEARCHES already; nothing is saved.
    """
    count = db.session.scalar(
        sa.select(sa.func.count(SavedSearch.id)).where(SavedSearch.user_id == user.id)
    )
    if (count or 0) >= MAX_SAVED_SEARCHES:
        raise TooManySavedSearches
    saved = SavedSearch(user=user, name=_clean_name(name, query), rhythm=Rhythm(rhythm))
    _apply_query(saved, query)
    db.session.add(saved)
    db.session.commit()
    return saved


def update_saved_search(
    saved: SavedSearch, *, name: str, rhythm: Rhythm, query: search.AdQuery
) -> SavedSearch:
    """Save a new name, rhythm and filters. Ads already sent stay sent (the ledger is kept)."""
    saved.name = _clean_name(name, query)
    saved.rhythm = Rhythm(rhythm)
    _apply_query(saved, query)
    db.session.commit()
    return saved


def pause_saved_search(saved: SavedSearch) -> SavedSearch:
    """No alerts until resumed."""
    saved.paused = True
    db.session.commit()
    return saved


def resume_saved_search(saved: SavedSearch) -> SavedSearch:
    """Alerts again, about ads published from now on (not the ones that came while paused)."""
    if saved.paused:
        saved.paused = False
        saved.last_checked_at = utcnow()
        db.session.commit()
    return saved


def delete_saved_search(saved: SavedSearch) -> None:
    """Remove the saved search, its filters and its ledger."""
    db.session.delete(saved)
    db.session.commit()


# --- Unsubscribe links ----------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(saved: SavedSearch) -> str:
    """A signed token naming one saved search. It does not expire: old e-mails keep working."""
    return _serializer().dumps({"s": saved.id, "n": saved.unsubscribe_nonce})


def saved_search_for_token(token: str) -> SavedSearch | None:
    """The saved search a genuine token names; None when the token was altered or the search is gone."""
    try:
        payload = _serializer().loads(token)
    except BadData:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), int):
        return None
    saved = db.session.get(SavedSearch, payload["s"])
    if saved is None or not hmac.compare_digest(str(payload.get("n", "")), saved.unsubscribe_nonce):
        return None
    return saved


def unsubscribe(saved: SavedSearch) -> SavedSearch:
    """Stop the e-mails of one saved search (it is paused, so its owner can resume it later)."""
    return pause_saved_search(saved)


# --- Alert e-mails --------------------------------------------------------------------------


def _ad_area(ad: Ad) -> str:
    if ad.municipality_code:
        return f"{reference.municipality_name(ad.municipality_code)}, {reference.county_name(ad.county_code)}"
    if ad.county_code:
        return reference.county_name(ad.county_code)
    return _("Hela Sverige")


def _alert_key(saved: SavedSearch, ads: Sequence[Ad]) -> str:
    """One outbox key per saved search and set of ads: the same alert is never queued twice."""
    ids = ",".join(str(ad.id) for ad in sorted(ads, key=lambda ad: ad.id))
    return f"alert:{saved.id}:{hashlib.sha256(ids.encode()).hexdigest()[:24]}"


def _ad_item(ad: Ad, locale: str, cache: dict) -> dict:
    """What an alert says about an ad, in the current language; the same for every recipient."""
    key = (ad.id, locale)
    if key not in cache:
        cache[key] = {
            "title": ad.title,
            "organisation": ad.organisation.name,
            "trust": trust_line(ad.organisation),  # "Verifierad via e-postdomän …" or not
            "logo": logo_url(ad.organisation, 96, external=True, fmt="png"),  # or None
            "kind": kind_label(ad.kind),
            "area": _ad_area(ad),
            "url": ad_url(ad, external=True),
        }
    return cache[key]


def _queue_alert_email(
    saved: SavedSearch, ads: Sequence[Ad], more: bool = False, cache: dict | None = None
) -> bool:
    """Queue one e-mail listing `ads` for the saved search (the ledger is the caller's).

    `cache` keeps what is the same for every recipient during one run. Does not commit.
    Returns False if the same alert was queued before.
    """
    cache = {} if cache is None else cache
    user = saved.user
    query = query_of(saved)
    locale = user.locale or "sv"
    with force_locale(locale):  # reasons and place names in the recipient's language
        items = [{**_ad_item(ad, locale, cache), "reasons": match_reasons(query, ad)} for ad in ads]
        search_summary = summary(query)
    unsubscribe_url = external_url("alerts.unsubscribe", token=unsubscribe_token(saved))
    row = notifications.queue_email(
        key=_alert_key(saved, ads),
        to=user.email,
        template=EMAIL_TEMPLATE,
        locale=locale,
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        name=saved.name,
        summary=search_summary,
        rhythm=saved.rhythm.value,
        items=items,
        more=more,
        search_url=external_url("ads.index", **search_args(query), sort="nyast"),
        manage_url=external_url("alerts.index"),
        unsubscribe_url=unsubscribe_url,
    )
    return row is not None


def _queue_alert(
    saved: SavedSearch,
    ads: Sequence[Ad],
    now: datetime,
    more: bool = False,
    cache: dict | None = None,
) -> bool:
    """Queue one e-mail listing `ads` for the saved search and record them in the ledger.

    Does not commit: the caller's unit of work does. Returns False if the same alert was queued
    before.
    """
    if not _queue_alert_email(saved, ads, more=more, cache=cache):
        return False
    db.session.add_all(SentAlert(saved_search_id=saved.id, ad_id=ad.id, sent_at=now) for ad in ads)
    saved.last_sent_at = now
    return True


# --- Immediate alerts -----------------------------------------------------------------------


def _admits(mask_column, bits: int) -> sa.ColumnElement[bool]:
    """A bit-mask filter admits the value: no filter (0), or one of the value's bits is set."""
    return sa.or_(mask_column == 0, mask_column.op("&")(bits) != 0)


def _candidates(ad: Ad) -> sa.Select:
    """Immediate, active saved searches whose filters other than the words admit this ad.

    The rules of search.services._conditions read the other way round: which searches would
    find this ad, instead of which ads a search finds. tests/test_alerts_mail.py holds the two
    to the same answers, filter by filter, against search_ads itself.
    """
    place: sa.ColumnElement[bool] = sa.true()  # an ad for all of Sweden is found everywhere
    if ad.county_code:
        same_place = SavedSearch.county_code == ad.county_code
        if ad.municipality_code:  # a county-wide ad is found from all its municipalities
            same_place = sa.and_(
                same_place,
                sa.or_(
                    SavedSearch.municipality_code.is_(None),
                    SavedSearch.municipality_code == ad.municipality_code,
                ),
            )
        place = sa.or_(SavedSearch.county_code.is_(None), same_place)
    # Uncorrelated subqueries: PostgreSQL costs a correlated NOT EXISTS per saved search, which
    # took the estimate past jit_above_cost and cost every publish ~50 ms of JIT compiling.
    with_challenges = sa.select(SavedSearchChallenge.saved_search_id)
    challenge = sa.or_(
        SavedSearch.id.not_in(with_challenges),
        SavedSearch.id.in_(
            sa.select(SavedSearchChallenge.saved_search_id).where(
                SavedSearchChallenge.challenge.in_(ad.challenge_slugs)
            )
        ),
    )
    return (
        sa.select(SavedSearch.id, SavedSearch.text)
        .join(User, User.id == SavedSearch.user_id)
        .where(
            SavedSearch.rhythm == Rhythm.IMMEDIATE,
            SavedSearch.paused.is_(False),
            User.email_confirmed_at.is_not(None),
            _admits(SavedSearch.kind_mask, KIND_BITS[ad.kind]),
            _admits(SavedSearch.seeking_mask, to_mask(ad.seeking, SECTOR_BITS)),
            _admits(SavedSearch.sector_mask, SECTOR_BITS[ad.organisation.sector]),
            place,
            challenge,
        )
    )


@lru_cache(maxsize=20_000)
def _query(text: str) -> language.Query:
    return language.query_terms(text)  # a saved search is submitted: words, no prefixes


def _words_match(text: str, doc: language.DocumentTerms, challenges: list[str]) -> bool:
    """Whether the search's words find an ad, as the search engine does (search.engine.finds:
    the same analysis, tiers and challenge rule, for one ad in hand instead of the index).
    tests/test_alerts_mail.py holds this to the search page's answers on both databases.
    """
    return search_engine.finds(_query(text), doc, challenges)


def alert_new_ad(ad: Ad) -> int:
    """Decide which immediate saved searches are alerted about the just-published ad.

    Called from ads.events.ad_published inside publish_ad's transaction, after the flush (the
    ad is in the full-text index). It records the decision, not the e-mails: one outbox job
    naming the searches, which commits or rolls back with the ad; the worker writes the ledger
    rows and the e-mails (write_new_ad_alerts) after the commit. Rendering hundreds of e-mails
    took seconds of every publish, and even the ledger rows' foreign-key checks a few dozen
    milliseconds on PostgreSQL (make bench). Does not commit. Returns the number of saved
    searches to be alerted.

    The work grows with the number of saved searches whose filters admit the ad, not with how
    many exist: one SQL query applies the filters (_candidates), and the words of those are
    compared with the ad's index terms in Python (_words_match).
    """
    if not ad.is_open(today()):
        return 0
    doc = language.document_terms(ad.title, ad.body, ad.organisation.name)
    challenges = ad.challenge_slugs
    found = [
        row.id
        for row in db.session.execute(_candidates(ad))
        if not row.text or _words_match(row.text, doc, challenges)
    ]
    if not found:
        return 0
    sent = set(
        db.session.scalars(sa.select(SentAlert.saved_search_id).where(SentAlert.ad_id == ad.id))
    )  # the ledger: never the same ad twice for one search (e.g. when the event runs again)
    ids = sorted(set(found) - sent)
    if not ids:
        return 0
    notifications.defer_emails(NEW_AD_ALERTS, ad=ad.id, searches=ids)
    return len(ids)


@notifications.email_writer(NEW_AD_ALERTS)
def write_new_ad_alerts(ad: int, searches: list[int]) -> int:
    """In the worker: the e-mails alert_new_ad decided on, one per saved search.

    The ledger rows are written here, with the e-mails, by one INSERT ... SELECT that leaves
    out searches sent the ad before (a job run twice, or the ad in a digest meanwhile after a
    change of rhythm): the e-mails go to exactly the searches it inserts. What changed since
    the publish is respected: a search paused, deleted or whose owner is gone gets nothing,
    nor does any search when the ad is no longer open. Returns the e-mails queued.
    """
    new_ad = db.session.get(Ad, ad)
    if new_ad is None or not new_ad.is_open(today()):
        return 0
    now = utcnow()
    cache: dict = {}
    alerted: list[int] = []
    already = sa.exists().where(
        SentAlert.saved_search_id == SavedSearch.id, SentAlert.ad_id == new_ad.id
    )
    with db.session.no_autoflush:  # the outbox's key checks need not flush every queued row
        for start in range(0, len(searches), 500):
            active = (
                sa.select(
                    SavedSearch.id, sa.literal(new_ad.id, sa.Integer), sa.literal(now, sa.DateTime)
                )
                .join(User, User.id == SavedSearch.user_id)
                .where(
                    SavedSearch.id.in_(searches[start : start + 500]),
                    SavedSearch.paused.is_(False),
                    User.email_confirmed_at.is_not(None),
                    ~already,
                )
            )
            recorded = db.session.scalars(
                sa.insert(SentAlert)
                .from_select(["saved_search_id", "ad_id", "sent_at"], active)
                .returning(SentAlert.saved_search_id)
            ).all()
            chunk = db.session.scalars(
                sa.select(SavedSearch)
                .where(SavedSearch.id.in_(recorded))
                .options(
                    so.selectinload(SavedSearch.challenge_links),
                    so.joinedload(SavedSearch.user),
                )
                .order_by(SavedSearch.id)
            ).all()
            alerted += [
                saved.id for saved in chunk if _queue_alert_email(saved, [new_ad], cache=cache)
            ]
    for start in range(0, len(alerted), 500):
        db.session.execute(
            sa.update(SavedSearch)
            .where(SavedSearch.id.in_(alerted[start : start + 500]))
            .values(last_sent_at=now),
            execution_options={"synchronize_session": False},
        )
    return len(alerted)


# --- Digests --------------------------------------------------------------------------------


def _new_ads(saved: SavedSearch, now: datetime) -> tuple[list[Ad], bool]:
    """Open ads the search finds, published since its last check and never sent for it.

    Newest first, at most MAX_ADS_PER_MAIL; the flag says whether there were more.
    """
    since = max((saved.last_checked_at or saved.created_at) - OVERLAP, saved.created_at)
    sent = set(
        db.session.scalars(
            sa.select(SentAlert.ad_id)
            .join(Ad, Ad.id == SentAlert.ad_id)
            .where(SentAlert.saved_search_id == saved.id, Ad.published_at > since)
        )
    )
    query = query_of(saved)
    found: list[Ad] = []
    page = 1
    while True:
        result = search.search_ads(query, page=page, per_page=SCAN_PAGE_SIZE, with_facets=False)
        for ad in result.items:  # newest first: stop at the first one from before `since`
            if ad.published_at <= since:
                return found, False
            if ad.published_at <= now and ad.id not in sent:
                if len(found) == MAX_ADS_PER_MAIL:
                    return found, True
                found.append(ad)
        if not result.has_next:
            return found, False
        page += 1


def send_digests(rhythm: Rhythm, now: datetime | None = None) -> int:
    """Mail every active saved search of this rhythm its new ads; returns the e-mails queued.

    Each saved search is its own unit of work (one commit each), so one search's failure or a
    concurrent run does not hold back the others: if two runs race, the ledger's key makes the
    second one's commit fail for that search instead of sending the same ads again.
    """
    rhythm = Rhythm(rhythm)
    if rhythm is Rhythm.IMMEDIATE:
        raise ValueError("immediate alerts are sent when an ad is published")
    now = now or utcnow()
    ids = db.session.scalars(
        sa.select(SavedSearch.id)
        .join(User, User.id == SavedSearch.user_id)
        .where(
            SavedSearch.rhythm == rhythm,
            SavedSearch.paused.is_(False),
            User.email_confirmed_at.is_not(None),
        )
        .order_by(SavedSearch.id)
    ).all()
    queued = 0
    cache: dict = {}
    for saved_id in ids:
        saved = db.session.get(
            SavedSearch,
            saved_id,
            options=[so.selectinload(SavedSearch.challenge_links), so.joinedload(SavedSearch.user)],
            populate_existing=True,
        )
        if saved is None or saved.paused or saved.rhythm is not rhythm:
            continue  # deleted, paused or changed since the run started
        ads, more = _new_ads(saved, now)
        sent = bool(ads) and _queue_alert(saved, ads, now, more=more, cache=cache)
        saved.last_checked_at = now
        try:
            db.session.commit()
        except sa.exc.IntegrityError:
            db.session.rollback()  # a concurrent run sent these ads first
            continue
        queued += sent
    if queued:
        notifications.dispatch()
    return queued


def send_daily_digests(now: datetime | None = None) -> int:
    """The morning digest of every daily saved search."""
    return send_digests(Rhythm.DAILY, now)


def send_weekly_digests(now: datetime | None = None) -> int:
    """The Monday digest of every weekly saved search."""
    return send_digests(Rhythm.WEEKLY, now)
