"""An ad's match candidates among the open ads (`find`, the rules in the package's docstring),
read from the search engine's index: no process keeps anything of all open ads in memory.

The rules are written once, as data (`Plan`: which ads may be candidates, and the pre-score's
points, each for the ads that meet a `Condition`), and answered by one of two sources:

- `IndexSource`, the search index (marketplace.search.engine), shared on disk by every process:
  one query whose score is the pre-score (each condition a constant-score clause, so the sum is
  the points exactly), the best CANDIDATE_CAP taken with their ties, then ordered by points and
  id; each candidate's kind, place, sectors and challenges come from the index's numeric
  fields (`profile`, `challenge_set`) for those few hundred documents, not from the database.
- `DatabaseSource`, the same rules over the database: used while the machine's index is not
  built yet (a fresh machine: the worker builds it, then the index answers) or cannot be read,
  as the search does (search.services). It reads the ads that share a challenge or a rare word
  and scores them in Python: slower at scale (about a second at 100,000 ads), the same answer;
  tests hold the two to each other (tests/test_matching_candidates.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
import tantivy
from flask import current_app
from tantivy import Occur, Query

from marketplace import reference
from marketplace.ads.models import Ad, AdChallenge, AdKind, open_ads_condition
from marketplace.clock import today
from marketplace.extensions import db
from marketplace.matching.scoring import COMPLEMENTS, Profile
from marketplace.matching.terms import Terms, TermStats, index_terms
from marketplace.organisations.models import Organisation, Sector
from marketplace.search import engine
from marketplace.search import index as search_index

log = logging.getLogger(__name__)

CANDIDATE_CAP = 500  # most candidates scored in Python per ad
NEAR_ONLY_ABOVE = 20_000  # with more ads than this, a shared challenge alone must be near
RARE_TERMS = 8  # the ad's rarest terms that may bring in candidates without a shared challenge
RARE_SHARE = 0.02  # ... if no more than this share of open ads has them (at least RARE_FLOOR)
RARE_FLOOR = 20

NONE = engine.NONE  # the county or municipality of an ad for all of Sweden / the whole county


# The rules as data


@dataclass(frozen=True)
class Has:
    """The ad's `field` holds one of `values` (the index's fields and values: "county" "-" is
    all of Sweden; "stems" the search terms; "org" the organisation's id)."""

    field: str
    values: frozenset


@dataclass(frozen=True)
class AllOf:
    parts: tuple = ()  # none: every ad


@dataclass(frozen=True)
class AnyOf:
    parts: tuple = ()  # none: no ad


@dataclass(frozen=True)
class Not:
    part: Condition


Condition = Has | AllOf | AnyOf | Not
EVERY = AllOf()
NOTHING = AnyOf()


def has(field_name: str, values: Iterable) -> Condition:
    chosen = frozenset(values)
    return Has(field_name, chosen) if chosen else NOTHING


def holds(condition: Condition, values: dict[str, frozenset]) -> bool:
    """Whether an ad with these field values meets the condition."""
    if isinstance(condition, Has):
        return not condition.values.isdisjoint(values[condition.field])
    if isinstance(condition, AllOf):
        return all(holds(part, values) for part in condition.parts)
    if isinstance(condition, AnyOf):
        return any(holds(part, values) for part in condition.parts)
    return not holds(condition.part, values)


@dataclass
class Plan:
    """An ad's candidates: the open ads that are `eligible` and within `reach`, the best
    CANDIDATE_CAP by the sum of `points` (ties to the newer ad, the higher id).

    `slugs`, `near` and `stems` say the same as `reach` in a form SQL can narrow by (an ad
    sharing a challenge, in a near county when `near` is set, or holding one of the stems)."""

    eligible: Condition
    reach: Condition
    points: list[tuple[int, Condition]]
    slugs: tuple[str, ...] = ()
    near: frozenset[str] | None = None
    stems: frozenset[str] = field(default_factory=frozenset)

    def score(self, values: dict[str, frozenset]) -> int | None:
        """The pre-score of an ad with these values, None if it is no candidate."""
        if not (holds(self.eligible, values) and holds(self.reach, values)):
            return None
        return sum(points for points, condition in self.points if holds(condition, values))


@dataclass(frozen=True)
class Candidate:
    """An open ad that may match, with what scoring needs of it but its words."""

    id: int
    kind: str  # AdKind value
    county: str | None  # None: all of Sweden
    municipality: str | None
    seeking: tuple[str, ...]  # Sector values, in Sector's order
    sector: str  # the organisation's
    challenges: frozenset[str]

    def profile(self) -> Profile:
        return Profile(
            id=self.id,
            kind=AdKind(self.kind),
            county_code=self.county,
            municipality_code=self.municipality,
            seeking=tuple(Sector(value) for value in self.seeking),
            sector=Sector(self.sector),
            challenges=self.challenges,
        )


