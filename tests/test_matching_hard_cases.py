"""The hard matching set (tests/data/matching_cases_hard.json) is what it claims to be.

Matching will be scored on it (MRR and hit@1) once it uses marketplace.language; these tests
hold the set itself to its description: at least 30 needs in natural Swedish, each with one
partner a person would pick and at least four distractors; the partner shares fewer literal
words with the need than an attractive distractor does, yet the analysis can connect the two.
"""

from __future__ import annotations

import json
from pathlib import Path

from marketplace import language, reference
from marketplace.matching.terms import STOPWORDS
from marketplace.search import text as search_text

SET = json.loads(
    (Path(__file__).parent / "data" / "matching_cases_hard.json").read_text(encoding="utf-8")
)
CASES = SET["cases"]


def ads(case: dict) -> list[dict]:
    return [case["need"], case["partner"], *case["distractors"]]


def literal(ad: dict) -> set[str]:
    """The stems today's matching compares (search.text), without its stop words."""
    stop = {stem for word in STOPWORDS for stem in search_text.variants(word)}
    return set(search_text.index_terms(ad["title"], ad["body"]).split()) - stop


def test_there_are_at_least_thirty_cases_with_four_distractors_each():
    assert len(CASES) >= 30
    assert all(len(case["distractors"]) >= 4 for case in CASES)
    assert len({case["name"] for case in CASES}) == len(CASES)


def test_every_ad_is_valid_data():
    organisations = SET["organisations"]
    challenges = reference.challenges()
    for case in CASES:
        assert case["need"]["kind"] == "need" and case["partner"]["kind"] == "offer"
        for ad in ads(case):
            assert ad["org"] in organisations
            assert ad["kind"] in {"need", "offer", "idea"}
            assert ad["challenges"] and set(ad["challenges"]) <= set(challenges)
            assert set(ad["seeking"]) <= {"civil", "public", "business"}
            if ad["municipality"]:
                assert reference.municipalities()[ad["municipality"]].county_code == ad["county"]
            assert 10 <= len(ad["title"]) <= 120 and len(ad["body"]) >= 20


def test_the_partner_shares_fewer_literal_words_than_a_distractor_in_most_cases():
    harder = 0
    for case in CASES:
        need = literal(case["need"])
        partner = len(need & literal(case["partner"]))
        best_distractor = max(len(need & literal(d)) for d in case["distractors"])
        harder += best_distractor > partner
    assert harder >= 0.8 * len(CASES)


def test_the_analysis_connects_every_need_with_its_partner_often_beyond_literal_words():
    beyond = 0
    for case in CASES:
        need = language.document_terms(case["need"]["title"], case["need"]["body"])
        partner = language.document_terms(case["partner"]["title"], case["partner"]["body"])
        connections = language.explain(need, partner, limit=50)
        assert connections, case["name"]
        beyond += any(connection.kind != "same" for connection in connections)
    assert beyond >= 0.75 * len(CASES)
