"""Searching the open ads with bitsets: totals, the order of a page and the facet counts.

The same answers as the SQL in search.services (`_sql_page`, `_facets`), without a query each.

Counting the search page's six disjunctive facets in SQL takes seven grouped queries, each
over every matching open ad: at 100,000 ads about 150 ms (make bench). Here the open ads'
filter values are read once into bitsets (Python integers, bit n = ad id n): one per kind,
challenge, county, municipality, wanted sector and posting organisation's sector. A search then
costs one full-text lookup (the ids its words match, with their relevance when the page is
ordered by it) and a few hundred AND + bit_count() operations on 100,000-bit integers, a few
milliseconds in all. The total is the bit count of what the words and every filter leave; the
page's ads are picked from that bitset in the snapshot's orders (newest first, expiring
soonest), so only the 20 shown ads are read from the table. In SQL, counting the total alone
cost ~17 ms at 100,000 ads (a row lookup for each of ~15,000 candidates) and ordering the page
as much again.

The snapshot is kept per app and process, and rebuilt when marketplace.caching's data
generation moves on (any commit that changes ads, their challenges or organisations: at once in
this process, and in every process when the cache is shared through Redis), when the Swedish
date changes (ads expire at midnight), or after FACET_SNAPSHOT_MAX_AGE seconds (300: another
process's change, when the cache is not shared). Building it reads every open ad's filter
values, about a second of CPU at 100,000 ads. The ads of a page are read from the table with
the open-ads rule applied again, so an ad closed or hidden in another process while its
snapshot was still current is never shown (it may still be counted, for at most that long).
"""

from __future__ import annotations

import heapq
import operator
import re
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app

from marketplace import reference
from marketplace.ads.models import Ad, AdChallenge, open_ads_condition
from marketplace.caching import generation, local_generation, watch
from marketplace.clock import today
from marketplace.extensions import db
from marketplace.organisations.models import Organisation, Sector
from marketplace.search import index as search_index

_lock = threading.Lock()
watch({"ad", "ad_challenge", "organisation"})


def bits(ids: Iterable[int]) -> int:
    """A bitset with bit n set for every n in ids."""
    ids = list(ids)
    if not ids:
        return 0
    buffer = bytearray((max(ids) >> 3) + 1)
    for number in ids:
        buffer[number >> 3] |= 1 << (number & 7)
    return int.from_bytes(buffer, "little")


def any_of(sets: dict, keys: Iterable) -> int:
    """The union of the bitsets under these keys (a missing key adds nothing)."""
    result = 0
    for key in keys:
        result |= sets.get(key, 0)
    return result


@dataclass
class Snapshot:
    """Bitsets of the open ads, by filter value. None keys: no county (all of Sweden) / no
    municipality (the whole county or all of Sweden)."""

    key: tuple
    built_at: float
    kind: dict[str, int]
    challenge: dict[str, int]
    county: dict[str | None, int]
    municipality: dict[str | None, int]
    seeking: dict[str, int]
    sector: dict[str, int]
    # The open ads' ids in the search's orders; position: id -> place in `newest`, the tie-break
    # of every order (published_at desc, id desc, as search.services orders in SQL).
    newest: list[int] = field(default_factory=list)
    expiring: list[int] = field(default_factory=list)
    position: dict[int, int] = field(default_factory=dict)
    expiring_position: dict[int, int] = field(default_factory=dict)


