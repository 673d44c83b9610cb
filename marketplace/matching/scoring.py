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
from marketplace.language import synonyms
from marketplace.matching.terms import Terms, TermStats
from marketplace.organisations.models import Sector

WEIGHTS = {"text": 0.25, "challenges": 0.20, "geography": 0.25, "sector": 0.20, "kinds": 0.10}

# Which kinds complement which, and how well (the relation is symmetric).
COMPLEMENTS: dict[AdKind, dict[AdKind, float]] = {
    AdKind.NEED: {AdKind.OFFER: 1.0, AdKind.IDEA: 0.6},
    AdKind.OFFER: {AdKind.NEED: 1.0, AdKind.IDEA: 0.6},
    AdKind.IDEA: {AdKind.NEED: 0.6, AdKind.OFFER: 0.6},
}

GEOGRAPHY = {"municipality": 1.0, "county": 0.7, "nationwide": 0.7, "neighbour": 0.4, "far": 0.0}

TEXT_SCALE = 0.15  # text = 1 - exp(-cosine / TEXT_SCALE): 0.05 -> 0.28, 0.15 -> 0.63, 0.35 -> 0.90
PART_SHARE = 0.5  # a lemma in one ad that is part of the other's compound ("hjälp", "läxhjälp")
PARTS_SHARE = 0.25  # a part of both ads' compounds ("teater": "ungdomsteater", "teatergrupp")
RELATED_SHARE = 0.7  # curated synonyms ("tolk", "språkstöd"): below the word itself
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
    connections: list[tuple[str, str, str]]  # Scorer.connections


class Scorer:
    """Scores other ads against one ad; what depends on that ad alone is worked out once."""

    def __init__(self, ours: Profile, terms: Terms, stats: TermStats) -> None:
        self.ours, self.terms, self.stats = ours, terms, stats
        # the other ads' attributes come as stored values (candidates.Attributes)
        self.kinds = {kind.value: weight for kind, weight in COMPLEMENTS[ours.kind].items()}
        self.seeking = tuple(sector.value for sector in ours.seeking)
        self.sector = ours.sector.value

    def components(self, theirs: Profile, terms: Terms) -> dict[str, float]:
        """The five components (each 0..1): all that ranking needs."""
        components = self.without_text(theirs)
        components["text"] = text_component(self.text_similarity(terms))
        return components

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

    def text_similarity(self, theirs: Terms) -> float:
        """How much the two ads' words say the same, 0..1: a weighted cosine of their exact
        lemmas (each weighs its idf, twice that in a title: Terms.boost), where a lemma that is part
        of the other's compound counts PART_SHARE, one that is a part of both PARTS_SHARE, and
        a curated synonym RELATED_SHARE (half from each side, so a pair of synonyms counts
        once). Symmetric: the same from either side."""
        ours = self.terms
        if not ours.exact or not theirs.exact:
            return 0.0
        our_boost, their_boost = ours.boost, theirs.boost
        squared = self.stats.squared

        def weigh(found: frozenset[str]) -> float:
            return sum(squared[term] * our_boost(term) * their_boost(term) for term in found)

        dot = weigh(ours.exact & theirs.exact)
        dot += PART_SHARE * (weigh(ours.exact & theirs.parts) + weigh(ours.parts & theirs.exact))
        dot += PARTS_SHARE * weigh(ours.parts & theirs.parts)
        dot += (RELATED_SHARE / 2) * (
            weigh(ours.exact & theirs.related) + weigh(ours.related & theirs.exact)
        )
        if dot == 0:
            return 0.0
        return min(1.0, dot / (ours.norm(self.stats) * theirs.norm(self.stats)))

    def connections(self, theirs: Terms) -> list[tuple[str, str, str]]:
        """What connects the two ads' words, strongest first, as (kind, our lemma, their
        lemma): "same" (both write it), "part" (one writes it, the other has it in a compound),
        "related" (curated synonyms). For the reasons: only worked out for shown matches."""
        ours, squared = self.terms, self.stats.squared
        found: list[tuple[float, str, str, str]] = []
        for term in ours.exact & theirs.exact:
            found.append((squared[term], "same", term, term))
        for term in (ours.exact & theirs.parts) | (ours.parts & theirs.exact):
            found.append((PART_SHARE * squared[term], "part", term, term))
        index = synonyms.related_index()
        said = {item[2] for item in found}  # a word both have needs no synonym
        ours_said = set(said)
        for term in (ours.exact & theirs.related) - ours_said:
            theirs_related = index.get(term, frozenset()) - ours_said
            for other in sorted(theirs_related & theirs.exact) or sorted(
                theirs_related & theirs.parts
            ):
                if other not in said:
                    said.add(other)
                    weight = RELATED_SHARE * (squared[term] + squared[other]) / 2
                    found.append((weight, "related", term, other))
                break
        for term in ours.related & theirs.exact:
            if term in said:
                continue
            mine = index.get(term, frozenset()) - ours_said
            for other in sorted(mine & ours.exact) or sorted(mine & ours.parts):
                said.add(term)
                weight = RELATED_SHARE * (squared[term] + squared[other]) / 2
                found.append((weight, "related", other, term))
                break
        found.sort(key=lambda item: (-item[0], item[1], item[2]))
        return [(kind, our, their) for _weight, kind, our, their in found]


def text_component(similarity: float) -> float:
    """The text component of a text similarity: 1 - exp(-similarity / TEXT_SCALE)."""
    return 1.0 - math.exp(-similarity / TEXT_SCALE)


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
