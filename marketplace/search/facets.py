"""Facet counts from bitsets: the same numbers as search.services._facets, without a query each.

Counting the search page's six disjunctive facets in SQL takes seven grouped queries, each
over every matching open ad: at 100,000 ads about 150 ms (make bench). Here the open ads'
filter values are read once into bitsets (Python integers, bit n = ad id n): one per kind,
challenge, county, municipality, wanted sector and posting organisation's sector. A search then
costs one full-text lookup (the ids its words match) and a few hundred AND + bit_count()
operations on 100,000-bit integers, a few milliseconds in all.

The snapshot is kept per app and process, and rebuilt when marketplace.caching's data
generation moves on (any commit that changes ads, their challenges or organisations: at once in
this process, and in every process when the cache is shared through Redis), when the Swedish
date changes (ads expire at midnight), or after FACET_SNAPSHOT_MAX_AGE seconds (300: another
process's change, when the cache is not shared). Building it reads every open ad's filter
values, about a second of CPU at 100,000 ads; the results and totals beside the facets always
come from the database as it is.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from marketplace import reference
from marketplace.ads.models import Ad, AdChallenge
from marketplace.caching import generation, watch
from marketplace.clock import today
from marketplace.extensions import db
from marketplace.organisations.models import Organisation, Sector

_lock = threading.Lock()
watch({"ad", "ad_challenge", "organisation"})
_FTS = sa.table("fts_ad", sa.column("rowid", sa.Integer))


def bits(ids: Iterable[int]) -> int:
    """A bitset with bit n set for every n in ids."""
    ids = list(ids)
    if not ids:
        return 0
    buffer = bytearray((max(ids) >> 3) + 1)
    for number in ids:
        buffer[number >> 3] |= 1 << (number & 7)
    return int.from_bytes(buffer, "little")


def _any(sets: dict, keys: Iterable) -> int:
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


def _build(key: tuple) -> Snapshot:
    from marketplace.search.services import open_ads_condition  # search.services imports us

    groups: dict[str, dict] = {name: defaultdict(list) for name in ("kind", "county", "muni")}
    seeking: dict[str, list[int]] = defaultdict(list)
    sector: dict[str, list[int]] = defaultdict(list)
    rows = db.session.execute(
        sa.select(
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
    )
    for ad_id, kind, county, municipality, public, civil, business, org_sector in rows:
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
    return Snapshot(
        key=key,
        built_at=time.monotonic(),
        kind={value: bits(ids) for value, ids in groups["kind"].items()},
        challenge={value: bits(ids) for value, ids in challenge.items()},
        county={value: bits(ids) for value, ids in groups["county"].items()},
        municipality={value: bits(ids) for value, ids in groups["muni"].items()},
        seeking={value: bits(ids) for value, ids in seeking.items()},
        sector={value: bits(ids) for value, ids in sector.items()},
    )


def snapshot() -> Snapshot:
    """The current snapshot for this app, rebuilt when the data, the date or the time says so."""
    key = (generation(), today())
    timeout = current_app.config.get("FACET_SNAPSHOT_MAX_AGE", 300)
    current = current_app.extensions.get("facet_snapshot")
    if current is None or current.key != key or time.monotonic() - current.built_at > timeout:
        current = _build(key)
        with _lock:
            current_app.extensions["facet_snapshot"] = current
    return current


def matching_ids(terms: list[tuple[str, ...]]) -> int:
    """The ads the words find (open or not: the open bitsets do the rest), as a bitset."""
    from marketplace.search import services  # search.services imports us

    if db.session.get_bind().dialect.name == "postgresql":
        statement = sa.select(Ad.id).where(services._text_match(terms).condition)
    else:
        found = sa.literal_column("fts_ad").op("MATCH")(services.fts5_query(terms))
        statement = sa.select(_FTS.c.rowid).where(found)
    return bits(db.session.scalars(statement))


def facet_counts(
    *,
    terms: list[tuple[str, ...]],
    kinds: list[str],
    challenges: list[str],
    county: str | None,
    municipality: str | None,
    seeking: list[str],
    sectors: list[str],
) -> dict[str, dict[str, int]]:
    """Counts per filter value given the words and the OTHER filters (search.services rules).

    `county` and `municipality` must already be checked (services._place): a known county, and
    a municipality in it or None.
    """
    snap = snapshot()
    every = _any(snap.kind, snap.kind)  # all open ads
    base = every & matching_ids(terms) if terms else every
    nationwide = snap.county.get(None, 0)
    if county and municipality:
        place = (
            snap.municipality.get(municipality, 0)
            | (snap.county.get(county, 0) & snap.municipality.get(None, 0))
            | nationwide
        )
        county_only = snap.county.get(county, 0) | nationwide
    elif county:
        place = county_only = snap.county.get(county, 0) | nationwide
    else:
        place = county_only = every
    filters = {
        "kind": _any(snap.kind, kinds) if kinds else every,
        "challenge": _any(snap.challenge, challenges) if challenges else every,
        "place": place,
        "seeking": _any(snap.seeking, seeking) if seeking else every,
        "sector": _any(snap.sector, sectors) if sectors else every,
    }

    def without(*names: str) -> int:
        result = base
        for name, bitset in filters.items():
            if name not in names:
                result &= bitset
        return result

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
        within = without("place") & county_only
        wide = (within & snap.municipality.get(None, 0)).bit_count()
        facets["municipality"] = {
            m.code: n + wide
            for m in reference.municipalities_by_county()[county]
            if (n := (within & snap.municipality.get(m.code, 0)).bit_count()) + wide
        }
    facets["seeking"] = counts(without("seeking"), snap.seeking)
    facets["sector"] = counts(without("sector"), snap.sector)
    return facets
