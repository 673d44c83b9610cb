"""Matching's entrance: an ad's best matches (find_matches), one pair's score (score_pair), and
what the match pages show (matches_for_ad, organisation_matches). See the package's docstring
for how a match is found and scored.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from marketplace.ads.models import Ad, open_ads_condition
from marketplace.caching import cached
from marketplace.clock import today
from marketplace.extensions import db
from marketplace.matching import candidates, scoring, suggestions, wording
from marketplace.matching.scoring import (
    MIN_SCORE,
    NOT_TEXT,
    WEIGHTS,
    Profile,
    Reason,
    Scored,
    Scorer,
    text_component,
)
from marketplace.matching.terms import Terms, ad_terms, term_stats, terms_of_open
from marketplace.organisations.models import Organisation

TEXT_BATCH = 50  # candidates whose words are read (and analysed) at a time
# A "good" match (shown first; the others behind "Visa fler, svagare"): ...
GOOD_SCORE = 0.6  # ... at least this score ...
GOOD_TEXT = 0.3  # ... and words in common that say this much (the text component)


@dataclass
class Match:
    """`ad` (another organisation's) matches `source` with `score` (0..1) for these reasons."""

    source: Ad
    ad: Ad
    score: float
    components: dict[str, float]
    reasons: list[Reason]

    @property
    def percent(self) -> int:
        return round(self.score * 100)

    @property
    def good(self) -> bool:
        """A match worth showing first: a high score with words in common (GOOD_SCORE and
        GOOD_TEXT); the others are offered as "weaker" matches."""
        return self.score >= GOOD_SCORE and self.components["text"] >= GOOD_TEXT

    def describe(self, own: bool = False) -> list[str]:
        """The reasons in words: `own` when the reader speaks for the source ad ("Ni söker")."""
        return wording.describe(self.reasons, self.source, self.ad, own)

    def summary(self, own: bool = False) -> str:
        """The reasons as a few sentences ("Båda arbetar med integration i Kalmar. …")."""
        return wording.summary(self.reasons, self.source, self.ad, own)


def _match(ours: Ad, theirs: Ad, scored: Scored) -> Match:
    """A Match for the page: what connects the two ads' words, as each ad writes them."""
    reasons = list(scored.reasons) + wording.word_reasons(ours, theirs, scored.connections)
    return Match(
        source=ours, ad=theirs, score=scored.score, components=scored.components, reasons=reasons
    )


def score_pair(ours: Ad, theirs: Ad) -> Match:
    """How well `theirs` complements `ours`, with every reason (no filters applied)."""
    stats = term_stats()
    our_profile, their_profile = Profile.of(ours), Profile.of(theirs)
    scorer = Scorer(our_profile, ad_terms(ours), stats)
    their_terms = ad_terms(theirs)
    components = scorer.components(their_profile, their_terms)
    scored = Scored(
        score=scoring.total(components),
        components=components,
        reasons=scoring.reasons(our_profile, their_profile),
        connections=scorer.connections(their_terms),
    )
    return _match(ours, theirs, scored)


def find_matches(ad: Ad, limit: int = 10) -> list[Match]:
    """The open ads of other organisations that best complement `ad`, best first, with reasons.

    Closed or expired ads get no matches; the ad's own organisation never appears.
    """
    return _shown(ad, _ranked(ad, limit))


def _page_matches(ad: Ad, limit: int) -> list[Match]:
    """find_matches for the pages: the ranking is kept until the data changes, so a page seen
    again (or the organisation's page after the ad's own) costs one load of the shown ads."""
    if not ad.is_open(today()) or limit < 1:
        return []
    return _shown(ad, _kept_ranking(ad.id, limit))


@cached("match_ranking", tables={"ad", "ad_challenge", "organisation"})
def _kept_ranking(ad_id: int, limit: int) -> list[tuple]:
    ad = db.session.get(Ad, ad_id)
    return [] if ad is None else _ranked(ad, limit)


def _ranked(ad: Ad, limit: int) -> list[tuple]:
    """The best matches as plain values, best first: (ad id, score, components, reasons as
    (code, values) but the words, what connects the words as Scorer.connections gives it).
    Nothing here depends on the language or on who asks."""
    if not ad.is_open(today()) or limit < 1:
        return []
    stats = term_stats()
    ours, terms = Profile.of(ad), ad_terms(ad)
    found = candidates.find(ad, terms, stats)
    if not found:
        return []
    scorer = Scorer(ours, terms, stats)
    kept = _best(scorer, found, limit)
    known = {candidate.id: candidate for candidate in found}
    profiles = {ad_id: known[ad_id].profile() for _score, ad_id, *_rest in kept}
    return [
        (
            ad_id,
            score,
            {**dict(zip(NOT_TEXT, parts, strict=True)), "text": text},
            [(reason.code, reason.values) for reason in scoring.reasons(ours, profiles[ad_id])],
            scorer.connections(their_terms),
        )
        for score, ad_id, parts, text, their_terms in kept
    ]


def _shown(ad: Ad, ranked: list[tuple]) -> list[Match]:
    """The ranked matches as Matches: only what is shown is loaded whole (with its organisation
    and challenges) and worded."""
    if not ranked:
        return []
    shown = {
        other.id: other
        for other in db.session.scalars(
            sa.select(Ad)
            .where(Ad.id.in_([item[0] for item in ranked]))
            .options(so.joinedload(Ad.organisation), so.selectinload(Ad.challenge_links))
        )
    }
    return [
        _match(
            ad,
            shown[ad_id],
            Scored(
                score=score,
                components=dict(components),
                reasons=[Reason(code, tuple(values)) for code, values in reasons],
                connections=[tuple(item) for item in connections],
            ),
        )
        for ad_id, score, components, reasons, connections in ranked
        if ad_id in shown  # deleted since the ranking was kept
    ]


def _best(scorer: Scorer, found: list[candidates.Candidate], limit: int) -> list[tuple]:
    """The `limit` best (score, id, other components, text component, their Terms) with at
    least MIN_SCORE, best first (the newer ad first on equal scores).

    The text, the one component that needs an ad's words, is worked out best bound first and
    only while it can still change the list: without it a score is at most the other
    components' sum plus the text weight (the text component is at most 1, and rounding is
    monotonic, so the bound holds for the floating-point sums too). The words are read
    TEXT_BATCH ads at a time, as they are needed; most candidates' are never read.
    """
    parts_of = scorer.parts
    bounded = []
    for candidate in found:
        parts = parts_of(
            candidate.kind,
            candidate.county,
            candidate.municipality,
            candidate.seeking,
            candidate.sector,
            candidate.challenges,
        )
        bounded.append((scoring.without_text(parts), candidate.id, parts))
    bounded.sort(key=lambda item: (item[0], item[1]), reverse=True)
    text_weight = WEIGHTS["text"]
    kept: list[tuple] = []  # a heap: the worst kept first
    texts: dict[int, Terms | None] = {}
    for index, (partial, ad_id, parts) in enumerate(bounded):
        bound = partial + text_weight
        if bound < MIN_SCORE or (len(kept) == limit and bound < kept[0][0]):
            break  # so are all that follow
        if ad_id not in texts:
            batch = [item[1] for item in bounded[index : index + TEXT_BATCH]]
            texts.update(dict.fromkeys(batch))  # None: no longer open
            texts.update(terms_of_open(batch))
        terms = texts[ad_id]
        if terms is None:
            continue
        text = text_component(scorer.text_similarity(terms))
        score = partial + text_weight * text  # as scoring.total sums it
        if score < MIN_SCORE:
            continue
        item = (score, ad_id, parts, text, terms)
        if len(kept) < limit:
            heapq.heappush(kept, item)
        elif item[:2] > kept[0][:2]:
            heapq.heapreplace(kept, item)
    return sorted(kept, key=lambda item: (item[0], item[1]), reverse=True)


# Pages


@dataclass
class AdMatches:
    """What the ad page's matches block shows: the good matches, and the weaker ones when
    asked for (`everything`) or when there is no good one to show."""

    ad: Ad
    open: bool
    good: list[Match]
    weaker: list[Match]
    everything: bool
    suggestions: list[suggestions.Suggestion]

    @property
    def matches(self) -> list[Match]:
        """All matches found, best first."""
        return self.good + self.weaker

    @property
    def shown(self) -> list[Match]:
        return self.matches if self.everything else self.good


def matches_for_ad(ad: Ad, *, own: bool, everything: bool = False, limit: int = 10) -> AdMatches:
    """Matches for the ad page (the good ones unless `everything`); its own organisation also
    gets organisations to contact."""
    found = _page_matches(ad, limit)
    return AdMatches(
        ad=ad,
        open=ad.is_open(today()),
        good=[match for match in found if match.good],
        weaker=[match for match in found if not match.good],
        everything=everything,
        suggestions=(
            suggestions.suggest_organisations(ad)
            if own and suggestions.wants_suggestions(ad)
            else []
        ),
    )


@dataclass
class AdWithMatches:
    ad: Ad
    matches: list[Match]  # the good ones
    weaker: int = 0  # and how many weaker ones among its best, on the ad's matches page


def organisation_matches(organisation: Organisation, per_ad: int = 5) -> list[AdWithMatches]:
    """Every open ad of the organisation with its best good matches (newest ad first)."""
    ads = db.session.scalars(
        sa.select(Ad)
        .where(Ad.organisation_id == organisation.id, open_ads_condition())
        .options(so.selectinload(Ad.organisation), so.selectinload(Ad.challenge_links))
        .order_by(Ad.published_at.desc(), Ad.id.desc())
    ).all()
    shown = []
    for ad in ads:
        found = _page_matches(ad, per_ad)
        good = [match for match in found if match.good]
        shown.append(AdWithMatches(ad=ad, matches=good, weaker=len(found) - len(good)))
    return shown
