"""Swedish reference data: counties, municipalities, county neighbours and the challenge taxonomy.

The CSV files beside this module are copied from the verified shared data set; slugs and SCB
codes are stable identifiers stored in the database, names are looked up here per language.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask_babel import get_locale

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class County:
    code: str
    name_sv: str
    name_short: str
    name_en: str
    region_name: str

    @property
    def name(self) -> str:
        return self.name_en if _language() == "en" else self.name_sv


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    county_code: str


@dataclass(frozen=True)
class Challenge:
    slug: str
    name_sv: str
    name_en: str
    description_sv: str
    description_en: str

    @property
    def name(self) -> str:
        return self.name_en if _language() == "en" else self.name_sv

    @property
    def description(self) -> str:
        return self.description_en if _language() == "en" else self.description_sv


def _language() -> str:
    locale = get_locale()
    return locale.language if locale else "sv"


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@cache
def counties() -> dict[str, County]:
    """All 21 counties by two-digit SCB code, in code order."""
    return {row["code"]: County(**row) for row in _rows("counties.csv")}


@cache
def municipalities() -> dict[str, Municipality]:
    """All 290 municipalities by four-digit SCB code."""
    return {row["code"]: Municipality(**row) for row in _rows("municipalities.csv")}


@cache
def municipalities_by_county() -> dict[str, list[Municipality]]:
    """Municipalities grouped by county code, each list sorted by Swedish name."""
    grouped: dict[str, list[Municipality]] = {code: [] for code in counties()}
    for municipality in municipalities().values():
        grouped[municipality.county_code].append(municipality)
    for items in grouped.values():
        items.sort(key=lambda m: swedish_sort_key(m.name))
    return grouped


@cache
def county_neighbours() -> dict[str, frozenset[str]]:
    """County code -> codes of the counties that share a border with it (land or lake)."""
    neighbours: dict[str, set[str]] = {code: set() for code in counties()}
    for row in _rows("county_neighbours.csv"):
        neighbours[row["a"]].add(row["b"])
        neighbours[row["b"]].add(row["a"])
    return {code: frozenset(codes) for code, codes in neighbours.items()}


@cache
def challenges() -> dict[str, Challenge]:
    """The challenge taxonomy by slug, in the editorial order of the CSV."""
    return {row["slug"]: Challenge(**row) for row in _rows("challenges.csv")}


_SWEDISH_ORDER = str.maketrans({"å": "{", "ä": "|", "ö": "}", "Å": "{", "Ä": "|", "Ö": "}"})


def swedish_sort_key(text: str) -> str:
    """Sort key that puts å, ä, ö after z, as Swedish readers expect."""
    return text.lower().translate(_SWEDISH_ORDER)


def county_name(code: str | None) -> str:
    county = counties().get(code or "")
    return county.name if county else ""


def municipality_name(code: str | None) -> str:
    municipality = municipalities().get(code or "")
    return municipality.name if municipality else ""
