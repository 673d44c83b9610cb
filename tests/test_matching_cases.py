"""The labelled matching set (tests/data/matching_cases.json): the right partner ranks first.

Every case's need has one partner a person would choose and at least five distractors in the
same place working on the same challenge, but offering something else (a room to rent instead
of Arabic-speaking homework helpers). All cases share one database, so every ad competes in
every case. The suite runs on SQLite and, with DATABASE_URL set, on PostgreSQL.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from marketplace.ads.models import AdKind
from marketplace.matching import services
from marketplace.organisations.models import LegalForm, Sector
from tests import factories

CASES = json.loads(
    (Path(__file__).parent / "data" / "matching_cases.json").read_text(encoding="utf-8")
)


def build_ad(data: dict, organisations: dict, kind: AdKind):
    return factories.ad(
        org=organisations[data["org"]],
        kind=kind,
        title=data["title"],
        body=data["body"],
        challenges=tuple(data["challenges"]),
        county_code=data["county"],
        municipality_code=data["municipality"],
        seeks_public="public" in data["seeking"],
        seeks_civil="civil" in data["seeking"],
        seeks_business="business" in data["seeking"],
    )


def load_cases() -> list[tuple[str, object, object, list]]:
    """Every organisation and ad of the set; returns (name, need, partner, distractors)."""
    organisations = {
        key: factories.organisation(
            name=values["name"],
            slug=key,
            sector=Sector(values["sector"]),
            legal_form=LegalForm(values["legal_form"]),
            county_code=values["county"],
            municipality_code=values["municipality"],
            challenges=("integration",),
        )
        for key, values in CASES["organisations"].items()
    }
    return [
        (
            case["name"],
            build_ad(case["need"], organisations, AdKind.NEED),
            build_ad(case["partner"], organisations, AdKind.OFFER),
            [build_ad(item, organisations, AdKind.OFFER) for item in case["distractors"]],
        )
        for case in CASES["cases"]
    ]


def test_the_labelled_set_has_at_least_eight_needs_with_five_distractors_each():
    assert len(CASES["cases"]) >= 8
    assert all(len(case["distractors"]) >= 5 for case in CASES["cases"])


def test_the_right_partner_ranks_first_for_every_need(app):
    cases = load_cases()
    misses = []
    for name, need, partner, distractors in cases:
        matches = services.find_matches(need, limit=10)
        ranked = [match.ad.id for match in matches]
        assert set(ranked) >= {partner.id}, f"{name}: the partner was not found at all"
        if ranked[0] != partner.id:
            misses.append((name, [match.ad.title for match in matches[:3]]))
        # every distractor of the case that is found ranks below the partner
        for distractor in distractors:
            if distractor.id in ranked:
                assert ranked.index(distractor.id) > ranked.index(partner.id), name
    assert misses == []


def test_the_partner_s_reasons_name_the_words_both_ads_use(app):
    [(_name, need, partner, _distractors), *_rest] = load_cases()
    [best, *_others] = services.find_matches(need, limit=3)
    assert best.ad.id == partner.id
    reasons = best.describe(own=True)
    assert "Ni söker – de erbjuder" in reasons
    assert "Samma kommun: Kalmar" in reasons
    assert "Båda arbetar med utbildning och folkbildning" in reasons
    [words] = [reason for reason in reasons if reason.startswith("Gemensamma ord: ")]
    # the partner's own spelling, not the stems ("laxhjalp")
    assert "läxhjälp" in words and "arabiska" in words


@pytest.mark.parametrize("kind", [AdKind.OFFER])
def test_every_partner_finds_its_need_among_its_own_matches_too(app, kind):
    """The score is symmetric: seen from the offer, the need it answers is also a top match."""
    for name, need, partner, _distractors in load_cases():
        assert partner.kind is kind
        ranked = [match.ad.id for match in services.find_matches(partner, limit=3)]
        assert need.id in ranked, name
