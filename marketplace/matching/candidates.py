"""An ad's match candidates among the open ads (`candidate_ids`, the rules in the package's
docstring), found with bitset arithmetic instead of SQL sorting.

The open ads' filter values are kept as bitsets (Python integers, bit n = ad id n) by
marketplace.search.facets, rebuilt when the data generation moves on. Finding an ad's
candidates then is a few dozen AND/OR/XOR operations on 100,000-bit integers (each a few
microseconds) instead of a query that pre-scores and sorts tens of thousands of rows:

- `Tally` adds whole points to every ad of a bitset at once. It keeps the sums bit-sliced
  (plane j holds bit j of every ad's sum), so adding is a ripple-carry adder over planes;
- `Tally.best(k, among)` picks the k highest sums, ties to the highest ids, walking the planes
  from the top (the top-k search of a bit-sliced index);
- `term_hits(terms)` gives the ads (open or not) whose search terms hold each term, from the
  full-text index, kept with the snapshot so a term is looked up once per data generation;
- `attributes()` turns the same bitsets around once per snapshot: per open ad (a list indexed
  by id) its kind, place, sectors and challenges, so scoring a few hundred candidates reads
  lists instead of the database (`profiles`).
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from marketplace import reference
from marketplace.ads.models import Ad, AdKind
from marketplace.extensions import db
from marketplace.matching.scoring import COMPLEMENTS, Profile
from marketplace.matching.terms import Terms, TermStats, index_terms
from marketplace.organisations.models import Sector
from marketplace.search import facets
from marketplace.search import index as search_index

CANDIDATE_CAP = 500  # most candidates scored in Python per ad
NEAR_ONLY_ABOVE = 20_000  # with more ads than this, a shared challenge alone must be near
RARE_TERMS = 8  # the ad's rarest terms that may bring in candidates without a shared challenge
RARE_SHARE = 0.02  # ... if no more than this share of open ads has them (at least RARE_FLOOR)
RARE_FLOOR = 20
TERM_HITS_KEPT = 2048  # terms whose hits are kept per snapshot (at most ~12 KB each per 100k ids)

_SIMPLE = sa.literal_column("'simple'")  # inline, so PostgreSQL sees its index expression


def highest(bitset: int, count: int) -> int:
    """The `count` highest set bits of `bitset` (all of them if it has no more)."""
    if count <= 0:
        return 0
    if bitset.bit_count() <= count:
        return bitset
    # The largest shift that keeps `count` bits: lowering it by one adds at most one bit.
    low, high = 0, bitset.bit_length()
    while low < high:
        middle = (low + high + 1) // 2
        if (bitset >> middle).bit_count() >= count:
            low = middle
        else:
            high = middle - 1
    return bitset >> low << low


class Tally:
    """Whole, non-negative points per ad, summed for all ads at once (bit-sliced)."""

    def __init__(self) -> None:
        self.planes: list[int] = []  # planes[j]: the ads whose sum has bit j set

    def add(self, points: int, where: int) -> None:
        """Add `points` to every ad in the bitset `where`."""
        if points <= 0 or not where:
            return
        carry = 0
        j = 0
        while points or carry:
            if j == len(self.planes):
                self.planes.append(0)
            addend = where if points & 1 else 0
            plane = self.planes[j]
            partial = plane ^ addend
            self.planes[j] = partial ^ carry
            carry = (plane & addend) | (partial & carry)
            points >>= 1
            j += 1

    def best(self, count: int, among: int) -> int:
        """The `count` ads of `among` with the highest sums; ties go to the highest ids."""
        if among.bit_count() <= count:
            return among
        chosen, tied = 0, among  # chosen: surely in; tied: equal so far on the higher planes
        for plane in reversed(self.planes):
            above = tied & plane
            total = chosen.bit_count() + above.bit_count()
            if total > count:
                tied = above  # the cut lies among those with this bit set
            else:
                chosen |= above
                tied &= ~plane
                if total == count:
                    return chosen
        return chosen | highest(tied, count - chosen.bit_count())


def term_hits(terms: Iterable[str], snapshot: facets.Snapshot) -> dict[str, int]:
    """term -> bitset of the ads (open or not) whose search terms hold it, from the index.

    Kept with the snapshot (so for one data generation), for TERM_HITS_KEPT terms.
    """
    kept = current_app.extensions.get("matching_term_hits")
    if kept is None or kept[0] is not snapshot:
        kept = (snapshot, {})
        current_app.extensions["matching_term_hits"] = kept
    known: dict[str, int] = kept[1]
    wanted = [term for term in dict.fromkeys(terms) if term not in known]
    if wanted:
        if len(known) + len(wanted) > TERM_HITS_KEPT:
            known.clear()
        known.update(dict.fromkeys(wanted, 0))
        for number, found in db.session.execute(_hits_query(wanted)):
            if found:  # "12,345,…": one string per term, far cheaper than a row per ad
                known[wanted[number]] = facets.bits(map(int, found.split(",")))
    return {term: known[term] for term in terms}


def _hits_query(terms: list[str]) -> sa.CompoundSelect:
    """(term's position, the ids of the ads holding it, comma-separated) for each term: one
    index lookup per term. Terms are [0-9a-z]+ (search.text folds them so), quoted for the
    index's syntax."""
    if db.session.get_bind().dialect.name == "postgresql":
        ad = Ad.__table__

        def having(number: int, term: str) -> sa.Select:
            vector = sa.func.to_tsvector(_SIMPLE, ad.c.search_terms)
            found = vector.op("@@")(sa.func.to_tsquery(_SIMPLE, f"'{term}'"))
            ids = sa.func.aggregate_strings(sa.cast(ad.c.id, sa.String), ",")
            return sa.select(sa.literal(number), ids).where(found)
    else:

        def having(number: int, term: str) -> sa.Select:
            found = sa.literal_column("fts_ad").op("MATCH")(f'"{term}"')
            ids = sa.func.aggregate_strings(sa.cast(search_index.FTS.c.rowid, sa.String), ",")
            return sa.select(sa.literal(number), ids).where(found)

    return sa.union_all(*(having(number, term) for number, term in enumerate(terms)))


@dataclass
class Attributes:
    """What scoring needs of each open ad but its words; index = ad id (None: not open)."""

    kind: list[str | None]  # AdKind values
    county: list[str | None]  # None also for all of Sweden
    municipality: list[str | None]
    seeking: list[tuple[str, ...]]  # Sector values, in Sector's order
    sector: list[str | None]  # the organisation's
    challenges: list[frozenset[str]]


def attributes(snapshot: facets.Snapshot) -> Attributes:
    """The open ads' attributes from the snapshot's bitsets, kept as long as it is current.

    One call takes one snapshot and passes it on: another thread may replace it meanwhile.
    """
    kept = current_app.extensions.get("matching_attributes")
    if kept is None or kept[0] is not snapshot:
        kept = (snapshot, _attributes(snapshot))
        current_app.extensions["matching_attributes"] = kept
    return kept[1]


def _attributes(snapshot: facets.Snapshot) -> Attributes:
    every = 0
    for bitset in snapshot.kind.values():
        every |= bitset
    size = every.bit_length()

    def spread(by_value: dict) -> list:
        values: list = [None] * size
        for value, bitset in by_value.items():
            _assign(values, _all_ids(bitset & every), value)
        return values

    # Each combination of wanted sectors is a bitset of its own: eight at most.
    seeking: list = [()] * size
    sectors = [sector.value for sector in Sector]
    for flags in itertools.product((False, True), repeat=len(sectors)):
        bitset = every
        for value, flag in zip(sectors, flags, strict=True):
            wanted = snapshot.seeking.get(value, 0)
            bitset &= wanted if flag else ~wanted
        chosen = tuple(value for value, flag in zip(sectors, flags, strict=True) if flag)
        _assign(seeking, _all_ids(bitset), chosen)

    slugs: list = [()] * size
    for slug, bitset in snapshot.challenge.items():
        for ad_id in _all_ids(bitset & every):
            slugs[ad_id] += (slug,)
    shared: dict[tuple, frozenset[str]] = {}  # one frozenset per combination of challenges
    challenges = [shared.setdefault(combination, frozenset(combination)) for combination in slugs]
    return Attributes(
        kind=spread(snapshot.kind),
        county=spread(snapshot.county),
        municipality=spread(snapshot.municipality),
        seeking=seeking,
        sector=spread(snapshot.sector),
        challenges=challenges,
    )


_FLAGS = bytes.maketrans(b"01", b"\x00\x01")


def _all_ids(bitset: int) -> Iterable[int]:
    """The ids of a dense bitset (faster than `ids` when most bytes are set)."""
    if bitset.bit_count() * 64 < bitset.bit_length():
        return facets.ids(bitset)
    flags = bin(bitset)[:1:-1].encode().translate(_FLAGS)  # one byte per bit, lowest first
    return itertools.compress(range(len(flags)), flags)


def _assign(values: list, indexes: Iterable[int], value: object) -> None:
    deque(map(values.__setitem__, indexes, itertools.repeat(value)), maxlen=0)  # in C


# The candidates of one ad


def rare_terms(terms: Terms, stats: TermStats) -> list[str]:
    """The ad's rarest lemmas (not the very common ones), twice RARE_TERMS of them: those no
    other ad has are left out once the index has been asked (`rare_hits`)."""
    most = max(RARE_FLOOR, int(stats.documents * RARE_SHARE))
    usable = [t for t in terms.terms if stats.df.get(t, 0) <= most]
    return sorted(usable, key=lambda t: (stats.df.get(t, 0), t))[: 2 * RARE_TERMS]


def rare_hits(ad: Ad, terms: Terms, stats: TermStats, snap: facets.Snapshot) -> dict[str, int]:
    """The ad's RARE_TERMS rarest lemmas that other ads have too, with those ads (a bitset, from
    the search index: the ad's words with that lemma as the index holds them)."""
    rare = rare_terms(terms, stats)
    if not rare:
        return {}
    stems = index_terms(ad, rare)
    hits = term_hits([stem for term in rare for stem in stems.get(term, ())], snap)
    found: dict[str, int] = {}
    for term in rare:
        bitset = 0
        for stem in stems.get(term, ()):
            bitset |= hits[stem]
        if bitset & ~(1 << ad.id):
            found[term] = bitset
            if len(found) == RARE_TERMS:
                break
    return found


def candidate_ids(ad: Ad, terms: Terms, stats: TermStats, snap: facets.Snapshot) -> list[int]:
    """At most CANDIDATE_CAP ids of open ads that may match: those with the best pre-score.

    Pre-score, in whole points: the score's weights rounded: shared challenges 10 in all, place
    6/4/4/2, sector 3 each way, kind 4 or 2, the ad's rare terms 14 in all (a rarer term weighs
    more). Ties go to the newer ad (the higher id). Summed for every open ad at once on the
    open ads' bitsets (Tally), so neither database sorts tens of thousands of rows.
    """
    kinds = COMPLEMENTS[ad.kind]
    own = facets.bits(
        db.session.scalars(sa.select(Ad.id).where(Ad.organisation_id == ad.organisation_id))
    )
    tally = Tally()
    for kind, weight in kinds.items():
        tally.add(4 if weight == 1.0 else 2, snap.kind.get(kind.value, 0))
    eligible = facets.any_of(snap.kind, [kind.value for kind in kinds]) & ~own

    slugs = ad.challenge_slugs
    per_challenge = max(1, round(10 / max(1, len(slugs))))
    for slug in slugs:
        tally.add(per_challenge, snap.challenge.get(slug, 0))
    shares_challenge = facets.any_of(snap.challenge, slugs)
    nationwide = snap.county.get(None, 0)
    if ad.county_code is None:
        tally.add(4, eligible)
    else:
        neighbours = reference.county_neighbours().get(ad.county_code, ())
        same_municipality = (
            snap.municipality.get(ad.municipality_code, 0) if ad.municipality_code else 0
        )
        same_county = (snap.county.get(ad.county_code, 0) | nationwide) & ~same_municipality
        neighbouring = facets.any_of(snap.county, neighbours) & ~same_municipality & ~same_county
        tally.add(6, same_municipality)
        tally.add(4, same_county)
        tally.add(2, neighbouring)
        if stats.documents > NEAR_ONLY_ABOVE:
            # At national scale the pre-score's place points decide among the thousands of ads
            # sharing a challenge anyway; those farther away still come in through shared words.
            near = (
                snap.county.get(ad.county_code, 0)
                | facets.any_of(snap.county, neighbours)
                | nationwide
            )
            shares_challenge &= near
    tally.add(3, snap.seeking.get(ad.organisation.sector.value, 0))
    tally.add(3, facets.any_of(snap.sector, [sector.value for sector in ad.seeking]))

    reach = shares_challenge
    hits = rare_hits(ad, terms, stats, snap)
    if hits:
        total = sum(stats.idf(t) for t in hits)
        for term, bitset in hits.items():
            tally.add(max(1, round(14 * stats.idf(term) / total)), bitset)
            reach |= bitset
    return facets.ids(tally.best(CANDIDATE_CAP, eligible & reach))


# Sector values sought (Attributes) -> the sectors
_SEEKING = {
    tuple(sector.value for sector in chosen): chosen
    for size in range(len(Sector) + 1)
    for chosen in itertools.combinations(tuple(Sector), size)
}
_KINDS = {kind.value: kind for kind in AdKind}
_SECTORS = {sector.value: sector for sector in Sector}


def profiles(ids: list[int], known: Attributes) -> list[Profile]:
    """Profiles of these open ads from the open ads' attributes (no query)."""
    return [
        Profile(
            id=ad_id,
            kind=_KINDS[known.kind[ad_id]],
            county_code=known.county[ad_id],
            municipality_code=known.municipality[ad_id],
            seeking=_SEEKING[known.seeking[ad_id]],
            sector=_SECTORS[known.sector[ad_id]],
            challenges=known.challenges[ad_id],
        )
        for ad_id in ids
    ]
