"""The hard matching sets, and how matching ranks them (MRR and hit@1).

tests/data/matching_cases_hard.json is the target; matching_cases_heldout.json (other towns
and topics, written before matching used marketplace.language and never used to tune it case
by case), matching_cases_fresh.json (written before the scoring changes of December 2026,
only its totals ever read) and matching_cases_blind.json (written and committed before the
next round of scoring changes, only its totals ever read) say whether what helps there helps
elsewhere. The first tests hold
each set to its description: needs in natural Swedish, each with one partner a person would
pick and at least four distractors; the partner shares fewer literal words with the need than
an attractive distractor does, yet the analysis can connect the two. The last ones rank them:
every case's ads in one database (so every ad competes in every case), on SQLite and, with
DATABASE_URL set, on PostgreSQL. bench/matching_hard.py prints the same figures and the misses.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from marketplace import language, reference
from marketplace.matching import services
from marketplace.matching.terms import STOPWORDS
from marketplace.search import text as search_text
from tests import factories

DATA = Path(__file__).parent / "data"
SET = json.loads((DATA / "matching_cases_hard.json").read_text(encoding="utf-8"))
HELD_OUT = json.loads((DATA / "matching_cases_heldout.json").read_text(encoding="utf-8"))
FRESH = json.loads((DATA / "matching_cases_fresh.json").read_text(encoding="utf-8"))
BLIND = json.loads((DATA / "matching_cases_blind.json").read_text(encoding="utf-8"))
CASES = SET["cases"]


def ads(case: dict) -> list[dict]:
    return [case["need"], case["partner"], *case["distractors"]]


def literal(ad: dict) -> set[str]:
    """The literal words of an ad as stems (search.text), without matching's stop words."""
    stop = {
        stem
        for word in STOPWORDS
        for w in search_text.words(word)
        for stem in search_text.variants(w)
    }
    return set(search_text.index_terms(ad["title"], ad["body"]).split()) - stop


def test_there_are_at_least_thirty_cases_with_four_distractors_each():
    assert len(CASES) >= 30
    assert len(HELD_OUT["cases"]) >= 20 and len(FRESH["cases"]) >= 20
    assert len(BLIND["cases"]) >= 30
    for data in (SET, HELD_OUT, FRESH, BLIND):
        cases = data["cases"]
        assert all(len(case["distractors"]) >= 4 for case in cases)
        assert len({case["name"] for case in cases}) == len(cases)


ALL_SETS = [SET, HELD_OUT, FRESH, BLIND]
SET_NAMES = ["hard", "heldout", "fresh", "blind"]


@pytest.mark.parametrize("data", ALL_SETS, ids=SET_NAMES)
def test_every_ad_is_valid_data(data):
    organisations = data["organisations"]
    challenges = reference.challenges()
    for case in data["cases"]:
        assert case["need"]["kind"] == "need" and case["partner"]["kind"] == "offer"
        for ad in ads(case):
            assert ad["org"] in organisations
            assert ad["kind"] in {"need", "offer", "idea"}
            assert ad["challenges"] and set(ad["challenges"]) <= set(challenges)
            assert set(ad["seeking"]) <= {"civil", "public", "business"}
            if ad["municipality"]:
                assert reference.municipalities()[ad["municipality"]].county_code == ad["county"]
            assert 10 <= len(ad["title"]) <= 120 and len(ad["body"]) >= 20


@pytest.mark.parametrize("data", ALL_SETS, ids=SET_NAMES)
def test_the_partner_shares_fewer_literal_words_than_a_distractor_in_most_cases(data):
    harder = 0
    for case in data["cases"]:
        need = literal(case["need"])
        partner = len(need & literal(case["partner"]))
        best_distractor = max(len(need & literal(d)) for d in case["distractors"])
        harder += best_distractor > partner
    assert harder >= 0.7 * len(data["cases"])


def test_the_analysis_connects_every_need_with_its_partner_often_beyond_literal_words():
    beyond = 0
    for case in CASES:
        need = language.document_terms(case["need"]["title"], case["need"]["body"])
        partner = language.document_terms(case["partner"]["title"], case["partner"]["body"])
        connections = language.explain(need, partner, limit=50)
        assert connections, case["name"]
        beyond += any(connection.kind != "same" for connection in connections)
    assert beyond >= 0.75 * len(CASES)


def ranks(data: dict) -> list[tuple[str, object, list]]:
    """Every case's ads in one database; (name, need, its matches) per case."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from matching_hard import load

    found = []
    for name, need, partner in load(factories, data):
        matches = services.find_matches(need, limit=10)
        found.append((name, need, partner, matches))
    return found


def scores(found) -> tuple[float, float, list]:
    reciprocal, misses = [], []
    for name, _need, partner, matches in found:
        ranked = [match.ad.id for match in matches]
        rank = ranked.index(partner.id) + 1 if partner.id in ranked else None
        reciprocal.append(1 / rank if rank else 0.0)
        if rank != 1:
            misses.append((name, rank))
    return sum(reciprocal) / len(reciprocal), reciprocal.count(1.0) / len(reciprocal), misses


# What matching reaches today (bench/matching_hard.py prints the misses): a floor, so that a
# change that loses ground shows. The hard set's target is MRR 0.9; see the README.
FLOORS = {
    "hard": (0.88, 0.81),
    "heldout": (0.81, 0.66),
    "fresh": (0.62, 0.30),
    "blind": (0.76, 0.59),
}


@pytest.mark.parametrize("name", SET_NAMES)
def test_matching_ranks_the_partner_high_on_the_hard_sets(app, name):
    found = ranks(dict(zip(SET_NAMES, ALL_SETS, strict=True))[name])
    mrr, hit_at_1, misses = scores(found)
    print(f"{name}: MRR {mrr:.3f}, hit@1 {hit_at_1:.1%}, misses {misses}")
    assert mrr >= FLOORS[name][0] and hit_at_1 >= FLOORS[name][1], misses


def test_a_need_s_matches_are_never_needs_and_an_offer_s_never_offers(app):
    for _name, need, partner, matches in ranks(SET):
        assert all(match.ad.kind is not need.kind for match in matches)
        assert all(match.ad.kind is not partner.kind for match in services.find_matches(partner))