# An ad's plan


def rare_terms(terms: Terms, stats: TermStats) -> list[str]:
    """The ad's rarest lemmas (not the very common ones), twice RARE_TERMS of them: those no
    other open ad has are left out once the source has been asked (`rare_hits`)."""
    most = max(RARE_FLOOR, int(stats.documents * RARE_SHARE))
    usable = [t for t in terms.terms if stats.df.get(t, 0) <= most]
    return sorted(usable, key=lambda t: (stats.df.get(t, 0), t))[: 2 * RARE_TERMS]


def rare_hits(ad: Ad, terms: Terms, stats: TermStats, source: Source) -> dict[str, frozenset]:
    """The ad's RARE_TERMS rarest lemmas that other open ads have too, each with the stems the
    ad's words with that lemma have in the index (the search terms: Snowball stems)."""
    rare = rare_terms(terms, stats)
    if not rare:
        return {}
    stems = index_terms(ad, rare)
    found: dict[str, frozenset] = {}
    for term in rare:
        held = frozenset(stems.get(term, ()))
        if held and source.others_have(held, ad.id):
            found[term] = held
            if len(found) == RARE_TERMS:
                break
    return found


def plan(ad: Ad, terms: Terms, stats: TermStats, source: Source) -> Plan:
    """The candidate rules for `ad` (the package's docstring).

    Pre-score, in whole points: the score's weights rounded: shared challenges 10 in all, place
    6/4/4/2, sector 3 each way, kind 4 or 2, the ad's rare terms 14 in all (a rarer term weighs
    more). Ties go to the newer ad (the higher id).
    """
    kinds = COMPLEMENTS[ad.kind]
    eligible = AllOf(
        (has("kind", (kind.value for kind in kinds)), Not(has("org", [ad.organisation_id])))
    )
    points: list[tuple[int, Condition]] = [
        (4 if weight == 1.0 else 2, has("kind", [kind.value])) for kind, weight in kinds.items()
    ]
    slugs = tuple(ad.challenge_slugs)
    per_challenge = max(1, round(10 / max(1, len(slugs))))
    points += [(per_challenge, has("challenge", [slug])) for slug in slugs]
    shares_challenge = has("challenge", slugs)
    near = None
    if ad.county_code is None:
        points.append((4, EVERY))
    else:
        neighbours = reference.county_neighbours().get(ad.county_code, frozenset())
        municipality = ad.municipality_code
        same_municipality = has("municipality", [municipality]) if municipality else NOTHING
        same_county = AllOf((has("county", [ad.county_code, NONE]), Not(same_municipality)))
        neighbouring = AllOf((has("county", neighbours), Not(same_municipality)))
        points += [(6, same_municipality), (4, same_county), (2, neighbouring)]
        if stats.documents > NEAR_ONLY_ABOVE:
            # At national scale the pre-score's place points decide among the thousands of ads
            # sharing a challenge anyway; those farther away still come in through shared words.
            near = frozenset((ad.county_code, NONE, *neighbours))
            shares_challenge = AllOf((shares_challenge, has("county", near)))
    points.append((3, has("seeking", [ad.organisation.sector.value])))
    points.append((3, has("sector", (sector.value for sector in ad.seeking))))
    reach = [shares_challenge]
    hits = rare_hits(ad, terms, stats, source)
    if hits:
        total = sum(stats.idf(term) for term in hits)
        for term, stems in hits.items():
            points.append((max(1, round(14 * stats.idf(term) / total)), has("stems", stems)))
            reach.append(has("stems", stems))
    return Plan(
        eligible=eligible,
        reach=AnyOf(tuple(reach)),
        points=[(n, condition) for n, condition in points if condition != NOTHING],
        slugs=slugs,
        near=near,
        stems=frozenset().union(*hits.values()),
    )


# The sources


class Source:
    def others_have(self, stems: frozenset[str], ad_id: int) -> bool:
        """Whether an open ad other than `ad_id` holds one of these stems."""
        raise NotImplementedError

    def best(self, plan: Plan, count: int) -> list[Candidate]:
        """The `count` candidates with the most points, ties to the higher id, best first."""
        raise NotImplementedError


