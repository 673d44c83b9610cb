"""The site's statistics: /statistik, its CSV and the county pages' figures.

Statistics are read with a handful of GROUP BY queries (never one query per county, challenge
or month) and kept for a short while in a small in-process cache keyed by the filters
(INSIGHTS_CACHE_SECONDS, 60 by default): /statistik, its CSV and the county pages share them.
"""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _

from marketplace import reference
from marketplace.ads.models import Ad, AdChallenge, AdKind, open_ads_condition
from marketplace.clock import today as swedish_today
from marketplace.clock import utcnow
from marketplace.contact.models import Conversation
from marketplace.extensions import db
from marketplace.insights import labels
from marketplace.insights.models import CollaborationForm, Outcome
from marketplace.matching.models import MatchNotice

if TYPE_CHECKING:
    from sqlalchemy.sql.elements import ColumnElement

PERIODS = (3, 6, 12, 24)  # months, this one included
DEFAULT_PERIOD = 12
COUNTY_PAGE_TOP_CHALLENGES = 3
NO_COLLABORATION = "none"  # the outcomes-by-form key for "did not lead to collaboration"
KINDS = tuple(kind.value for kind in AdKind)

T = TypeVar("T")


@dataclass(frozen=True)
class StatisticsFilter:
    """What /statistik shows: one county (None: all of Sweden) and the last `months` months."""

    county: str | None = None
    months: int = DEFAULT_PERIOD
    crisis: int | None = None  # a crisis's id (marketplace.crises): only its tagged ads count


@dataclass
class Statistics:
    """The figures for one filter. Keys are stable codes; labels are looked up when shown.

    Open ads are counted now; everything else happened in the period's months.
    """

    filters: StatisticsFilter
    months: list[date]  # the first day of each month in the period, oldest first
    open_by_challenge: dict[str, dict[str, int]]  # challenge slug -> kind value -> open ads
    open_by_county: dict[str, dict[str, int]]  # county code ("" = all of Sweden) -> kind -> ads
    published_by_month: dict[str, dict[str, int]]  # "YYYY-MM" -> kind -> ads published
    matches_by_month: dict[str, int]
    contacts_by_month: dict[str, int]
    outcomes_by_month: dict[str, int]
    outcomes_by_form: dict[str, int]  # form value, or NO_COLLABORATION -> outcomes
    generated_at: datetime = field(default_factory=utcnow)

    @property
    def month_keys(self) -> list[str]:
        return [month_key(month) for month in self.months]

    @property
    def period_start(self) -> date:
        return self.months[0]

    @property
    def period_end(self) -> date:
        """The period's last day (today's month runs to its end)."""
        return _next_month(self.months[-1]) - timedelta(days=1)

    def open_total(self, kind: str) -> int:
        """Open ads of a kind in the filter's county (or everywhere)."""
        if self.filters.county:
            return self.open_by_county.get(self.filters.county, {}).get(kind, 0)
        return sum(counts.get(kind, 0) for counts in self.open_by_county.values())

    def county_total(self, code: str) -> int:
        """Open needs and offers in the county (what the map shades)."""
        counts = self.open_by_county.get(code, {})
        return counts.get("need", 0) + counts.get("offer", 0)

    def published(self, month: str, kind: str | None = None) -> int:
        counts = self.published_by_month.get(month, {})
        return counts.get(kind, 0) if kind else sum(counts.values())

    @property
    def published_total(self) -> int:
        return sum(sum(counts.values()) for counts in self.published_by_month.values())

    @property
    def matches_total(self) -> int:
        return sum(self.matches_by_month.values())

    @property
    def contacts_total(self) -> int:
        return sum(self.contacts_by_month.values())

    @property
    def outcomes_total(self) -> int:
        return sum(self.outcomes_by_form.values())

    @property
    def collaborations_total(self) -> int:
        return self.outcomes_total - self.outcomes_by_form.get(NO_COLLABORATION, 0)

    def top_challenges(self, limit: int = COUNTY_PAGE_TOP_CHALLENGES) -> list[tuple[str, int]]:
        """Challenges with the most open ads (any kind), most first: (slug, count)."""
        order = list(reference.challenges())
        totals = [
            (slug, sum(counts.values()))
            for slug, counts in self.open_by_challenge.items()
            if sum(counts.values())
        ]
        totals.sort(key=lambda item: (-item[1], order.index(item[0]) if item[0] in order else 99))
        return totals[:limit]

    def most_common_form(self) -> str | None:
        """The collaboration form reported most often in the period, or None."""
        forms = [
            (count, key)
            for key, count in self.outcomes_by_form.items()
            if key != NO_COLLABORATION and count
        ]
        if not forms:
            return None
        order = [form.value for form in CollaborationForm]
        return min(forms, key=lambda item: (-item[0], order.index(item[1])))[1]