def _build(key: tuple) -> Snapshot:
    groups: dict[str, dict] = {name: defaultdict(list) for name in ("kind", "county", "muni")}
    seeking: dict[str, list[int]] = defaultdict(list)
    sector: dict[str, list[int]] = defaultdict(list)
    newest: list[int] = []  # the rows come newest first: the search's tie-break order
    expiry: list[tuple[date | str, int, int]] = []
    rows = db.session.execute(
        sa.select(
            sa.type_coerce(Ad.expires_on, sa.String),  # ISO dates sort as dates: no parsing
            Ad.id,
            sa.type_coerce(Ad.kind, sa.String),  # the stored value as it is: no Enum per row
            Ad.county_code,
            Ad.municipality_code,
            Ad.seeks_public,
            Ad.seeks_civil,
            Ad.seeks_business,
            sa.type_coerce(Organisation.sector, sa.String),
        )
        .join(Organisation, Organisation.id == Ad.organisation_id)
        .where(open_ads_condition())
        .order_by(Ad.published_at.desc(), Ad.id.desc())
    )
    for place, (
        expires,
        ad_id,
        kind,
        county,
        municipality,
        public,
        civil,
        business,
        org_sector,
    ) in enumerate(rows):
        newest.append(ad_id)
        expiry.append((expires, place, ad_id))
        groups["kind"][kind].append(ad_id)
        groups["county"][county].append(ad_id)
        groups["muni"][municipality].append(ad_id)
        if public:
            seeking[Sector.PUBLIC.value].append(ad_id)
        if civil:
            seeking[Sector.CIVIL.value].append(ad_id)
        if business:
            seeking[Sector.BUSINESS.value].append(ad_id)
        sector[org_sector].append(ad_id)
    challenge: dict[str, list[int]] = defaultdict(list)
    for ad_id, slug in db.session.execute(
        sa.select(AdChallenge.ad_id, AdChallenge.challenge)
        .join(Ad, Ad.id == AdChallenge.ad_id)
        .where(open_ads_condition())
    ):
        challenge[slug].append(ad_id)
    position = {ad_id: place for place, ad_id in enumerate(newest)}
    expiring = [ad_id for _expires, _place, ad_id in sorted(expiry)]
    return Snapshot(
        key=key,
        built_at=time.monotonic(),
        kind={value: bits(ids) for value, ids in groups["kind"].items()},
        challenge={value: bits(ids) for value, ids in challenge.items()},
        county={value: bits(ids) for value, ids in groups["county"].items()},
        municipality={value: bits(ids) for value, ids in groups["muni"].items()},
        seeking={value: bits(ids) for value, ids in seeking.items()},
        sector={value: bits(ids) for value, ids in sector.items()},
        newest=newest,
        expiring=expiring,
        position=position,
        expiring_position={ad_id: place for place, ad_id in enumerate(expiring)},
    )


def snapshot() -> Snapshot:
    """The current snapshot for this app, rebuilt when the data, the date or the time says so."""
    # With Redis down, generation() is None: this process's own writes still move it on.
    key = (generation(), local_generation(), today())
    timeout = current_app.config["FACET_SNAPSHOT_MAX_AGE"]
    current = current_app.extensions.get("facet_snapshot")
    if current is None or current.key != key or time.monotonic() - current.built_at > timeout:
        current = _build(key)
        with _lock:
            current_app.extensions["facet_snapshot"] = current
    return current


# The full-text lookups, written out for the DBAPI cursor: at ~10,000 matching ads, building
# SQLAlchemy rows cost more than the lookup itself (make bench). PostgreSQL finds through the GIN
# index's expression and ranks the stored vector (ad.search_vector, search/index.py), the same
# value without parsing each ad's text again; SQLite reads the FTS5 table kept by triggers.
_LOOKUPS = {
    ("sqlite", False): "SELECT rowid, 0 FROM fts_ad WHERE fts_ad MATCH ?",
    ("sqlite", True): "SELECT rowid, bm25(fts_ad) FROM fts_ad WHERE fts_ad MATCH ?",
    ("postgresql", False): (
        "SELECT id, 0 FROM ad WHERE to_tsvector('simple', search_terms) @@ to_tsquery('simple', %s)"
    ),
    # ts_rank: higher is better, turned round so that every order here sorts ascending.
    ("postgresql", True): (
        "SELECT id, -ts_rank(search_vector, query) "
        "FROM ad, to_tsquery('simple', %s) AS query "
        "WHERE to_tsvector('simple', search_terms) @@ query"
    ),
}


def _text_lookup(terms: list[tuple[str, ...]], *, scored: bool) -> dict[int, float]:
    """The ads the words find, each with its relevance (lower is better) when `scored`, else 0."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        wanted = search_index.tsquery(terms)
    else:
        dialect, wanted = "sqlite", search_index.fts5_query(terms)
    cursor = db.session.connection().connection.cursor()  # this session's transaction
    try:
        cursor.execute(_LOOKUPS[dialect, scored], (wanted,))
        return dict(cursor.fetchall())
    finally:
        cursor.close()


@dataclass
class Selection:
    """What one search selects from a snapshot: the open ads its words find (`base`), each
    filter's ads, and the relevance of each found ad when the page is ordered by it."""

    snap: Snapshot
    base: int
    filters: dict[str, int]
    scores: dict[int, float]

    def found(self, *leave_out: str) -> int:
        """The ads that pass the words and every filter except those named."""
        result = self.base
        for name, bitset in self.filters.items():
            if name not in leave_out:
                result &= bitset
        return result