def _query(condition: Condition) -> Query:
    """The condition as a tantivy query (scores do not matter here)."""
    if isinstance(condition, Has):
        values = sorted(condition.values)
        if len(values) == 1:
            return Query.term_query(engine._SCHEMA, condition.field, values[0])
        return Query.term_set_query(engine._SCHEMA, condition.field, values)
    if isinstance(condition, AllOf):
        if not condition.parts:
            return Query.all_query()
        if len(condition.parts) == 1:
            return _query(condition.parts[0])
        return Query.boolean_query(_clauses(condition.parts))
    if isinstance(condition, AnyOf):
        if not condition.parts:
            return Query.empty_query()
        if len(condition.parts) == 1:
            return _query(condition.parts[0])
        return Query.boolean_query([(Occur.Should, _query(part)) for part in condition.parts])
    return Query.boolean_query(
        [(Occur.Must, Query.all_query()), (Occur.MustNot, _query(condition.part))]
    )


def _clauses(parts: Iterable[Condition]) -> list[tuple[Occur, Query]]:
    """All of these parts as clauses of one boolean query: a Not as a MustNot (a nested "all
    documents but" would make the engine walk every document)."""
    clauses = [
        (Occur.MustNot, _query(part.part)) if isinstance(part, Not) else (Occur.Must, _query(part))
        for part in parts
        if part != Not(NOTHING)  # "not nothing": every ad
    ]
    if all(occur == Occur.MustNot for occur, _clause in clauses):
        clauses.insert(0, (Occur.Must, Query.all_query()))
    return clauses


def _open() -> Query:
    """Not expired: the index may still hold an ad that expired since it was written."""
    return Query.range_query(
        engine._SCHEMA, "expires", tantivy.FieldType.Integer, lower_bound=today().toordinal()
    )


def _zero(query: Query) -> Query:
    return Query.const_score_query(query, 0.0)


class IndexSource(Source):
    """The search index (Unavailable when this machine has none yet)."""

    def __init__(self) -> None:
        index = engine.get()
        if current_app.config["SEARCH_INDEX_SYNC"] or index.writes:
            # The writer's process (the worker, finding a new ad's matches for its notices)
            # applies the log first: an ad published a moment ago is a candidate at once.
            index.catch_up()
        self.searcher = index.searcher()

    def others_have(self, stems: frozenset[str], ad_id: int) -> bool:
        query = Query.boolean_query(
            [
                (Occur.Must, _query(has("stems", stems))),
                (Occur.Must, _open()),
                (Occur.MustNot, Query.term_query(engine._SCHEMA, "id", ad_id)),
            ]
        )
        return bool(self.searcher.search(query, limit=1, count=False).hits)

    def best(self, plan: Plan, count: int) -> list[Candidate]:
        # Every clause scores a whole number of points (or none): the sums are exact in the
        # engine's 32-bit floats, so equal points are equal scores.
        clauses = [
            (occur, _zero(query) if occur == Occur.Must else query)
            for occur, query in _clauses((plan.eligible, plan.reach))
        ]
        clauses.append((Occur.Must, _zero(_open())))
        clauses += [
            (Occur.Should, Query.const_score_query(_query(condition), float(points)))
            for points, condition in plan.points
        ]
        query = Query.boolean_query(clauses)
        searcher = self.searcher
        # The engine breaks ties its own way: fetch until every ad scoring as the last one kept
        # is in, then order by points and id.
        fetch = count * 2
        while True:
            hits = searcher.search(query, limit=fetch, count=False).hits
            if len(hits) < fetch or hits[-1][0] < hits[count - 1][0]:
                break
            fetch *= 4
        addresses = [address for _score, address in hits]
        ids = searcher.fast_field_values("id", addresses)
        ranked = sorted(zip(hits, ids, strict=True), key=lambda hit: (-hit[0][0], -hit[1]))
        kept = ranked[:count]
        chosen = [hit[0][1] for hit in kept]
        profiles = searcher.fast_field_values("profile", chosen)
        challenge_sets = searcher.fast_field_values("challenge_set", chosen)
        unpacked = [
            (ad_id, engine.unpack(packed, bits))
            for (_hit, ad_id), packed, bits in zip(kept, profiles, challenge_sets, strict=True)
        ]
        unlisted = [ad_id for ad_id, values in unpacked if values.challenges is None]
        read = _challenges(unlisted) if unlisted else {}
        return [
            Candidate(
                id=ad_id,
                kind=values.kind,
                county=values.county,
                municipality=values.municipality,
                seeking=values.seeking,
                sector=values.sector,
                challenges=(
                    values.challenges
                    if values.challenges is not None
                    else frozenset(read.get(ad_id, ()))
                ),
            )
            for ad_id, values in unpacked
        ]


def _challenges(ids: list[int]) -> dict[int, set[str]]:
    """The challenges of these ads, from the database."""
    found: dict[int, set[str]] = {}
    for start in range(0, len(ids), 5000):
        for ad_id, slug in db.session.execute(
            sa.select(AdChallenge.ad_id, AdChallenge.challenge).where(
                AdChallenge.ad_id.in_(ids[start : start + 5000])
            )
        ):
            found.setdefault(ad_id, set()).add(slug)
    return found


