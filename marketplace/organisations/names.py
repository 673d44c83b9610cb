"""Organisation names compared as people see them: the skeleton, and the public bodies' reserved names.

Two names are "the same" when their skeletons are equal. The skeleton is Unicode TR39's idea:
NFKC, case-folded, format and bidi-control characters (category Cf) removed, every character
mapped to the prototype it can be confused with (Cyrillic "а" and Latin "a", digit "0" and
letter "O"), runs of blank space as one space. The confusables data is Unicode's own
confusables.txt as shipped by the `confusable-homoglyphs` package (pinned in requirements.txt);
no table is written by hand here.

The reserved names are those of Sweden's 21 regions, 290 municipalities (with their own
"stad" forms) and 21 county administrative boards, built from the SCB reference data with its
codes. Only an organisation verified through the body's own e-mail domain, or by review, may
hold one.
"""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass
from functools import cache

from confusable_homoglyphs import confusables as _confusables

from marketplace import reference

# Municipalities that call themselves "stad" (or use another form than "<name> kommun").
# The genitive and "stad"/"kommun" variants are reserved for all 290 anyway (see _variants).
OWN_FORMS: dict[str, str] = {
    "0180": "Stockholms stad",
    "1480": "Göteborgs Stad",
    "1280": "Malmö stad",
    "1283": "Helsingborgs stad",
    "1980": "Västerås stad",
    "1490": "Borås Stad",
    "0186": "Lidingö stad",
    "0184": "Solna stad",
    "0183": "Sundbybergs stad",
    "0187": "Vaxholms stad",
    "1282": "Landskrona stad",
    "1488": "Trollhättans stad",
    "1481": "Mölndals stad",
    "2583": "Haparanda stad",
    "0980": "Region Gotland",
    "0580": "Linköpings kommun",
    "0581": "Norrköpings kommun",
    "0680": "Jönköpings kommun",
    "1281": "Lunds kommun",
    "2080": "Falu kommun",
}


@dataclass(frozen=True)
class PublicBody:
    """A region, municipality or county administrative board whose name is reserved."""

    code: str  # "region-08", "kommun-0880", "lansstyrelse-08": the SCB code inside
    kind: str  # "region", "kommun" or "lansstyrelse"
    name: str  # the body's own form of its name
    county_code: str
    municipality_code: str | None = None


def _is_removed(char: str) -> bool:
    """Format characters (zero-width space, joiners, bidi overrides and isolates, soft hyphen)."""
    return unicodedata.category(char) == "Cf"


@cache
def _prototypes() -> dict[str, str]:
    """Character -> the prototype it is confusable with, from Unicode's confusables.txt.

    The package stores each pair both ways; a prototype is the side that many characters map to
    (or, for a pair of two single characters, the smaller one, so both sides agree).
    """
    data = _confusables.confusables_data
    mapping: dict[str, str] = {}
    for char, entries in data.items():
        if len(char) != 1 or len(entries) != 1:
            continue  # several entries: `char` is itself a prototype
        target = entries[0]["c"]
        back = data.get(target, [])
        if len(back) == 1 and back[0]["c"] == char and len(target) == 1:
            target = min(char, target)  # a pair: the same choice from both sides
        mapping[char] = target
    return mapping


def skeleton(name: str) -> str:
    """The form two names are compared in: 'Regiоn  Kalmar\u200b län' -> same as 'region kalmar län'."""
    text = unicodedata.normalize("NFKC", name or "").casefold()
    text = "".join(char for char in text if not _is_removed(char))
    prototypes = _prototypes()
    text = unicodedata.normalize("NFD", text)
    text = "".join(prototypes.get(char, char) for char in text)
    text = unicodedata.normalize("NFD", text).casefold()
    text = "".join(char for char in text if not _is_removed(char))
    return " ".join(text.split())


def _genitive(name: str) -> str:
    return name if name[-1:].lower() in ("s", "x", "z") else f"{name}s"


def _variants(body: PublicBody, short: str) -> list[str]:
    """The names that stand for the body: its own form plus the usual variants."""
    if body.kind == "region":
        return [
            body.name,
            f"Region {short}",
            f"{_genitive(short)} läns region",
            f"Region {short} län",
        ]
    if body.kind == "lansstyrelse":
        county = reference.counties()[body.county_code]
        return [
            body.name,
            f"Länsstyrelsen {county.name_short}",
            f"Länsstyrelsen i {county.name_sv}",
            f"{county.name_sv}s länsstyrelse",
        ]
    names = [body.name]
    for base in (short, _genitive(short)):
        names += [f"{base} kommun", f"{base} stad", f"{base} Kommun", f"Kommunen {short}"]
    return names


@cache
def public_bodies() -> dict[str, PublicBody]:
    """All 332 bodies by code: 21 regions, 290 municipalities, 21 county administrative boards."""
    bodies: dict[str, PublicBody] = {}
    for county in reference.counties().values():
        bodies[f"region-{county.code}"] = PublicBody(
            f"region-{county.code}", "region", county.region_name, county.code
        )
    for municipality in reference.municipalities().values():
        name = OWN_FORMS.get(municipality.code, f"{municipality.name} kommun")
        code = f"kommun-{municipality.code}"
        bodies[code] = PublicBody(code, "kommun", name, municipality.county_code, municipality.code)
    for county in reference.counties().values():
        bodies[f"lansstyrelse-{county.code}"] = PublicBody(
            f"lansstyrelse-{county.code}",
            "lansstyrelse",
            f"Länsstyrelsen i {county.name_sv}",
            county.code,
        )
    return bodies


@cache
def _reserved() -> dict[str, str]:
    """Skeleton of every reserved name -> body code (the first body wins: Region Gotland)."""
    reserved: dict[str, str] = {}
    municipalities = reference.municipalities()
    for body in public_bodies().values():
        if body.kind == "kommun":
            short = municipalities[body.municipality_code or ""].name
        else:
            short = reference.counties()[body.county_code].name_short
        for variant in _variants(body, short):
            reserved.setdefault(skeleton(variant), body.code)
    return reserved


def reserved_body(name: str) -> PublicBody | None:
    """The public body whose reserved name this is (compared on skeletons), or None."""
    code = _reserved().get(skeleton(name))
    return public_bodies()[code] if code else None


@cache
def shipped_domains() -> dict[str, frozenset[str]]:
    """Body code -> its official e-mail domains as shipped (reference/data/public_body_domains.csv)."""
    found: dict[str, set[str]] = {}
    with open(reference.DATA / "public_body_domains.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            found.setdefault(row["body"], set()).add(row["domain"].strip().lower())
    return {code: frozenset(domains) for code, domains in found.items()}
