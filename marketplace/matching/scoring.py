"""The match score of two ads: five weighted components, and the reasons behind them as data.

`Scorer` scores other ads against one ad (what depends on that ad alone is worked out once);
`total` sums the components in one fixed order, `reasons` lists every component that adds to
the score. The words of a reason are left to wording.py; the terms compared, to terms.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from marketplace import reference
from marketplace.ads.models import Ad, AdKind
from marketplace.matching.terms import Terms, TermStats, beginnings, compound_partners
from marketplace.organisations.models import Sector

WEIGHTS = {"text": 0.40, "challenges": 0.20, "geography": 0.15, "sector": 0.15, "kinds": 0.10}

# Which kinds complement which, and how well (the relation is symmetric).
COMPLEMENTS: dict[AdKind, dict[AdKind, float]] = {
    AdKind.NEED: {AdKind.OFFER: 1.0, AdKind.IDEA: 0.6},
    AdKind.OFFER: {AdKind.NEED: 1.0, AdKind.IDEA: 0.6},
    AdKind.IDEA: {AdKind.NEED: 0.6, AdKind.OFFER: 0.6},
}

GEOGRAPHY = {"municipality": 1.0, "county": 0.7, "nationwide": 0.7, "neighbour": 0.4, "far": 0.0}

TEXT_SCALE = 0.15  # text = 1 - exp(-cosine / TEXT_SCALE): 0.05 -> 0.28, 0.15 -> 0.63, 0.35 -> 0.90
COMPOUND_SHARE = 0.5  # a compound match counts half an exact one
MIN_SCORE = 0.2  # weaker pairs are not shown as matches


@dataclass(frozen=True)
class Reason:
    """One thing that made two ads match; worded by `Match.describe` in the reader's language."""

    code: str
    values: tuple = ()


@dataclass
class Profile:
    """What scoring needs of an ad: loaded cheaply for hundreds of candidates at a time."""

    id: int
    kind: AdKind
    county_code: str | None
    municipality_code: str | None
    seeking: tuple[Sector, ...]
    sector: Sector  # the organisation's
    challenges: frozenset[str]

    @classmethod
    def of(cls, ad: Ad) -> Profile:
        return cls(
            id=ad.id,
            kind=ad.kind,
            county_code=ad.county_code,
            municipality_code=ad.municipality_code,
            seeking=tuple(ad.seeking),
            sector=ad.organisation.sector,
            challenges=frozenset(ad.challenge_slugs),
        )


def _level(
    our_county: str | None,
    our_municipality: str | None,
    their_county: str | None,
    their_municipality: str | None,
) -> str:
    """The geography level (a key of GEOGRAPHY) of two ads' places."""
    if their_county is None or our_county is None:
        return "nationwide"
    if our_municipality and our_municipality == their_municipality:
        return "municipality"
    if our_county == their_county:
        return "county"
    if their_county in reference.county_neighbours().get(our_county, ()):
        return "neighbour"
    return "far"


def _place(ours: Profile, theirs: Profile) -> str:
    return _level(
        ours.county_code, ours.municipality_code, theirs.county_code, theirs.municipality_code
    )


def _place_reason(ours: Profile, theirs: Profile) -> Reason | None:
    level = _place(ours, theirs)
    if level == "nationwide":
        return Reason("nationwide", ("theirs",) if theirs.county_code is None else ("ours",))
    if level == "municipality":
        return Reason("municipality", (ours.municipality_code,))
    if level == "county":
        return Reason("county", (ours.county_code,))
    if level == "neighbour":
        return Reason("neighbour", (ours.county_code, theirs.county_code))
    return None


@dataclass
class Scored:
    score: float
    components: dict[str, float]
    reasons: list[Reason]  # words not yet looked up
    shared_terms: list[str]


