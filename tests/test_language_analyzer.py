"""The Swedish analysis as a person searching notices it (marketplace.language).

Each test searches one text with one query through the same rule the search will use
(language.match: every query word found, at its best tier) and says what a user would see.
"""

from __future__ import annotations

import pytest

from marketplace import language
from marketplace.language import Tier


def finds(query: str, text: str, *, typing: bool = False) -> tuple[Tier, ...] | None:
    return language.match(
        language.query_terms(query, prefix_last=typing), language.document_terms(text)
    )


# Irregular forms and inflections


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("sommar", "Aktiviteter alla somrar"),
        ("boken", "Vi samlar in böcker till biblioteket"),
        ("bok", "Läs böckerna högt"),
        ("går", "Hon gick med i föreningen"),
        ("gammal", "De äldsta medlemmarna"),
        ("ohälsa", "Stöd vid psykisk ohälsan"),
        ("förälder", "Föräldrarna är välkomna"),
        ("pensionärer", "För pensionärer i Malmö"),
        ("man", "Männen i gruppen"),
        ("tolk", "Vi söker tolkar till föräldramöten"),
    ],
)
def test_other_forms_of_a_word_are_found_exactly(query, text):
    assert finds(query, text) == (Tier.EXACT,)


# Compounds


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("hjälp", "Läxhjälp på lördagar"),
        ("jour", "Kvinnojouren söker volontärer"),
        ("bank", "Matbanken delar ut matkassar"),
        ("beredskap", "Krisberedskap i kommunen"),
        ("gård", "Ungdomsgården har öppet hus"),
        ("ungdom", "Ungdomsgården har öppet hus"),
        ("läxa", "Läxhjälpen i biblioteket"),
        ("sjukdom", "Anhöriga till personer med minnessjukdom"),
    ],
)
def test_a_word_finds_the_compounds_it_is_part_of_ranked_below_itself(query, text):
    assert finds(query, text) == (Tier.PART,)
    assert finds(query, f"{text} och {query}") == (Tier.EXACT,)


def test_a_compound_finds_its_parts_written_apart():
    assert finds("läxläsning", "Läsning av läxor för mellanstadiet") == (Tier.PART,)
    assert finds("ungdomsgård", "En gård för ungdomar") == (Tier.PART,)


def test_a_compound_of_a_compound_is_split_to_every_part():
    word = language.analyze_word("läxhjälpsgrupperna")
    assert word.lemmas == ("laxhjalpsgrupp",)
    assert {"läxhjälp", "läxa", "hjälp", "grupp"} <= set(word.parts)
    assert finds("läxhjälpsgruppen", "Läxhjälpsgrupperna träffas") == (Tier.EXACT,)


@pytest.mark.parametrize("word", ["alltid", "eftermiddag", "deltagarna", "sjukdom", "utbildning"])
def test_words_that_only_look_like_compounds_are_not_split(word):
    assert language.analyze_word(word).parts == ()


def test_tid_and_middag_do_not_find_alltid_and_eftermiddag():
    assert finds("tid", "Vi finns alltid här") is None
    assert finds("middag", "Träff på eftermiddagen") is None
    assert finds("del", "Deltagarna får fika") is None


# Accents


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("forening", "Föreningen Gemenskap"),
        ("lan", "Hela Skåne län"),
        ("aldre", "Aktiviteter för äldre"),
        ("laxhjalp", "Läxhjälp för barn"),
        ("sprakcafe", "Språkcafé varje tisdag"),
        ("ungdomsgarden", "Ungdomsgården i Norrliden"),
    ],
)
def test_a_word_typed_without_a_ring_or_dots_finds_the_word_with_them(query, text):
    assert finds(query, text) is not None


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("lån", "Hela Skåne län"),
        ("län", "Lån av lokal"),
        ("rost", "Din röst räknas"),
        ("rad", "Goda råd om ekonomi"),
        ("man", "En gång i månaden"),
        ("bil", "En bild av verksamheten"),
        ("sko", "Samarbete med skolan"),
    ],
)
def test_words_that_only_look_alike_do_not_find_each_other(query, text):
    assert finds(query, text) is None


def test_a_swedish_word_typed_without_accents_is_not_turned_into_another():
    assert language.analyze_word("rad").lemmas == ("rad",)
    assert language.analyze_word("forening").lemmas == ("förening",)
    assert set(language.analyze_word("lan").lemmas) == {"län", "lån"}


# Prefixes only while typing


def test_the_last_word_matches_as_a_prefix_only_while_typing():
    assert finds("sko", "Samarbete med skolan") is None
    assert finds("sko", "Samarbete med skolan", typing=True) == (Tier.PART,)
    assert finds("läxhjälp i mal", "Läxhjälp i Malmö", typing=True) is not None
    assert finds("foren", "Föreningen Gemenskap", typing=True) is not None
    # a space after the last word: the word is complete
    assert finds("sko ", "Samarbete med skolan", typing=True) is None


def test_completions_offer_common_words_with_their_accents():
    assert "förening" in language.complete("foren")
    assert language.complete("läxh")[0] == "läxhjälp"
    assert language.complete("x") == []