def month_key(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def _next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def period_months(months: int, on: date | None = None) -> list[date]:
    """The first days of the last `months` calendar months, this one included, oldest first."""
    current = (on or swedish_today()).replace(day=1)
    result = [current]
    while len(result) < months:
        first = result[0] - timedelta(days=1)
        result.insert(0, first.replace(day=1))
    return result


def _month_of(column: Any) -> ColumnElement[str]:
    """'YYYY-MM' of a timestamp column (the format is a literal so PostgreSQL can group by it)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(column, sa.literal_column("'YYYY-MM'"))
    return sa.func.strftime(sa.literal_column("'%Y-%m'"), column)


def _in_period(column: Any, months: list[date]) -> ColumnElement[bool]:
    start = datetime.combine(months[0], datetime.min.time())
    end = datetime.combine(_next_month(months[-1]), datetime.min.time())
    return sa.and_(column >= start, column < end)


def _per_month(statement: sa.Select) -> dict[str, int]:
    return {month: int(count) for month, count in db.session.execute(statement) if month}


def _crisis_ads(crisis: int | None) -> list[ColumnElement[bool]]:
    """With a crisis filter, only the ads tagged to it (and what happened around them) count."""
    return [Ad.crisis_id == crisis] if crisis is not None else []


def _open_by_challenge(county: str | None, crisis: int | None = None) -> dict[str, dict[str, int]]:
    statement = (
        sa.select(AdChallenge.challenge, Ad.kind, sa.func.count())
        .join(Ad, Ad.id == AdChallenge.ad_id)
        .where(open_ads_condition(), *_crisis_ads(crisis))
        .group_by(AdChallenge.challenge, Ad.kind)
    )
    if county:
        statement = statement.where(Ad.county_code == county)
    result: dict[str, dict[str, int]] = {slug: {} for slug in reference.challenges()}
    for slug, kind, count in db.session.execute(statement):
        result.setdefault(slug, {})[kind.value] = int(count)
    return result


def _open_by_county(crisis: int | None = None) -> dict[str, dict[str, int]]:
    statement = (
        sa.select(Ad.county_code, Ad.kind, sa.func.count())
        .where(open_ads_condition(), *_crisis_ads(crisis))
        .group_by(Ad.county_code, Ad.kind)
    )
    result: dict[str, dict[str, int]] = {code: {} for code in reference.counties()}
    result[""] = {}
    for code, kind, count in db.session.execute(statement):
        result.setdefault(code or "", {})[kind.value] = int(count)
    return result


def _published_by_month(filters: StatisticsFilter, months: list[date]) -> dict[str, dict[str, int]]:
    month = _month_of(Ad.published_at)
    statement = (
        sa.select(month, Ad.kind, sa.func.count())
        .where(_in_period(Ad.published_at, months), *_crisis_ads(filters.crisis))
        .group_by(month, Ad.kind)
    )
    if filters.county:
        statement = statement.where(Ad.county_code == filters.county)
    result: dict[str, dict[str, int]] = {}
    for key, kind, count in db.session.execute(statement):
        result.setdefault(key, {})[kind.value] = int(count)
    return result


def count_matches_suggested(filters: StatisticsFilter, months: list[date]) -> dict[str, int]:
    """Matches suggested per month: the matching domain's ledger of match e-mails (MatchNotice).

    A pair counts for a county when either of its two ads is in it. Computing every possible
    pair would be far too heavy for a statistics page, so only what matching stored is counted.
    """
    month = _month_of(MatchNotice.created_at)
    statement = (
        sa.select(month, sa.func.count(MatchNotice.id))
        .where(_in_period(MatchNotice.created_at, months))
        .group_by(month)
    )
    if filters.county or filters.crisis is not None:
        ours, theirs = so.aliased(Ad), so.aliased(Ad)
        statement = statement.join(ours, ours.id == MatchNotice.ad_id).join(
            theirs, theirs.id == MatchNotice.matched_ad_id
        )
        if filters.county:
            statement = statement.where(
                sa.or_(ours.county_code == filters.county, theirs.county_code == filters.county)
            )
        if filters.crisis is not None:
            statement = statement.where(
                sa.or_(ours.crisis_id == filters.crisis, theirs.crisis_id == filters.crisis)
            )
    return _per_month(statement)


def count_contacts_made(filters: StatisticsFilter, months: list[date]) -> dict[str, int]:
    """Contacts made per month: conversations started between organisations (contact domain).

    A conversation counts for the county of the ad it is about (while the ad exists).
    """
    month = _month_of(Conversation.created_at)
    statement = (
        sa.select(month, sa.func.count(Conversation.id))
        .where(_in_period(Conversation.created_at, months))
        .group_by(month)
    )
    if filters.county or filters.crisis is not None:
        statement = statement.join(Ad, Ad.id == Conversation.ad_id)
        if filters.county:
            statement = statement.where(Ad.county_code == filters.county)
        statement = statement.where(*_crisis_ads(filters.crisis))
    return _per_month(statement)


def _outcomes(
    filters: StatisticsFilter, months: list[date]
) -> tuple[dict[str, int], dict[str, int]]:
    """Outcomes reported per month and per form (NO_COLLABORATION for "no"), in one query."""
    month = _month_of(Outcome.reported_at)
    statement = (
        sa.select(month, Outcome.collaborated, Outcome.form, sa.func.count(Outcome.id))
        .where(_in_period(Outcome.reported_at, months))
        .group_by(month, Outcome.collaborated, Outcome.form)
    )
    if filters.county:
        statement = statement.where(Outcome.county_code == filters.county)
    if filters.crisis is not None:
        statement = statement.where(
            Outcome.ad_id.in_(sa.select(Ad.id).where(Ad.crisis_id == filters.crisis))
        )
    by_month: dict[str, int] = {}
    by_form: dict[str, int] = {form.value: 0 for form in CollaborationForm}
    by_form[NO_COLLABORATION] = 0
    for key, collaborated, form, count in db.session.execute(statement):
        by_month[key] = by_month.get(key, 0) + int(count)
        name = form.value if collaborated and form else NO_COLLABORATION
        if collaborated and form is None:
            name = CollaborationForm.OTHER.value
        by_form[name] += int(count)
    return by_month, by_form


def _compute_statistics(filters: StatisticsFilter, on: date) -> Statistics:
    months = period_months(filters.months, on)
    outcomes_by_month, outcomes_by_form = _outcomes(filters, months)
    return Statistics(
        filters=filters,
        months=months,
        open_by_challenge=_open_by_challenge(filters.county, filters.crisis),
        open_by_county=_open_by_county(filters.crisis),
        published_by_month=_published_by_month(filters, months),
        matches_by_month=count_matches_suggested(filters, months),
        contacts_by_month=count_contacts_made(filters, months),
        outcomes_by_month=outcomes_by_month,
        outcomes_by_form=outcomes_by_form,
    )


_cache_lock = threading.Lock()


def _cached(key: tuple, compute: Callable[[], T]) -> T:
    """A small per-app TTL cache: figures are read often and may be a minute old."""
    seconds = float(current_app.config["INSIGHTS_CACHE_SECONDS"])
    store: dict[tuple, tuple[float, Any]] = current_app.extensions.setdefault("insights_cache", {})
    now = time.monotonic()
    with _cache_lock:
        hit = store.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
    value = compute()
    if seconds > 0:
        with _cache_lock:
            if len(store) > 500:  # filters are few; this only guards against odd growth
                for old in [k for k, (expires, _v) in store.items() if expires <= now]:
                    del store[old]
            store[key] = (now + seconds, value)
    return value


def forget() -> None:
    """Drop cached figures (after an outcome is reported, so the reporter sees it counted)."""
    with _cache_lock:
        current_app.extensions.get("insights_cache", {}).clear()


def statistics(filters: StatisticsFilter, on: date | None = None) -> Statistics:
    """The figures for a county and period, from the cache when they are fresh enough."""
    day = on or swedish_today()
    return _cached(("statistics", filters, day), lambda: _compute_statistics(filters, day))


def county_figures(code: str) -> Statistics | None:
    """The county page's figures (the last 12 months), or None for an unknown county."""
    if code not in reference.counties():
        return None
    return statistics(StatisticsFilter(county=code, months=DEFAULT_PERIOD))


# CSV

_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """A cell a spreadsheet will not run: text starting with = + - @ (or tab/CR) gets a quote."""
    if isinstance(value, str) and value.startswith(_CSV_FORMULA_START):
        return "'" + value
    return value


def month_name(month: date) -> str:
    return format_date(month, "LLLL yyyy")


def statistics_rows(stats: Statistics) -> Iterable[list[object]]:
    """The figures as rows: section, code, name, series, count (the same numbers as the page)."""
    kinds = {"need": _("Söker"), "offer": _("Erbjuder"), "idea": _("Idé")}
    yield [_("Avsnitt"), _("Kod"), _("Namn"), _("Serie"), _("Antal")]
    section = _("Öppna annonser per samhällsutmaning")
    for slug, challenge in reference.challenges().items():
        for kind in ("need", "offer"):
            yield [
                section,
                slug,
                challenge.name,
                kinds[kind],
                stats.open_by_challenge.get(slug, {}).get(kind, 0),
            ]
    section = _("Öppna annonser per län")
    places = [(code, county.name) for code, county in reference.counties().items()]
    for code, name in [*places, ("", _("Hela Sverige"))]:
        for kind in ("need", "offer"):
            yield [
                section,
                code,
                name,
                kinds[kind],
                stats.open_by_county.get(code, {}).get(kind, 0),
            ]
    section = _("Per månad")
    for month, key in zip(stats.months, stats.month_keys, strict=True):
        for kind in KINDS:
            yield [
                section,
                key,
                month_name(month),
                _("Nya annonser: %(kind)s", kind=kinds[kind]),
                stats.published(key, kind),
            ]
        yield [
            section,
            key,
            month_name(month),
            _("Föreslagna matchningar"),
            stats.matches_by_month.get(key, 0),
        ]
        yield [section, key, month_name(month), _("Kontakter"), stats.contacts_by_month.get(key, 0)]
        yield [
            section,
            key,
            month_name(month),
            _("Rapporterade resultat"),
            stats.outcomes_by_month.get(key, 0),
        ]
    section = _("Rapporterade resultat per samverkansform")
    for form in CollaborationForm:
        yield [
            section,
            form.value,
            labels.form_label(form),
            _("Resultat"),
            stats.outcomes_by_form.get(form.value, 0),
        ]
    yield [
        section,
        NO_COLLABORATION,
        str(labels.NO_COLLABORATION_LABEL),
        _("Resultat"),
        stats.outcomes_by_form.get(NO_COLLABORATION, 0),
    ]


def statistics_csv(stats: Statistics) -> str:
    """Semicolon-separated UTF-8 with a byte-order mark: opens as columns in Swedish Excel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for row in statistics_rows(stats):
        writer.writerow([csv_safe(cell) for cell in row])
    return "\ufeff" + buffer.getvalue()
