"""Organisationsnummer rules, driven by the verified examples in tests/data/orgnr_examples.csv."""

import csv
from pathlib import Path

import pytest

from marketplace.organisations import orgnr
from marketplace.organisations.models import LegalForm, Sector

EXAMPLES = list(csv.DictReader((Path(__file__).parent / "data" / "orgnr_examples.csv").open()))
VALID = [row["orgnr"] for row in EXAMPLES if row["expected_luhn_valid"] == "true"]
INVALID = [row["orgnr"] for row in EXAMPLES if row["expected_luhn_valid"] == "false"]


def _error(raw: str) -> orgnr.InvalidOrgNumber:
    with pytest.raises(orgnr.InvalidOrgNumber) as caught:
        orgnr.normalise(raw)
    return caught.value


def test_the_examples_file_holds_22_real_and_6_altered_numbers():
    assert (len(VALID), len(INVALID)) == (22, 6)


@pytest.mark.parametrize("number", VALID)
def test_every_real_organisation_number_is_accepted_in_every_usual_spelling(number):
    digits = number.replace("-", "")
    spellings = [number, digits, f"{digits[:6]} {digits[6:]}", f" {number} ", f"16{digits}"]
    spellings += [f"16{number}", number.replace("-", "–")]  # 12-digit form; an en dash from Word
    for spelling in spellings:
        assert orgnr.normalise(spelling) == number, spelling
    assert orgnr.is_valid(number)


@pytest.mark.parametrize("number", INVALID)
def test_a_number_with_an_altered_check_digit_is_refused_with_the_check_digit_message(number):
    error = _error(number)
    assert error.message == orgnr.CHECK_DIGIT_MESSAGE and error.reason == "check_digit"
    assert "kontrollsiffran" in str(error)
    assert not orgnr.is_valid(number)


@pytest.mark.parametrize("number", ["551900-1233", "5519001233", "195501011234", "19550101-1234"])
def test_a_personnummer_is_refused_as_not_an_organisation(number):
    error = _error(number)
    assert error.message == orgnr.PERSONAL_NUMBER_MESSAGE and error.reason == "personal_number"
    assert "personnummer" in str(error)


def test_551900_1233_passes_luhn_so_only_the_third_digit_rule_refuses_it():
    assert orgnr.luhn_valid("5519001233")


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "802002",
        "802002-87111",
        "80200287",
        "802002-871a",
        "80-20028711",
        "SE802002871101",
        "abc",
    ],
)
def test_wrong_length_or_characters_get_the_format_message(raw):
    error = _error(raw)
    assert error.message == orgnr.FORMAT_MESSAGE and error.reason == "format"
    assert "tio siffror" in str(error)


def test_the_three_messages_are_distinct():
    messages = {
        str(orgnr.FORMAT_MESSAGE),
        str(orgnr.PERSONAL_NUMBER_MESSAGE),
        str(orgnr.CHECK_DIGIT_MESSAGE),
    }
    assert len(messages) == 3


@pytest.mark.parametrize(
    ("number", "sector", "legal_form", "hint"),
    [
        ("212000-0746", Sector.PUBLIC, None, "Numret börjar med 2"),
        ("252002-6135", Sector.PUBLIC, None, "trossamfund"),
        ("556448-1397", Sector.BUSINESS, LegalForm.LIMITED_COMPANY, "aktiebolag"),
        ("769605-2856", Sector.CIVIL, LegalForm.COOPERATIVE, "ekonomisk förening"),
        (
            "802002-8711",
            Sector.CIVIL,
            LegalForm.NONPROFIT_ASSOCIATION,
            "Numret börjar med 8 – ofta en ideell förening eller stiftelse",
        ),
        ("916000-0005", Sector.BUSINESS, LegalForm.OTHER, "handelsbolag"),
    ],
)
def test_the_first_digit_suggests_sector_and_legal_form(number, sector, legal_form, hint):
    suggestion = orgnr.suggest(number)
    assert suggestion.sector is sector
    assert suggestion.legal_form is legal_form
    assert hint in suggestion.hint


def test_first_digits_without_a_usual_meaning_suggest_nothing():
    assert orgnr.suggest("302000-0000") is None