def select(
    *,
    terms: list[tuple[str, ...]],
    kinds: list[str],
    challenges: list[str],
    county: str | None,
    municipality: str | None,
    seeking: list[str],
    sectors: list[str],
    scored: bool = False,
) -> Selection:
    """The selection for a search (search.services rules).

    `county` and `municipality` must already be checked (services._place): a known county, and
    a municipality in it or None.
    """
    snap = snapshot()
    every = any_of(snap.kind, snap.kind)  # all open ads
    scores: dict[int, float] = {}
    if terms:
        found = _text_lookup(terms, scored=scored)
        base = every & bits(found)
        if scored:
            scores = found
    else:
        base = every
    nationwide = snap.county.get(None, 0)
    if county and municipality:
        place = (
            snap.municipality.get(municipality, 0)
            | (snap.county.get(county, 0) & snap.municipality.get(None, 0))
            | nationwide
        )
    elif county:
        place = snap.county.get(county, 0) | nationwide
    else:
        place = every
    filters = {
        "kind": any_of(snap.kind, kinds) if kinds else every,
        "challenge": any_of(snap.challenge, challenges) if challenges else every,
        "place": place,
        "seeking": any_of(snap.seeking, seeking) if seeking else every,
        "sector": any_of(snap.sector, sectors) if sectors else every,
    }
    return Selection(snap=snap, base=base, filters=filters, scores=scores)


WALK_STEPS = 5000  # expected steps down an order worth taking before picking from all ids
_NONZERO = re.compile(rb"[^\x00]")
_START = operator.methodcaller("start")
_BITS_OF_BYTE = tuple(tuple(bit for bit in range(8) if byte >> bit & 1) for byte in range(256))


def ids(bitset: int) -> list[int]:
    """The numbers whose bits are set, ascending (fast for sparse bitsets: only non-zero bytes)."""
    data = bitset.to_bytes((bitset.bit_length() + 7) // 8, "little")
    found: list[int] = []
    append = found.append
    for position in map(_START, _NONZERO.finditer(data)):
        base = position * 8
        for bit in _BITS_OF_BYTE[data[position]]:
            append(base + bit)
    return found


def _has(data: bytes, number: int) -> bool:
    return number >> 3 < len(data) and bool(data[number >> 3] >> (number & 7) & 1)


def page_ids(selection: Selection, found: int, sort: str, offset: int, limit: int) -> list[int]:
    """The ids of one page of `found`, in the order search.services defines for `sort`:
    "relevance" (needs a scored selection), "expiring", else "newest"; ties newest first."""
    wanted = offset + limit
    total = found.bit_count()
    if offset >= total:
        return []
    snap = selection.snap
    # Bits are tested in the bytes: a shift of the whole integer per test would copy it.
    data = found.to_bytes((found.bit_length() + 7) >> 3, "little")
    if sort == "relevance":
        position = snap.position
        ranked = [
            (score, position[ad_id], ad_id)
            for ad_id, score in selection.scores.items()
            if _has(data, ad_id)
        ]
        return [ad_id for _score, _place, ad_id in heapq.nsmallest(wanted, ranked)][offset:]
    order = snap.expiring if sort == "expiring" else snap.newest
    if wanted * len(order) <= WALK_STEPS * total:
        # Dense enough that walking the order meets `wanted` of them within WALK_STEPS steps
        # (expected): cheaper than taking out every found id and picking the first of them.
        page = []
        for ad_id in order:
            if _has(data, ad_id):
                page.append(ad_id)
                if len(page) == wanted:
                    break
        return page[offset:]
    place = snap.expiring_position if sort == "expiring" else snap.position
    return heapq.nsmallest(wanted, ids(found), key=place.__getitem__)[offset:]


def facet_counts(selection: Selection, county: str | None) -> dict[str, dict[str, int]]:
    """Counts per filter value given the words and the OTHER filters (search.services rules)."""
    snap = selection.snap
    without = selection.found
    nationwide = snap.county.get(None, 0)

    def counts(within: int, sets: dict) -> dict:
        return {
            value: n
            for value, bitset in sets.items()
            if value and (n := (within & bitset).bit_count())
        }

    facets: dict[str, dict[str, int]] = {
        "kind": counts(without("kind"), snap.kind),
        "challenge": counts(without("challenge"), snap.challenge),
    }
    by_county = without("place")
    national = (by_county & nationwide).bit_count()
    facets["county"] = {
        code: n + national
        for code in reference.counties()
        if (n := (by_county & snap.county.get(code, 0)).bit_count()) + national
    }
    facets["municipality"] = {}
    if county:
        # The county filter stays; only the municipality is left out.
        within = without("place") & (snap.county.get(county, 0) | nationwide)
        wide = (within & snap.municipality.get(None, 0)).bit_count()
        facets["municipality"] = {
            m.code: n + wide
            for m in reference.municipalities_by_county()[county]
            if (n := (within & snap.municipality.get(m.code, 0)).bit_count()) + wide
        }
    facets["seeking"] = counts(without("seeking"), snap.seeking)
    facets["sector"] = counts(without("sector"), snap.sector)
    return facets