class Scorer:
    """Scores other ads against one ad; what depends on that ad alone is worked out once.

    Compound pairs ("senior" ~ "seniordans") are looked up, not searched for: `partners` holds
    every term another ad may have that pairs with one of ours (terms.compound_partners). Only
    another ad's terms the table does not know yet (written since it was built) are compared
    letter by letter.
    """

    def __init__(self, ours: Profile, terms: Terms, stats: TermStats) -> None:
        self.ours, self.terms, self.stats = ours, terms, stats
        # the other ads' attributes come as stored values (candidates.Attributes)
        self.kinds = {kind.value: weight for kind, weight in COMPLEMENTS[ours.kind].items()}
        self.seeking = tuple(sector.value for sector in ours.seeking)
        self.sector = ours.sector.value
        self.long, self.partners = compound_partners(self.terms.terms, stats)
        self.partner_terms = frozenset(self.partners)

    def components(self, theirs: Profile, terms: Terms) -> tuple[dict[str, float], set[str]]:
        """The five components (each 0..1) and the shared terms: all that ranking needs."""
        components = self.without_text(theirs)
        return components, self.add_text(components, terms)

    def add_text(self, components: dict[str, float], theirs: Terms) -> set[str]:
        """Add the text component (summed last) to the others; returns the shared terms."""
        similarity, shared = self.text_similarity(theirs)
        components["text"] = 1.0 - math.exp(-similarity / TEXT_SCALE)  # as services._best does
        return shared

    def without_text(self, theirs: Profile) -> dict[str, float]:
        """The components but the text, in the order they are summed."""
        parts = self.parts(
            theirs.kind.value,
            theirs.county_code,
            theirs.municipality_code,
            tuple(sector.value for sector in theirs.seeking),
            theirs.sector.value,
            theirs.challenges,
        )
        return dict(zip(NOT_TEXT, parts, strict=True))

    def parts(
        self,
        kind: str,
        county_code: str | None,
        municipality_code: str | None,
        seeking: tuple[str, ...],
        sector: str,
        challenges: frozenset[str],
    ) -> tuple[float, float, float, float]:
        """The components but the text (in NOT_TEXT's order) of an ad with these values."""
        ours = self.ours
        fewer = min(len(ours.challenges), len(challenges))
        level = _level(ours.county_code, ours.municipality_code, county_code, municipality_code)
        return (
            self.kinds.get(kind, 0.0),
            len(ours.challenges & challenges) / fewer if fewer else 0.0,
            GEOGRAPHY[level],
            ((sector in self.seeking) + (self.sector in seeking)) / 2,
        )

    def text_similarity(self, theirs: Terms) -> tuple[float, set[str]]:
        """IDF-weighted cosine of the two ads' terms (compound pairs count half), and the shared
        terms (`terms.rarest_first` orders them for a reason). Symmetric: the same pairs are found
        from either side."""
        ours, stats = self.terms, self.stats
        if not ours.terms or not theirs.terms:
            return 0.0, set()
        idf, squared = stats.weights, stats.squared
        their_terms = theirs.terms
        shared = ours.terms & their_terms
        dot = sum(map(squared.__getitem__, shared))
        matched = set(shared)
        for term in their_terms & self.partner_terms:
            for other in self.partners[term]:
                if other not in their_terms:  # else the other is shared
                    dot += COMPOUND_SHARE * idf[term] * idf[other]
                    matched.add(term)
        for term in their_terms - stats.vocabulary:  # not in the table: no partner listed yet
            if term in ours.terms:
                continue
            for other in beginnings(term):
                if other in self.long and other not in their_terms:
                    dot += COMPOUND_SHARE * idf[term] * idf[other]
                    matched.add(term)
        if dot == 0:
            return 0.0, set()
        similarity = dot / (ours.norm(stats) * theirs.norm(stats))
        return min(1.0, similarity), matched


NOT_TEXT = ("kinds", "challenges", "geography", "sector")


def without_text(parts: tuple[float, float, float, float]) -> float:
    """The weighted sum of the components but the text (in NOT_TEXT's order)."""
    kinds, challenges, geography, sector = parts
    return (
        WEIGHTS["kinds"] * kinds
        + WEIGHTS["challenges"] * challenges
        + WEIGHTS["geography"] * geography
        + WEIGHTS["sector"] * sector
    )


def total(components: dict[str, float]) -> float:
    """The score: the weighted components, summed in this one order, the text last (a bound
    without the text is then summed exactly as the score is: see services._best)."""
    parts = (components[name] for name in NOT_TEXT)
    return without_text(tuple(parts)) + WEIGHTS["text"] * components["text"]


def reasons(ours: Profile, theirs: Profile) -> list[Reason]:
    """Every component that adds to the score, but the shared words (looked up last)."""
    reasons: list[Reason] = []
    if COMPLEMENTS[ours.kind].get(theirs.kind):
        reasons.append(Reason("kinds"))
    both = ours.challenges & theirs.challenges
    if both:
        order = list(reference.challenges())
        reasons.append(
            Reason(
                "challenges",
                tuple(sorted(both, key=lambda s: order.index(s) if s in order else 99)),
            )
        )
    place = _place_reason(ours, theirs)
    if place is not None:
        reasons.append(place)
    if theirs.sector in ours.seeking:
        reasons.append(Reason("we_seek"))
    if ours.sector in theirs.seeking:
        reasons.append(Reason("they_seek"))
    return reasons
