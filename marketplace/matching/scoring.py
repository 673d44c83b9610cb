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

# The sector fit weighs most (0.15 each way): an ad whose organisation the other does not seek
# is rarely the partner however alike the words; words alike say less than they seem, since
# ads that share a setting ("föräldracafé", "nyanlända") share many words without meeting each
# other's need. Measured on the four hard sets (README: Matching quality).
WEIGHTS = {"text": 0.20, "challenges": 0.20, "geography": 0.20, "sector": 0.30, "kinds": 0.10}

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
THESAURUS_SHARE = 0.35  # synonyms from the general thesaurus ("laga", "reparera"): far below
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
        # their lemma -> ours it is a thesaurus synonym of (the relation is symmetric)
        self.thesaurus: dict[str, set[str]] = {}
        if THESAURUS_SHARE:
            index = synonyms.thesaurus_index()
            for term in terms.exact:
                for other in index.get(term, ()):
                    self.thesaurus.setdefault(other, set()).add(term)

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
        """How much the two ads' words say the same, 0..1: a weighted cosine of their written
        words (each word one dimension, whatever readings it has; each weighs its idf, twice
        that in a title: Terms.boost). Two words meet when they share a lemma; a lemma in one
        ad that is part of the other's compound counts PART_SHARE, one that is a part of both
        PARTS_SHARE, and a curated synonym RELATED_SHARE (half from each side, so a pair of
        synonyms counts once). A word meets the other ad once, in its strongest way.
        Symmetric: the same from either side."""
        ours = self.terms
        if not ours.exact or not theirs.exact:
            return 0.0
        stats = self.stats
        squared, word_squared = stats.squared, stats.word_squared
        our_word, their_word = ours.word, theirs.word
        our_boost, their_boost = ours.word_boost, theirs.word_boost
        dot = 0.0
        same = ours.exact & theirs.exact
        our_alternatives, their_alternatives = ours.alternatives, theirs.alternatives
        if our_alternatives or their_alternatives:  # a few words of some ads
            ambiguous = {
                term for term in same if term in our_alternatives or term in their_alternatives
            }
            plain = same - ambiguous
        else:
            ambiguous, plain = set(), same
        # a word with one reading is its lemma on both sides
        our_term_boost, their_term_boost = ours.boost, theirs.boost
        dot += sum(squared[term] * our_term_boost(term) * their_term_boost(term) for term in plain)
        used_ours: set = set(plain)
        used_theirs: set = set(plain)
        if ambiguous:
            pairs = {(our_word(term), their_word(term)) for term in ambiguous}
            for mine, other in sorted(
                pairs, key=lambda pair: -word_squared(pair[0]) * word_squared(pair[1])
            ):
                if mine in used_ours or other in used_theirs:
                    continue
                used_ours.add(mine)
                used_theirs.add(other)
                dot += (
                    math.sqrt(word_squared(mine) * word_squared(other))
                    * our_boost(mine)
                    * their_boost(other)
                )

        def once(found, word_of, used: set, boost_here, boost_there) -> float:
            """Each word of one side (word_of) once, by its strongest lemma among `found`."""
            best: dict = {}
            for term in found:
                word = word_of(term)
                if word in used:
                    continue
                weight = squared[term] * boost_here(word) * boost_there(term)
                if weight > best.get(word, 0.0):
                    best[word] = weight
            used.update(best)
            return sum(best.values())

        dot += PART_SHARE * (
            once(ours.exact & theirs.parts, our_word, used_ours, our_boost, theirs.boost)
            + once(ours.parts & theirs.exact, their_word, used_theirs, their_boost, ours.boost)
        )
        found = ours.parts & theirs.parts
        if found:
            dot += PARTS_SHARE * sum(
                squared[term] * ours.boost(term) * theirs.boost(term) for term in found
            )
        dot += (RELATED_SHARE / 2) * (
            once(ours.exact & theirs.related, our_word, used_ours, our_boost, theirs.boost)
            + once(ours.related & theirs.exact, their_word, used_theirs, their_boost, ours.boost)
        )
        if self.thesaurus:
            dot += THESAURUS_SHARE * self._thesaurus(theirs, used_ours, used_theirs)
        if dot == 0:
            return 0.0
        return min(1.0, dot / (ours.norm(stats) * theirs.norm(stats)))

    def _thesaurus(self, theirs: Terms, used_ours: set, used_theirs: set) -> float:
        """The weighted thesaurus pairs of two ads' words not met otherwise, each word once."""
        ours, squared = self.terms, self.stats.squared
        pairs = []
        for term in theirs.exact & self.thesaurus.keys():
            other = theirs.word(term)
            if other in used_theirs:
                continue
            for mine_term in self.thesaurus[term]:
                mine = ours.word(mine_term)
                if mine not in used_ours:
                    weight = math.sqrt(squared[term] * squared[mine_term])
                    pairs.append(
                        (weight * ours.word_boost(mine) * theirs.word_boost(other), mine, other)
                    )
        total = 0.0
        for weight, mine, other in sorted(pairs, key=lambda pair: -pair[0]):
            if mine not in used_ours and other not in used_theirs:
                used_ours.add(mine)
                used_theirs.add(other)
                total += weight
        return total

    def connections(self, theirs: Terms) -> list[tuple[str, str, str]]:
        """What connects the two ads' words, strongest first, as (kind, our lemma, their
        lemma): "same" (both write it), "part" (one writes it, the other has it in a compound),
        "related" (curated synonyms, then the thesaurus's). For the reasons: only worked out
        for shown matches."""
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
        if self.thesaurus:
            for their_term in sorted(theirs.exact & self.thesaurus.keys()):
                if their_term in said:
                    continue
                for term in sorted(self.thesaurus[their_term] - ours_said):
                    said.add(their_term)
                    weight = THESAURUS_SHARE * (squared[term] + squared[their_term]) / 2
                    found.append((weight, "related", term, their_term))
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