_SIMPLE = sa.literal_column("'simple'")  # inline, so PostgreSQL sees its index expression


def _holding(stems: Iterable[str]) -> sa.ColumnElement[bool]:
    """Ads whose search terms hold one of these stems, through the database's full-text index.
    Stems are [0-9a-z]+ (search.text folds them so), quoted for the index's syntax."""
    stems = sorted(stems)
    if db.session.get_bind().dialect.name == "postgresql":
        wanted = " | ".join(f"'{stem}'" for stem in stems)
        vector = sa.func.to_tsvector(_SIMPLE, Ad.search_terms)
        return vector.op("@@")(sa.func.to_tsquery(_SIMPLE, wanted))
    wanted = " OR ".join(f'"{stem}"' for stem in stems)
    found = (
        sa.select(search_index.FTS.c.rowid)
        .select_from(search_index.FTS)
        .where(sa.literal_column(search_index.FTS_TABLE).op("MATCH")(wanted))
    )
    return Ad.id.in_(found)


class DatabaseSource(Source):
    """The same rules over the database (no index on this machine yet)."""

    def others_have(self, stems: frozenset[str], ad_id: int) -> bool:
        return (
            db.session.scalar(
                sa.select(Ad.id)
                .where(_holding(stems), open_ads_condition(), Ad.id != ad_id)
                .limit(1)
            )
            is not None
        )

    def best(self, plan: Plan, count: int) -> list[Candidate]:
        reach = []
        if plan.slugs:
            shares = Ad.id.in_(
                sa.select(AdChallenge.ad_id).where(AdChallenge.challenge.in_(plan.slugs))
            )
            if plan.near is not None:
                counties = [county for county in plan.near if county != NONE]
                shares = sa.and_(
                    shares, sa.or_(Ad.county_code.in_(counties), Ad.county_code.is_(None))
                )
            reach.append(shares)
        if plan.stems:
            reach.append(_holding(plan.stems))
        if not reach:
            return []
        rows = db.session.execute(
            sa.select(
                Ad.id,
                sa.type_coerce(Ad.kind, sa.String),
                Ad.county_code,
                Ad.municipality_code,
                Ad.seeks_public,
                Ad.seeks_civil,
                Ad.seeks_business,
                sa.type_coerce(Organisation.sector, sa.String),
                Ad.organisation_id,
                Ad.search_terms,
            )
            .join(Organisation, Organisation.id == Ad.organisation_id)
            .where(open_ads_condition(), sa.or_(*reach))
        ).all()
        challenges = _challenges([row[0] for row in rows])
        scored = []
        for ad_id, kind, county, municipality, public, civil, business, sector, org, terms in rows:
            seeking = tuple(
                value
                for flag, value in zip((public, civil, business), engine.SECTORS, strict=True)
                if flag
            )
            candidate = Candidate(
                id=ad_id,
                kind=kind,
                county=county,
                municipality=municipality,
                seeking=seeking,
                sector=sector,
                challenges=frozenset(challenges.get(ad_id, ())),
            )
            points = plan.score(
                {
                    "kind": frozenset([kind]),
                    "org": frozenset([org]),
                    "challenge": candidate.challenges,
                    "county": frozenset([county or NONE]),
                    "municipality": frozenset([municipality or NONE]),
                    "seeking": frozenset(seeking),
                    "sector": frozenset([sector]),
                    "stems": frozenset((terms or "").split()),
                }
            )
            if points is not None:
                scored.append((points, ad_id, candidate))
        scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
        return [candidate for _points, _id, candidate in scored[:count]]


def find(ad: Ad, terms: Terms, stats: TermStats, *, using: Source | None = None) -> list[Candidate]:
    """At most CANDIDATE_CAP open ads that may match `ad`: those with the best pre-score, from
    the index when this machine has one (and the search uses it), else from the database."""
    if using is not None:
        return _find(ad, terms, stats, using)
    if current_app.config["SEARCH_ENGINE"] == "tantivy":
        try:
            return _find(ad, terms, stats, IndexSource())
        except engine.Unavailable as why:
            log.info("match candidates from the database: %s", why)
        except BaseException as error:  # tantivy's panics are BaseExceptions (pyo3)
            if isinstance(error, (KeyboardInterrupt, SystemExit, GeneratorExit)):
                raise
            log.exception("search index failed; match candidates from the database instead")
    return _find(ad, terms, stats, DatabaseSource())


def _find(ad: Ad, terms: Terms, stats: TermStats, source: Source) -> list[Candidate]:
    rules = plan(ad, terms, stats, source)
    if not (rules.slugs or rules.stems):
        return []  # nothing within reach
    return source.best(rules, CANDIDATE_CAP)