# Synonyms, challenges, English


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("tolk", "Volontärer erbjuder språkstöd"),
        ("hjärtstartare", "Vi har defibrillatorer i lokalen"),
        ("demens", "Stöd till anhöriga vid minnessjukdom"),
        ("praktik", "Arbetsträning i vårt kafé"),
        ("feriearbete", "Sommarjobb för unga"),
        ("pensionärer", "Träffpunkt för seniorer"),
        ("läxläsning", "Studiestöd efter skolan"),
        ("asylsökande", "Samtalsgrupp för nyanlända"),
    ],
)
def test_a_synonym_is_found_ranked_below_the_word_itself(query, text):
    assert finds(query, text) == (Tier.RELATED,)


def test_unrelated_words_of_the_same_domain_are_not_synonyms():
    assert finds("tolk", "Möteslokal att hyra") is None
    assert finds("barn", "Träffpunkt för seniorer") is None


def test_a_query_names_the_challenges_it_is_about():
    assert language.query_terms("psykisk ohälsa").challenges == ("mental-health",)
    assert language.query_terms("läxhjälp i Malmö").challenges == ("education",)
    assert "elderly" in language.query_terms("pensionärer").challenges
    assert language.query_terms("cykel").challenges == ()


def test_english_words_are_offered_their_swedish_word():
    assert language.query_terms("homework").hints == (("homework", "läxhjälp"),)
    assert ("volunteers", "volontärer") in language.english_hints("volunteers wanted")
    # a Swedish word that is also English is not "corrected" ("art" is a species)
    assert language.english_hints("art") == ()
    assert language.english_hints("mentor") == ()


# Documents, queries and reasons


def test_a_document_has_its_terms_in_three_groups():
    doc = language.document_terms("Läxhjälpsgruppen", "Vi söker tolkar")
    assert "tolk" in doc.exact and "laxhjalpsgrupp" in doc.exact
    assert {"läxhjälp", "läxa", "hjälp", "grupp"} <= set(doc.parts)
    assert "studiestöd" in doc.related
    assert not set(doc.parts) & set(doc.exact)
    assert not set(doc.related) & (set(doc.exact) | set(doc.parts))
    assert doc.tokens()["exact"].count("tolk") == 1
    assert doc.challenges == ("education",)


def test_explain_says_what_connects_two_ads():
    need = language.document_terms("Vi söker tolkar till läxhjälpen")
    offer = language.document_terms("Volontärer ger språkstöd i vår läxhjälpsgrupp")
    connections = language.explain(need, offer)
    assert language.Connection("part", "läxhjälp", "läxhjälpen", "läxhjälpsgrupp") in connections
    assert any(
        c.kind == "related" and c.ours == "tolkar" and c.theirs == "språkstöd" for c in connections
    )
    assert connections[0].kind != "related"  # literal connections come first


def test_odd_input_never_fails():
    for text in ["", "   ", "!!!", '"OR" AND *', "🙂 emoji", "a" * 5000, "x\u0301y", "ﬁnns"]:
        query = language.query_terms(text, prefix_last=True)
        language.match(query, language.document_terms(text))
    assert not language.query_terms("")
    assert len(language.query_terms(" ".join(f"ord{i}" for i in range(50))).words) == 12
    assert language.analyze_word("a" * 60).lemmas


def test_names_and_unknown_words_match_their_own_forms():
    assert finds("Norrliden", "Läxhjälpen Norrlidens skola") is not None
    assert finds("Zxqvist", "zxqvist") == (Tier.EXACT,)


@pytest.mark.parametrize(
    ("query", "text"),
    [
        # present tenses the dictionary files as words of their own, or not under their verb
        ("skänka", "Vi skänker begagnade laptops"),
        ("hitta", "Här hittar du oss"),
        ("visa", "Vi visar hur du lagar cykeln"),
        ("stänga", "Biblioteket stänger tidigt"),
        ("köra", "Vem kör till träningen?"),
        ("leva", "Hur man lever med demens"),
        # plurals filed under another word
        ("natt", "Jour alla nätter"),
        ("helg", "Öppet på helger"),
    ],
)
def test_a_present_tense_or_plural_finds_its_verb_or_noun(query, text):
    assert finds(query, text) == (Tier.EXACT,)


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("skänker", "Vill du skänka en dator?"),
        ("nätter", "Jour natt och dag"),
        ("visar", "Visa vägen"),
    ],
)
def test_a_present_tense_or_plural_typed_finds_the_dictionary_form(query, text):
    assert finds(query, text) == (Tier.EXACT,)


def test_an_ambiguous_form_keeps_both_words():
    assert set(language.lemmas_of("lever")) == {"lever", "leva"}  # liver, lives
    assert set(language.lemmas_of("stänger")) >= {"stänga"}
    assert "kör" in language.lemmas_of("kör") and "köra" in language.lemmas_of("kör")


@pytest.mark.parametrize(
    ("query", "text"),
    [("bilda", "Bilder från sommarlägret"), ("paja", "Pajer och kakor"), ("köra", "Två körer")],
)
def test_a_plural_does_not_find_a_verb_that_only_looks_like_it(query, text):
    assert finds(query, text) is None


def test_a_hostel_is_a_wanderers_home_not_nonsense_parts():
    word = language.analyze_word("vandrarhem")
    assert "hem" in word.parts and "vande" not in word.parts and "rar" not in word.parts
