"""Matching rules as tables: each score component, its reason, and what is never matched."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from marketplace.ads.models import Ad, AdKind, AdStatus
from marketplace.clock import today, utcnow
from marketplace.extensions import db
from marketplace.matching import candidates, services
from marketplace.matching import terms as matching_terms
from marketplace.matching.suggestions import suggest_organisations, wants_suggestions
from marketplace.organisations.models import LegalForm, Sector
from tests import factories

HOMEWORK = {
    "title": "Läxhjälpare som talar arabiska",
    "body": "Vi behöver volontärer som kan hjälpa mellanstadiebarn med matematik på arabiska.",
}
HOMEWORK_OFFER = {
    "title": "Studenter ger läxhjälp på arabiska",
    "body": "Lärarstudenter hjälper barn med matematik och läxor, flera talar arabiska.",
}


def forening(**overrides):
    values = {"name": "Språkbron", "sector": Sector.CIVIL, "county_code": "08"}
    return factories.organisation(**{**values, **overrides})


def need(org, **overrides):
    values = {"kind": AdKind.NEED, "county_code": "08", "municipality_code": "0880", **HOMEWORK}
    return factories.ad(org=org, **{**values, **overrides})


def offer(org, **overrides):
    values = {
        "kind": AdKind.OFFER,
        "county_code": "08",
        "municipality_code": "0880",
        **HOMEWORK_OFFER,
    }
    return factories.ad(org=org, **{**values, **overrides})


def found(ad) -> list[str]:
    return [match.ad.title for match in services.find_matches(ad)]


# Kinds


@pytest.mark.parametrize(
    ("ours", "theirs", "value", "reason"),
    [
        (AdKind.NEED, AdKind.OFFER, 1.0, "Ni söker – de erbjuder"),
        (AdKind.OFFER, AdKind.NEED, 1.0, "Ni erbjuder – de söker"),
        (AdKind.NEED, AdKind.IDEA, 0.6, "Ni söker – de har en idé"),
        (AdKind.IDEA, AdKind.OFFER, 0.6, "Ni har en idé – de erbjuder"),
        (AdKind.OFFER, AdKind.IDEA, 0.6, "Ni erbjuder – de har en idé"),
        (AdKind.IDEA, AdKind.NEED, 0.6, "Ni har en idé – de söker"),
    ],
)
def test_complementary_kinds_score_and_say_so(app, ours, theirs, value, reason):
    a = need(factories.municipality(), kind=ours)
    b = offer(forening(), kind=theirs)

    match = services.score_pair(a, b)

    assert match.components["kinds"] == value
    assert match.describe(own=True)[0] == reason
    assert found(a) == [b.title]


@pytest.mark.parametrize("kind", list(AdKind))
def test_ads_of_the_same_kind_are_never_matched_however_alike(app, kind):
    a = need(factories.municipality(), kind=kind, **HOMEWORK)
    need(forening(), kind=kind, **HOMEWORK)

    assert found(a) == []


def test_other_readers_see_the_organisations_names_instead_of_ni_and_de(app):
    a = need(factories.municipality())
    b = offer(forening())

    reasons = services.score_pair(a, b).describe(own=False)

    assert reasons[0] == "Kalmar kommun söker – Språkbron erbjuder"


# Challenges


@pytest.mark.parametrize(
    ("ours", "theirs", "value", "reason"),
    [
        (("integration",), ("integration",), 1.0, "Båda arbetar med integration och etablering"),
        (
            ("integration", "education"),
            ("education",),
            1.0,
            "Båda arbetar med utbildning och folkbildning",
        ),
        (
            ("integration", "education"),
            ("education", "integration", "employment"),
            1.0,
            "Båda arbetar med integration och etablering och utbildning och folkbildning",
        ),
        (("integration", "education"), ("education", "employment"), 0.5, None),
        (("integration",), ("elderly",), 0.0, None),
    ],
)
def test_shared_challenges_count_against_the_ad_with_fewer(app, ours, theirs, value, reason):
    a = need(factories.municipality(), challenges=ours)
    b = offer(forening(), challenges=theirs)

    match = services.score_pair(a, b)

    assert match.components["challenges"] == value
    reasons = match.describe(own=True)
    if reason:
        assert reason in reasons
    if value == 0:
        assert not any(text.startswith("Båda arbetar med") for text in reasons)


# Geography


@pytest.mark.parametrize(
    ("ours", "theirs", "value", "reason"),
    [
        (("08", "0880"), ("08", "0880"), 1.0, "Samma kommun: Kalmar"),
        (("08", "0880"), ("08", "0840"), 0.7, "Samma län: Kalmar län"),
        (("08", "0880"), ("08", None), 0.7, "Samma län: Kalmar län"),
        (("08", None), ("08", None), 0.7, "Samma län: Kalmar län"),
        (("08", "0880"), ("10", None), 0.4, "Grannlän: Kalmar län och Blekinge län"),
        (
            ("08", "0880"),
            (None, None),
            0.7,
            "Hela Sverige: annonsen från Språkbron gäller i hela landet",
        ),
        ((None, None), ("01", "0180"), 0.7, "Hela Sverige: er annons gäller i hela landet"),
        (("08", "0880"), ("01", "0180"), 0.0, None),
    ],
)
def test_geography_goes_from_same_municipality_to_far_away(app, ours, theirs, value, reason):
    a = need(factories.municipality(), county_code=ours[0], municipality_code=ours[1])
    b = offer(forening(), county_code=theirs[0], municipality_code=theirs[1])

    match = services.score_pair(a, b)

    assert match.components["geography"] == value
    reasons = match.describe(own=True)
    place = [text for text in reasons if text.startswith(("Samma", "Grannlän", "Hela Sverige"))]
    assert place == ([reason] if reason else [])


def test_nearer_ranks_higher_when_everything_else_is_equal(app):
    a = need(factories.municipality())
    places = {
        "kommun": ("08", "0880"),
        "län": ("08", "0840"),
        "grannlän": ("10", None),
        "långt bort": ("01", "0180"),
    }
    for title, (county, municipality) in places.items():
        offer(forening(), title=title, county_code=county, municipality_code=municipality)

    assert found(a) == ["kommun", "län", "grannlän", "långt bort"]


# Sectors, both ways


@pytest.mark.parametrize(
    ("we_seek", "they_seek", "value", "reasons"),
    [
        (
            (Sector.CIVIL,),
            (Sector.PUBLIC,),
            1.0,
            [
                "Ni söker idéburen sektor — Språkbron är en ideell förening",
                "Språkbron söker offentlig sektor — ni är en kommun",
            ],
        ),
        (
            (Sector.CIVIL,),
            (Sector.BUSINESS,),
            0.5,
            ["Ni söker idéburen sektor — Språkbron är en ideell förening"],
        ),
        (
            (Sector.BUSINESS,),
            (Sector.PUBLIC, Sector.CIVIL),
            0.5,
            ["Språkbron söker offentlig sektor — ni är en kommun"],
        ),
        ((Sector.BUSINESS,), (Sector.CIVIL,), 0.0, []),
    ],
)
def test_sector_fit_counts_what_each_side_seeks(app, we_seek, they_seek, value, reasons):
    def flags(sectors):
        return {
            "seeks_public": Sector.PUBLIC in sectors,
            "seeks_civil": Sector.CIVIL in sectors,
            "seeks_business": Sector.BUSINESS in sectors,
        }

    a = need(factories.municipality(), **flags(we_seek))
    b = offer(forening(), **flags(they_seek))

    match = services.score_pair(a, b)

    assert match.components["sector"] == value
    assert [text for text in match.describe(own=True) if " söker " in text and "—" in text] == (
        reasons
    )


def test_both_ways_ranks_above_one_way_above_neither(app):
    a = need(factories.municipality(), seeks_civil=True, seeks_public=False)
    offer(forening(), title="båda", seeks_public=True, seeks_civil=False)
    offer(forening(), title="en", seeks_public=False, seeks_business=True)
    offer(
        factories.organisation(name="Bolaget AB", sector=Sector.BUSINESS),
        title="ingen",
        seeks_public=False,
        seeks_business=True,
    )

    assert found(a) == ["båda", "en", "ingen"]


def test_legal_forms_are_named_with_the_right_article(app):
    a = need(factories.municipality(), seeks_business=True)
    company = factories.organisation(
        name="Bolaget AB", sector=Sector.BUSINESS, legal_form=LegalForm.LIMITED_COMPANY
    )
    b = offer(company)

    assert "Ni söker näringsliv — Bolaget AB är ett aktiebolag" in services.score_pair(
        a, b
    ).describe(own=True)


# Text


def test_shared_words_are_shown_as_the_other_ad_writes_them(app):
    a = need(factories.municipality())
    b = offer(forening())

    reasons = services.score_pair(a, b).describe(own=True)

    [words] = [text for text in reasons if text.startswith("Gemensamma ord: ")]
    assert "arabiska" in words and "matematik" in words
    assert "arabisk" not in words.replace("arabiska", "")  # never the stem


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        ("Läxhjälp. Matematik på tisdagar.", "matematik"),  # after a full stop
        ("Läxhjälp:\n\n  Matematik på tisdagar.", "matematik"),  # after a line break
        ("Läxhjälp – Matematik på tisdagar.", "matematik"),  # after a dash and a space
        ("Läxhjälp med Matematik på tisdagar.", "Matematik"),  # mid-sentence: a name
        ("Läxhjälp med Matematik. Matematik igen.", "Matematik"),  # a name wins
    ],
)
def test_a_capital_that_only_starts_a_sentence_is_not_shown(app, body, shown):
    a = need(factories.municipality(), title="Matematik", body="Matematik för mellanstadiet.")
    b = offer(forening(), title="Läxhjälp", body=body)

    reasons = services.score_pair(a, b).describe(own=True)

    [words] = [text for text in reasons if text.startswith("Gemensamma ord: ")]
    assert shown in words.split(": ")[1].split(", ")


def test_function_words_and_place_names_are_never_shared_words(app):
    a = need(
        factories.municipality(),
        title="Vi söker hjälp i Kalmar",
        body="Och det är för oss i Kalmars län.",
    )
    b = offer(forening(), title="Vi erbjuder hjälp i Kalmar", body="Och det är för er i Kalmar.")

    reasons = services.score_pair(a, b).describe(own=True)

    words = " ".join(text for text in reasons if text.startswith("Gemensamma ord"))
    for word in ("och", "det", "Kalmar", "söker", "erbjuder"):
        assert word not in words.split(": ")[-1].split(", ")


def test_weekdays_and_times_of_day_are_when_not_what(app):
    a = need(
        factories.municipality(),
        title="Nattvandrare på fredagskvällar",
        body="Vi söker vuxna som kan gå i centrum på fredags- och lördagskvällar.",
    )
    offer(
        forening(name="Bollklubben"),
        title="Fotboll på fredagskvällar",
        body="Vi spelar fotboll i hallen varje fredag kväll och lördag förmiddag.",
    )
    offer(forening(name="Trygga vuxna"), title="Nattvandring i centrum", body="Vi går i par.")

    reasons = services.score_pair(a, services.find_matches(a)[1].ad).describe(own=True)

    assert found(a) == ["Nattvandring i centrum", "Fotboll på fredagskvällar"]
    assert not any(text.startswith("Gemensamma ord") for text in reasons), reasons


def test_a_compound_shares_its_head_with_the_shorter_word(app):
    a = need(factories.municipality(), title="Arabisktalande volontärer", body="Till läxhjälpen.")
    b = offer(forening(), title="Vi talar arabiska", body="Gärna läxhjälp.")
    c = offer(forening(), title="Vi talar tigrinja", body="Gärna läxhjälp.")

    with_head = services.score_pair(a, b).components["text"]
    without = services.score_pair(a, c).components["text"]

    assert with_head > without > 0


def test_a_compound_written_since_the_word_table_was_built_still_shares_its_head(app, monkeypatch):
    monkeypatch.setattr(matching_terms, "_STATS", {})  # no table from an earlier test
    app.config["MATCHING_DF_MAX_AGE"] = 3600  # the table outlives the next ad
    b = offer(forening(), title="Vi talar arabiska", body="Gärna läxhjälp.")
    matching_terms.term_stats()
    a = need(factories.municipality(), title="Arabisktalande volontärer", body="Till läxhjälpen.")

    words = services.score_pair(b, a).describe()[-1]

    assert words.startswith("Gemensamma ord: ") and "arabisktalande" in words


def test_a_word_with_two_readings_counts_once(app):
    # "cyklar" is the plural of cykel or a form of cykla: one word, not two, so an ad that
    # writes it says the same as one that writes "cykel" (before, its second reading halved
    # the match)
    kalmar = factories.municipality()
    a = need(kalmar, title="Cyklar", body="Vi har.")
    same_word = offer(forening(name="Kalmar"), title="Cyklar", body="Vi har.")
    other_form = offer(forening(name="Kalmar"), title="Cykel", body="Vi har.")

    written = services.score_pair(a, same_word).components["text"]

    assert services.score_pair(a, other_form).components["text"] == pytest.approx(written)
    assert matching_terms.ad_terms(a).words() == {frozenset({"cykel", "cykla"})}


def test_a_thesaurus_synonym_connects_ads_and_is_named(app):
    # Viggo Kann's thesaurus: laga = reparera (not in the sector's curated groups)
    a = need(factories.municipality(), title="Någon som kan reparera cyklar", body="Vi har.")
    mends = offer(forening(), title="Vi lagar cyklar", body="Vi har.")
    sells = offer(forening(), title="Vi säljer cyklar", body="Vi har.")

    assert found(a) == ["Vi lagar cyklar", "Vi säljer cyklar"]
    assert "Liknande ord: reparera ≈ lagar" in services.score_pair(a, mends).describe(own=True)
    assert services.score_pair(a, mends).score == pytest.approx(services.score_pair(mends, a).score)
    assert services.score_pair(a, sells).components["text"] > 0  # "cyklar" alone


def test_rarer_shared_words_weigh_more_than_common_ones(app):
    for number in range(6):  # "volontärer" is in many ads, "teckenspråk" in few
        offer(forening(), title=f"Volontärer nummer {number}", body="Volontärer finns.")
    a = need(
        factories.municipality(), title="Volontärer som kan teckenspråk", body="Volontärer sökes."
    )
    rare = offer(forening(), title="Teckenspråk", body="Kurs i teckenspråk.")
    common = offer(forening(), title="Volontärer", body="Fler volontärer.")

    assert services.score_pair(a, rare).score > services.score_pair(a, common).score


def test_document_frequencies_count_every_ad_with_the_lemma(app):
    offer(forening(), title="Läxhjälp på lördagar", body="Läxhjälp och fika.")
    need(
        factories.municipality(),
        title="Läxhjälp",
        body="Mer läxhjälp.",
        status=AdStatus.PARTNER_FOUND,
    )
    offer(forening(), title="Cyklar", body="En cykel till alla.")

    stats = matching_terms.term_stats()

    assert stats.documents == 3
    assert stats.df["läxhjälp"] == 2  # once per ad, closed ads too: the same on both databases
    assert stats.df["hjälp"] == 2  # as a part of "läxhjälp"
    assert stats.df["cykel"] == 1  # "Cyklar" and "cykel" are one lemma
    assert "och" not in stats.df and "till" not in stats.df


def test_a_sector_the_need_does_not_seek_ranks_below_one_it_does_other_things_equal(app):
    a = need(factories.municipality(), seeks_civil=True, seeks_public=False, seeks_business=False)
    offer(
        factories.organisation(name="Bolaget AB", sector=Sector.BUSINESS, county_code="08"),
        title="Läxhjälp på arabiska från bolaget",
    )
    offer(forening(), title="Läxhjälp på arabiska från föreningen")

    assert found(a) == ["Läxhjälp på arabiska från föreningen", "Läxhjälp på arabiska från bolaget"]


def test_reasons_say_which_words_connect_the_ads_in_the_reader_s_language(app):
    a = need(
        factories.municipality(),
        title="Tolkar till föräldramöten",
        body="Vi behöver tolkar på arabiska.",
    )
    b = offer(
        forening(),
        title="Språkstöd på arabiska",
        body="Våra volontärer ger språkstöd i läxhjälpsgruppen och på möten.",
    )
    c = need(factories.municipality(), title="Läxhjälp", body="Vi söker läxhjälp på arabiska.")

    reasons = services.score_pair(a, b).describe(own=True)
    assert "Liknande ord: tolkar ≈ språkstöd" in reasons
    assert "Gemensamma ord: arabiska" in reasons
    [part] = [text for text in services.score_pair(c, b).describe(own=True) if "ord:" in text]
    assert part.startswith("Gemensamma ord: ")
    assert "läxhjälp (i läxhjälpsgruppen)" in part and "arabiska" in part

    with force_locale("en"):
        english = services.score_pair(c, b).describe(own=True)
    assert any(
        text.startswith("Words in common: ") and "läxhjälp (in läxhjälpsgruppen)" in text
        for text in english
    )


def test_stop_words_are_never_shared_words(app):
    a = need(
        factories.municipality(), title="Vi har vuxit ur lokalen", body="Och nu söker vi en ny."
    )
    b = offer(forening(), title="Lokal för den som vuxit ur sin", body="Och den är ny.")

    words = " ".join(services.score_pair(a, b).describe(own=True))

    for word in ("ur", "och", "Och", "ny", "vi", "den"):
        assert f" {word}," not in words and not words.endswith(f" {word}")


def test_the_score_is_the_same_seen_from_either_side(app):
    a = need(factories.municipality(), challenges=("integration", "education"))
    b = offer(forening(), county_code="10", challenges=("education",), seeks_business=True)

    assert services.score_pair(a, b).score == pytest.approx(services.score_pair(b, a).score)
    assert 0 < services.score_pair(a, b).score <= 1


# Never matched


def test_the_ads_own_organisation_is_never_matched(app):
    own = factories.municipality()
    a = need(own)
    offer(own, **HOMEWORK_OFFER)  # a perfect fit, but their own
    b = offer(forening())

    assert found(a) == [b.title]


@pytest.mark.parametrize(
    "closed",
    [
        {"status": AdStatus.PARTNER_FOUND},
        {"status": AdStatus.NOT_CURRENT},
        {"expires_on": today() - timedelta(days=1)},
    ],
)
def test_closed_and_expired_ads_are_never_matched_nor_get_matches(app, closed):
    a = need(factories.municipality())
    offer(forening(), **closed)
    assert found(a) == []

    b = need(factories.municipality(), **closed)
    offer(forening())
    assert services.find_matches(b) == []


def test_an_ad_expiring_today_still_matches(app):
    a = need(factories.municipality())
    b = offer(forening(), expires_on=today())

    assert found(a) == [b.title]


def test_matches_come_best_first_and_limit_cuts_the_list(app):
    a = need(factories.municipality())
    best = offer(forening())
    offer(forening(), title="Cyklar", body="Cyklar till familjer.")
    offer(forening(), title="Lokal att hyra", body="En lokal.", county_code="01")

    matches = services.find_matches(a, limit=2)

    assert [match.ad.id for match in matches][:1] == [best.id]
    assert len(matches) == 2
    assert matches[0].score >= matches[1].score


def test_an_ad_far_away_on_another_challenge_is_found_through_its_rare_words(app):
    a = need(factories.municipality(), challenges=("integration",))
    far = offer(forening(county_code="01"), county_code="01", challenges=("education",))

    assert found(a) == [far.title]


def test_the_pre_score_keeps_the_best_candidates_when_it_cuts(app, monkeypatch):
    monkeypatch.setattr(candidates, "CANDIDATE_CAP", 2)
    a = need(factories.municipality())
    for number in range(5):
        offer(forening(), title=f"Cyklar {number}", body="Cyklar.", county_code="01")
    best = offer(forening())

    assert found(a)[0] == best.title


def test_among_equal_pre_scores_the_cut_keeps_the_newest_ads(app, monkeypatch):
    monkeypatch.setattr(candidates, "CANDIDATE_CAP", 2)
    a = need(factories.municipality())
    alike = [
        offer(forening(), title=f"Cyklar {number}", body="Cyklar.", municipality_code=None)
        for number in range(4)
    ]

    assert sorted(found(a)) == [alike[2].title, alike[3].title]


def test_an_ad_closed_where_this_process_did_not_see_it_is_not_matched(app):
    a = need(factories.municipality())
    closed = offer(forening())
    assert found(a) == [closed.title]  # the open ads' snapshot now holds it

    # Another process closes it: a write this process's cache never hears of.
    db.session.connection().execute(
        sa.update(Ad.__table__).where(Ad.id == closed.id).values(status="not_current")
    )
    db.session.commit()

    assert found(a) == []


# Organisations to contact


def test_a_public_need_suggests_organisations_even_without_ads(app):
    a = need(factories.municipality(), seeks_civil=True, challenges=("integration", "education"))
    near = forening(name="Läxhjälpen Kalmar", municipality_code="0880", challenges=("education",))
    neighbour = forening(name="Språkvänner Blekinge", county_code="10", municipality_code=None)
    forening(name="Långt bort", county_code="01", municipality_code="0180")
    factories.organisation(name="Äldrevänner", county_code="08", challenges=("elderly",))
    factories.organisation(  # not a sector the need seeks
        name="Bolaget AB", sector=Sector.BUSINESS, county_code="08", municipality_code="0880"
    )

    suggestions = suggest_organisations(a, limit=5)

    names = [suggestion.organisation.name for suggestion in suggestions]
    assert names[:2] == [near.name, neighbour.name]
    assert "Äldrevänner" not in names and "Bolaget AB" not in names
    assert a.organisation.name not in names
    assert suggestions[0].reasons[:2] == [
        "Arbetar med utbildning och folkbildning",
        "Finns i Kalmar",
    ]
    assert "Grannlän: Kalmar län och Blekinge län" in suggestions[1].reasons


def test_organisations_hidden_by_a_moderator_are_not_suggested(app):
    a = need(factories.municipality(), seeks_civil=True)
    forening(name="Dold förening", hidden_at=utcnow(), hidden_reason="Spam")
    shown = forening(name="Synlig förening")

    names = [s.organisation.name for s in suggest_organisations(a)]

    assert names == [shown.name]


def test_only_public_bodies_open_needs_get_suggestions(app):
    assert wants_suggestions(need(factories.municipality()))
    assert not wants_suggestions(offer(factories.municipality()))
    assert not wants_suggestions(need(forening()))
    assert not wants_suggestions(need(factories.municipality(), status=AdStatus.NOT_CURRENT))


def test_at_national_scale_a_shared_challenge_alone_must_be_near(app, monkeypatch):
    monkeypatch.setattr(candidates, "NEAR_ONLY_ABOVE", 0)  # as if there were many ads
    a = need(factories.municipality())
    neighbour = offer(forening(), title="Cyklar", body="Cyklar.", county_code="10")
    offer(forening(), title="Lokal", body="Lokal.", county_code="01", municipality_code="0180")
    words = offer(forening(county_code="01"), county_code="01", municipality_code="0180")

    assert set(found(a)) == {neighbour.title, words.title}
