"""Bulk import: check a whole JSON file first, then upsert organisations and ads in one transaction.

Records are matched on their `ref` (stored as `import_ref`): an unknown ref is created, a known
ref is updated when something differs and left alone otherwise, so importing the same file twice
changes nothing. If anything in the file is wrong, nothing is written and every problem is
reported with its place (`ads[3].county: unknown county code "99"`). The format is documented in
README.md ("Interface for other systems").

Speed matters (100,000 ads in well under a minute): the database is read once up front into ref maps, and
rows are written with bulk INSERT/UPDATE statements (executemany), never one SELECT per row.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale

from marketplace import reference
from marketplace import text as plain
from marketplace.ads import services as ad_services
from marketplace.ads.models import Ad, AdChallenge, AdKind, AdStatus
from marketplace.clock import today, utcnow
from marketplace.crises import rules as crisis_rules
from marketplace.extensions import db
from marketplace.organisations import names, orgnr
from marketplace.organisations import services as organisation_services
from marketplace.organisations.models import (
    LegalForm,
    Organisation,
    OrganisationChallenge,
    Sector,
)
from marketplace.search import index as search_index
from marketplace.search.models import log_changes
from marketplace.search.text import fold, index_terms

DEFAULT_LIFETIME = timedelta(days=ad_services.DEFAULT_LIFETIME_DAYS)
MAX_REF = 64
MAX_NAME = 200
MAX_TITLE = ad_services.TITLE_MAX_LENGTH
MAX_BODY = ad_services.BODY_MAX_LENGTH
MAX_DESCRIPTION = 5000
MAX_WEBSITE = 300
MAX_AD_CHALLENGES = ad_services.MAX_CHALLENGES
MAX_LIFETIME = timedelta(days=ad_services.MAX_LIFETIME_DAYS)
SECTORS = tuple(sector.value for sector in Sector)
KINDS = tuple(kind.value for kind in AdKind)
_CHUNK = 5000  # ids per IN (...) list: well below every driver's parameter limit
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

# The labels the file uses -> LegalForm values, best first. A label whose own member does not
# exist (yet) falls back to the nearest one, e.g. a kooperativ is an ekonomisk förening.
FORM_LABELS: dict[str, tuple[str, ...]] = {
    "ideell förening": ("ideell-forening",),
    "ekonomisk förening": ("ekonomisk-forening",),
    "kooperativ": ("kooperativ", "ekonomisk-forening"),
    "stiftelse": ("stiftelse",),
    "trossamfund": ("trossamfund",),
    "region": ("region",),
    "kommun": ("kommun",),
    "statlig myndighet": ("statlig-myndighet",),
    "länsstyrelse": ("lansstyrelse", "statlig-myndighet"),
    "aktiebolag": ("aktiebolag",),
    "annan": ("annan",),
}

ORGANISATION_KEYS = {
    "required": {"ref", "name", "sector", "county", "description", "challenges"},
    "optional": {
        "org_number",
        "form",
        "municipality",
        "website",
        "email",
        "verified_via",
        "domains",
    },
}
VERIFIED_VIA = ("domain", "review")
MAX_DOMAINS = 5

AD_KEYS = {
    "required": {
        "ref",
        "organisation",
        "kind",
        "title",
        "body",
        "challenges",
        "county",
        "seeking",
        "published",
    },
    "optional": {"municipality", "expires", "crisis"},
}

# Columns compared to decide "unchanged" vs "updated" (plus the set of challenges).
_ORGANISATION_FIELDS = (
    "name",
    "slug",
    "sector",
    "legal_form",
    "org_number",
    "county_code",
    "municipality_code",
    "website",
    "email",
    "description",
    "search_terms",
    "name_skeleton",
    "domains",
    "public_body",
    "verified_via",
    "verified_domain",
)
_AD_FIELDS = (
    "organisation_id",
    "kind",
    "title",
    "slug",
    "body",
    "county_code",
    "municipality_code",
    "seeks_public",
    "seeks_civil",
    "seeks_business",
    "published_at",
    "expires_on",
    "crisis_id",
    "search_terms",
)


class ImportRejected(Exception):
    """The file was not imported; `problems` says where and why, one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(f"{len(problems)} problem(s); nothing was imported")
        self.problems = list(problems)


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


@dataclass
class ImportReport:
    organisations: ImportCounts = field(default_factory=ImportCounts)
    ads: ImportCounts = field(default_factory=ImportCounts)

    def __str__(self) -> str:
        return f"organisations: {self.organisations}; ads: {self.ads}"


# ---------------------------------------------------------------------------------------------
# Reading


def parse_json(text: str) -> Any:
    """The parsed document; invalid JSON is rejected with its line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportRejected(
            [f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"]
        ) from None


def read_file(path: str | Path) -> Any:
    """Parse an import file (UTF-8, a BOM is tolerated)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRejected([f"the file is not UTF-8 text (byte {error.start})"]) from None
    return parse_json(text)


# ---------------------------------------------------------------------------------------------
# Field rules of the import file


def normalise_org_number(value: str) -> tuple[str | None, str | None]:
    """(NNNNNN-NNNN, None) for a valid organisationsnummer, else (None, the rule it breaks)."""
    try:
        return orgnr.normalise(value), None
    except orgnr.InvalidOrgNumber as error:
        reasons = {
            id(orgnr.PERSONAL_NUMBER_MESSAGE): "the third digit is 0 or 1 (a personnummer)",
            id(orgnr.CHECK_DIGIT_MESSAGE): "wrong check digit",
        }
        return None, reasons.get(id(error.message), "expected 10 digits, NNNNNN-NNNN")


@lru_cache(maxsize=200_000)
def _word_terms(word: str) -> tuple[str, ...]:
    return tuple(index_terms(word).split())


def search_terms(*texts: str | None) -> str:
    """Exactly `index_terms(*texts)`, computed word by word with a cache.

    A file's 100,000 ads share a vocabulary of a few tens of thousands of words, and folding and
    stemming each word once instead of every time makes the import several times faster.
    This holds because index_terms is the ordered set of the terms of each whitespace-separated
    word (tests/test_import.py checks that this stays true).
    """
    seen: dict[str, None] = {}
    for text in texts:
        for word in (text or "").split():
            for term in _word_terms(word):
                seen.setdefault(term, None)
    return " ".join(seen)


@lru_cache(maxsize=256)
def resolve_legal_form(label: str) -> LegalForm | None:
    """A form label from the file ('ideell förening', 'kooperativ') or a LegalForm value."""
    wanted = fold(label).strip().replace("-", " ")
    known = {member.value: member for member in LegalForm}
    for name, candidates in FORM_LABELS.items():
        if fold(name) == wanted:
            return next((known[value] for value in candidates if value in known), None)
    for member in LegalForm:
        if fold(member.value).replace("-", " ") == wanted:
            return member
    return None


def default_legal_form(sector: Sector, org_number: str | None, name: str) -> LegalForm:
    """A sensible legal form when the file gives none: from the sector, the number and the name."""
    number = org_number or ""
    lowered = name.lower()

    def form(label: str) -> LegalForm:
        return resolve_legal_form(label) or LegalForm.OTHER

    if sector is Sector.PUBLIC:
        if number.startswith("2321") or lowered.startswith("region"):
            return form("region")
        if number.startswith("2120") or "kommun" in lowered or lowered.endswith(" stad"):
            return form("kommun")
        if "länsstyrelse" in lowered:
            return form("länsstyrelse")
        return form("statlig myndighet")
    if sector is Sector.BUSINESS:
        return {"5": form("aktiebolag"), "7": form("ekonomisk förening")}.get(
            number[:1], form("annan")
        )
    if "stiftelse" in lowered:
        return form("stiftelse")
    if "församling" in lowered or number[:1] == "2":
        return form("trossamfund")
    if "kooperativ" in lowered:
        return form("kooperativ")
    if number[:1] == "7":
        return form("ekonomisk förening")
    return form("ideell förening")


# ---------------------------------------------------------------------------------------------
# Checking the file (no database)


@dataclass
class _OrganisationRow:
    path: str
    ref: str
    values: dict[str, Any]
    challenges: tuple[str, ...]


@dataclass
class _AdRow:
    path: str
    ref: str
    organisation_ref: str
    values: dict[str, Any]
    challenges: tuple[str, ...]


@lru_cache(maxsize=1)
def _challenges() -> frozenset[str]:
    return frozenset(reference.challenges())


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


class _Record:
    """Typed access to one record's keys; every problem is noted with its place."""

    def __init__(
        self, raw: dict[str, Any], path: str, keys: dict[str, set[str]], problems: list[str]
    ) -> None:
        self.raw = raw
        self.path = path
        self.problems = problems
        self.start = len(problems)
        # Almost every record has exactly the expected keys: two set comparisons say so, and
        # only a record that has a problem is gone through key by key.
        if not raw.keys() <= keys["required"] | keys["optional"]:
            for key in raw:
                if key not in keys["required"] and key not in keys["optional"]:
                    self.problem(key, "unknown key")
        if not keys["required"] <= raw.keys():
            for key in sorted(keys["required"]):
                if key not in raw:
                    self.problem(key, "missing required key")

    @property
    def ok(self) -> bool:
        return len(self.problems) == self.start

    def problem(self, key: str, message: str) -> None:
        self.problems.append(f"{self.path}.{key}: {message}")

    def _typed(self, key: str, kind: type, label: str, nullable: bool) -> Any:
        value = self.raw.get(key)
        if value is None:
            if key in self.raw and not nullable:
                self.problem(key, f"expected {label}, got null")
            return None
        if not isinstance(value, kind):
            self.problem(key, f"expected {label}, got {_json_type(value)}")
            return None
        return value

    def text(
        self,
        key: str,
        max_length: int,
        *,
        nullable: bool = False,
        empty: bool = False,
        one_line: bool = False,
    ):
        """A string, cleaned as the site stores text (NFC, no control characters, trimmed)."""
        value = self._typed(key, str, "a string", nullable)
        if value is None:
            return None
        value = plain.one_line(value) if one_line else plain.clean_text(value)
        if not value and not empty:
            self.problem(key, "must not be empty")
            return None
        if len(value) > max_length:
            self.problem(key, f"too long: {len(value)} characters (at most {max_length})")
            return None
        return value

    def choice(self, key: str, allowed: Sequence[str], what: str):
        value = self._typed(key, str, "a string", nullable=False)
        if value is None:
            return None
        if value not in allowed:
            self.problem(key, f'unknown {what} "{value}" (expected one of: {", ".join(allowed)})')
            return None
        return value

    def slugs(self, key: str, options: Collection[str], what: str, least: int, most: int | None):
        values = self._typed(key, list, "an array", nullable=False)
        if values is None:
            return None
        seen: list[str] = []
        ok = True
        for index, value in enumerate(values):
            place = f"{key}[{index}]"
            if not isinstance(value, str):
                self.problem(place, f"expected a string, got {_json_type(value)}")
                ok = False
            elif value not in options:
                self.problem(place, f'unknown {what} "{value}"')
                ok = False
            elif value in seen:
                self.problem(place, f'duplicate {what} "{value}"')
                ok = False
            else:
                seen.append(value)
        if ok and not least <= len(seen) <= (most or len(seen)):
            limit = f"{least}–{most}" if most else f"at least {least}"
            self.problem(key, f"expected {limit} {what}s, got {len(seen)}")
            ok = False
        return tuple(seen) if ok else None

    def day(self, key: str, *, nullable: bool = False) -> date | None:
        value = self._typed(key, str, "a date (YYYY-MM-DD)", nullable)
        if value is None:
            return None
        try:
            if not _DAY.fullmatch(value):
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            self.problem(key, f'not a date: "{value}" (expected YYYY-MM-DD)')
            return None

    def area(self, *, county_required: bool) -> tuple[str | None, str | None]:
        """County and municipality codes; the municipality must lie in the county."""
        county = self._typed("county", str, "a county code", nullable=not county_required)
        if county is not None and county not in reference.counties():
            self.problem("county", f'unknown county code "{county}"')
            county = None
        municipality = self._typed("municipality", str, "a municipality code", nullable=True)
        if municipality is None:
            return county, None
        found = reference.municipalities().get(municipality)
        if found is None:
            self.problem("municipality", f'unknown municipality code "{municipality}"')
        elif not county_required and "county" in self.raw and self.raw["county"] is None:
            self.problem(
                "municipality",
                f'municipality "{municipality}" given without a county (null means all of Sweden)',
            )
        elif county is not None and found.county_code != county:
            self.problem(
                "municipality",
                f'municipality "{municipality}" ({found.name}) is not in county "{county}"',
            )
        return county, municipality


def _records(document: dict, key: str, problems: list[str]) -> list[tuple[str, dict]]:
    items = document.get(key, [])
    if not isinstance(items, list):
        problems.append(f"{key}: expected an array, got {_json_type(items)}")
        return []
    records = []
    for index, item in enumerate(items):
        path = f"{key}[{index}]"
        if isinstance(item, dict):
            records.append((path, item))
        else:
            problems.append(f"{path}: expected an object, got {_json_type(item)}")
    return records


def _check_ref(record: _Record, seen: dict[str, str]) -> str | None:
    ref = record.text("ref", MAX_REF)
    if ref is None:
        return None
    if ref in seen:
        record.problem("ref", f'duplicate ref "{ref}" (also {seen[ref]})')
        return None
    seen[ref] = record.path
    return ref


def _check_organisation(
    path: str, raw: dict, problems: list[str], refs: dict[str, str], numbers: dict[str, str]
) -> _OrganisationRow | None:
    record = _Record(raw, path, ORGANISATION_KEYS, problems)
    ref = _check_ref(record, refs)
    name = record.text("name", MAX_NAME, one_line=True)
    sector = record.choice("sector", SECTORS, "sector")
    county, municipality = record.area(county_required=True)
    description = record.text("description", MAX_DESCRIPTION)
    challenges = record.slugs("challenges", _challenges(), "challenge", 1, None)
    website = record.text("website", MAX_WEBSITE, nullable=True, empty=True) or ""
    if website and not re.match(r"https?://[^\s/]+\.[^\s]+$", website):
        record.problem("website", f'not a web address: "{website}" (expected https://…)')
    email = record.text("email", 254, nullable=True, empty=True) or ""
    if email:
        try:
            email = validate_email(email, check_deliverability=False).normalized.lower()
        except EmailNotValidError as error:
            record.problem("email", f'not an e-mail address: "{email}" ({error})')
    org_number = None
    raw_number = record.text("org_number", 20, nullable=True)
    if raw_number is not None:
        org_number, reason = normalise_org_number(raw_number)
        if org_number is None:
            record.problem(
                "org_number", f'"{raw_number}" is not a valid organisationsnummer: {reason}'
            )
        elif org_number in numbers:
            record.problem("org_number", f'"{org_number}" is also given for {numbers[org_number]}')
            org_number = None
        else:
            numbers[org_number] = path
    legal_form = None
    label = record.text("form", 60, nullable=True)
    if label is not None:
        legal_form = resolve_legal_form(label)
        if legal_form is None:
            record.problem(
                "form", f'unknown legal form "{label}" (expected one of: {", ".join(FORM_LABELS)})'
            )
    domains = _check_domains(record)
    verified_via = None
    if record.raw.get("verified_via") is not None:
        verified_via = record.choice("verified_via", VERIFIED_VIA, "verification")
    body = names.reserved_body(name) if name else None
    verified_domain = None
    if verified_via == "domain":
        official = organisation_services.official_domains(body.code) if body else None
        usable = [d for d in domains or [] if official is None or d in official]
        if not usable:
            record.problem(
                "domains",
                'verified_via "domain" needs one of the organisation\'s domains'
                + (f" that is an official domain of {body.name}" if body else ""),
            )
        else:
            verified_domain = usable[0]
    if body is not None and verified_via is None:
        record.problem(
            "name",
            f'"{name}" is reserved for {body.name} ({body.code}): give verified_via '
            '("domain" with its domains, or "review")',
        )
    if not record.ok:
        return None
    sector_member = Sector(sector)
    values = {
        "name": name,
        "slug": organisation_services.slug(name),
        "sector": sector_member,
        "legal_form": legal_form or default_legal_form(sector_member, org_number, name),
        "org_number": org_number,
        "county_code": county,
        "municipality_code": municipality,
        "website": website,
        "email": email,
        "description": description,
        "search_terms": search_terms(name, description),
        "name_skeleton": names.skeleton(name),
        "domains": " ".join(domains or []),
        "public_body": body.code if body else None,
        "verified_via": verified_via,
        "verified_domain": verified_domain,
    }
    return _OrganisationRow(path, ref, values, tuple(sorted(challenges)))


def _check_domains(record: _Record) -> list[str] | None:
    """The optional `domains`: lower-case host names, no free-mail services, at most five."""
    values = record._typed("domains", list, "an array", nullable=True)
    if values is None:
        return []
    found: list[str] = []
    for index, value in enumerate(values):
        place = f"domains[{index}]"
        if not isinstance(value, str):
            record.problem(place, f"expected a string, got {_json_type(value)}")
            continue
        domain = value.strip().lower().rstrip(".")
        if not organisation_services.is_domain(domain):
            record.problem(place, f'not a domain: "{value}" (expected e.g. regionkalmar.se)')
        elif organisation_services.is_free_mail(domain):
            record.problem(place, f'"{domain}" is a free e-mail service and proves nothing')
        elif domain not in found:
            found.append(domain)
    if len(found) > MAX_DOMAINS:
        record.problem("domains", f"at most {MAX_DOMAINS} domains, got {len(found)}")
    return found


def _check_ad(path: str, raw: dict, problems: list[str], refs: dict[str, str]) -> _AdRow | None:
    record = _Record(raw, path, AD_KEYS, problems)
    ref = _check_ref(record, refs)
    organisation_ref = record.text("organisation", MAX_REF)
    kind = record.choice("kind", KINDS, "kind")
    title = record.text("title", MAX_TITLE, one_line=True)
    body = record.text("body", MAX_BODY)
    challenges = record.slugs("challenges", _challenges(), "challenge", 1, MAX_AD_CHALLENGES)
    county, municipality = record.area(county_required=False)
    seeking = record.slugs("seeking", SECTORS, "sector", 1, None)
    published = record.day("published")
    expires = record.day("expires", nullable=True)
    if published and expires and expires < published:
        record.problem(
            "expires", f"{expires.isoformat()} is before published ({published.isoformat()})"
        )
    elif published and expires and expires > published + MAX_LIFETIME:
        record.problem(
            "expires",
            f"{expires.isoformat()} is more than {MAX_LIFETIME.days} days after published "
            f"({published.isoformat()})",
        )
    crisis_id, expires = _check_crisis(record, county, published, expires)
    if not record.ok:
        return None
    values = {
        "crisis_id": crisis_id,
        "kind": AdKind(kind),
        "title": title,
        "slug": ad_services.slug(title),
        "body": body,
        "county_code": county,
        "municipality_code": municipality,
        "seeks_public": Sector.PUBLIC.value in seeking,
        "seeks_civil": Sector.CIVIL.value in seeking,
        "seeks_business": Sector.BUSINESS.value in seeking,
        "published_at": datetime.combine(published, time()),
        "expires_on": expires or published + DEFAULT_LIFETIME,
    }
    return _AdRow(path, ref, organisation_ref, values, tuple(sorted(challenges)))


def _check_crisis(
    record: _Record, county: str | None, published: date | None, expires: date | None
) -> tuple[int | None, date | None]:
    """An ad may name an active crisis covering its county ("crisis": "<slug>"); its last day is
    then cut to the crisis's end + 14 days, as when posting on the site."""
    slug = record.text("crisis", 80, nullable=True)
    if slug is None:
        return None, expires
    crisis = crisis_rules.crisis_by_slug(slug)
    problem = None
    if crisis is None:
        problem = f'unknown crisis "{slug}"'
    elif not crisis.is_active(today()):
        problem = f'the crisis "{slug}" is not active'
    elif not crisis.covers(county):
        problem = f'the crisis "{slug}" does not cover {"all of Sweden" if county is None else f"county {county}"}'
    if problem:
        record.problem("crisis", problem)
        return None, expires
    if published is None:
        return crisis.id, expires
    wanted = expires or published + DEFAULT_LIFETIME
    return crisis.id, crisis_rules.capped_expiry(crisis, wanted)[0]


def check_document(document: Any) -> tuple[list[_OrganisationRow], list[_AdRow], list[str]]:
    """Every problem the file has on its own (types, codes, lengths, refs within the file)."""
    problems: list[str] = []
    if not isinstance(document, dict):
        return [], [], [f"the file must hold a JSON object, not {_json_type(document)}"]
    for key in document:
        if key not in {"organisations", "ads"}:
            problems.append(f"{key}: unknown key (expected organisations and ads)")
    organisations: list[_OrganisationRow] = []
    org_refs: dict[str, str] = {}
    numbers: dict[str, str] = {}
    for path, raw in _records(document, "organisations", problems):
        row = _check_organisation(path, raw, problems, org_refs, numbers)
        if row:
            organisations.append(row)
    ads: list[_AdRow] = []
    ad_refs: dict[str, str] = {}
    for path, raw in _records(document, "ads", problems):
        row = _check_ad(path, raw, problems, ad_refs)
        if row:
            ads.append(row)
    return organisations, ads, problems


# ---------------------------------------------------------------------------------------------
# The database side


@dataclass
class _Existing:
    """What the database already holds for imported records, read once."""

    organisations: dict[str, dict[str, Any]]  # ref -> column values (+ "id")
    organisation_challenges: dict[int, tuple[str, ...]]
    ads: dict[str, dict[str, Any]]
    ad_challenges: dict[int, tuple[str, ...]]
    numbers: dict[str, tuple[int, str | None, str]]  # org_number -> (id, import_ref, name)


def _chunks(items: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _load_existing(organisations: list[_OrganisationRow]) -> _Existing:
    org_columns = [Organisation.id, Organisation.import_ref, Organisation.verified_at] + [
        getattr(Organisation, name) for name in _ORGANISATION_FIELDS
    ]
    existing_orgs = {
        row.import_ref: dict(row._mapping)
        for row in db.session.execute(
            sa.select(*org_columns).where(Organisation.import_ref.is_not(None))
        )
    }
    org_links: dict[int, list[str]] = defaultdict(list)
    for organisation_id, challenge in db.session.execute(
        sa.select(OrganisationChallenge.organisation_id, OrganisationChallenge.challenge)
        .join(Organisation)
        .where(Organisation.import_ref.is_not(None))
    ):
        org_links[organisation_id].append(challenge)
    ad_columns = [Ad.id, Ad.import_ref] + [getattr(Ad, name) for name in _AD_FIELDS]
    existing_ads = {
        row.import_ref: dict(row._mapping)
        for row in db.session.execute(sa.select(*ad_columns).where(Ad.import_ref.is_not(None)))
    }
    ad_links: dict[int, list[str]] = defaultdict(list)
    for ad_id, challenge in db.session.execute(
        sa.select(AdChallenge.ad_id, AdChallenge.challenge)
        .join(Ad)
        .where(Ad.import_ref.is_not(None))
    ):
        ad_links[ad_id].append(challenge)
    wanted_numbers = [row.values["org_number"] for row in organisations if row.values["org_number"]]
    numbers = {}
    for chunk in _chunks(wanted_numbers):
        for row in db.session.execute(
            sa.select(
                Organisation.org_number, Organisation.id, Organisation.import_ref, Organisation.name
            ).where(Organisation.org_number.in_(chunk))
        ):
            numbers[row.org_number] = (row.id, row.import_ref, row.name)
    return _Existing(
        organisations=existing_orgs,
        organisation_challenges={key: tuple(sorted(v)) for key, v in org_links.items()},
        ads=existing_ads,
        ad_challenges={key: tuple(sorted(v)) for key, v in ad_links.items()},
        numbers=numbers,
    )


def _check_against_database(
    organisations: list[_OrganisationRow], ads: list[_AdRow], existing: _Existing
) -> list[str]:
    problems = []
    bodies: dict[str, str] = {}  # public body -> the first record in the file holding it
    for row in organisations:
        number = row.values["org_number"]
        owner = existing.numbers.get(number) if number else None
        if owner and owner[1] != row.ref:
            problems.append(
                f'{row.path}.org_number: "{number}" already belongs to another organisation '
                f'("{owner[2]}", id {owner[0]})'
            )
        body = row.values["public_body"]
        if body is None:
            continue
        if body in bodies:
            problems.append(f"{row.path}.name: the same public body as {bodies[body]} ({body})")
            continue
        bodies[body] = row.path
        holder = db.session.execute(
            sa.select(Organisation.id, Organisation.import_ref, Organisation.name).where(
                Organisation.public_body == body
            )
        ).first()
        if holder is not None and holder.import_ref != row.ref:
            problems.append(
                f'{row.path}.name: {body} is already held by "{holder.name}" (id {holder.id})'
            )
    in_file = {row.ref for row in organisations}
    for row in ads:
        if (
            row.organisation_ref not in in_file
            and row.organisation_ref not in existing.organisations
        ):
            problems.append(
                f'{row.path}.organisation: unknown organisation ref "{row.organisation_ref}"'
            )
    return problems


def _differs(old: dict[str, Any], new: dict[str, Any], names: Sequence[str]) -> bool:
    return any(old[name] != new[name] for name in names)


def _insert(model, rows: list[dict[str, Any]], *, returning: bool = False):
    """Core executemany INSERT in large batches.

    Not the ORM's bulk insert: it splits the rows into a new statement whenever the set of NULL
    columns changes (county given or not, …), which makes 100,000 ads thousands of statements.
    """
    table = model.__table__
    statement = sa.insert(table)
    if returning:
        statement = statement.returning(table.c.id, table.c.import_ref)
    return db.session.execute(statement, rows)


def _update(model, rows: list[dict[str, Any]]) -> None:
    """Core executemany UPDATE … WHERE id = ?; every row has the same keys."""
    table = model.__table__
    keys = [key for key in rows[0] if key != "id"]
    statement = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("where_id"))
        .values({key: sa.bindparam(f"new_{key}") for key in keys})
    )
    db.session.execute(
        statement,
        [{"where_id": row["id"], **{f"new_{key}": row[key] for key in keys}} for row in rows],
    )


def _replace_links(model, key: str, links: dict[int, tuple[str, ...]], replace: list[int]) -> None:
    column = model.__table__.c[key]
    for chunk in _chunks(replace):
        db.session.execute(sa.delete(model.__table__).where(column.in_(chunk)))
    rows = [{key: owner, "challenge": slug} for owner, slugs in links.items() for slug in slugs]
    if rows:
        _insert(model, rows)


def _write_organisations(
    rows: list[_OrganisationRow], existing: _Existing, report: ImportReport, now: datetime
) -> tuple[dict[str, int], dict[int, str]]:
    """Upsert organisations; returns ref -> id for all imported ones and id -> name of renamed ones."""
    inserts, updates, links, relinked, renamed = [], [], {}, [], {}
    ids = {ref: values["id"] for ref, values in existing.organisations.items()}
    for row in rows:
        old = existing.organisations.get(row.ref)
        verified_at = now if row.values["verified_via"] else None
        if old is None:
            inserts.append(
                {
                    **row.values,
                    "import_ref": row.ref,
                    "created_at": now,
                    "updated_at": now,
                    "verified_at": verified_at,
                }
            )
            continue
        same_links = existing.organisation_challenges.get(old["id"], ()) == row.challenges
        if not _differs(old, row.values, _ORGANISATION_FIELDS) and same_links:
            report.organisations.unchanged += 1
            continue
        # A verification the file repeats keeps its date; a new or changed one starts now.
        same_verification = (old["verified_via"], old["verified_domain"]) == (
            row.values["verified_via"],
            row.values["verified_domain"],
        )
        kept = old["verified_at"] if same_verification else verified_at
        updates.append({"id": old["id"], **row.values, "updated_at": now, "verified_at": kept})
        if not same_links:
            relinked.append(old["id"])
            links[old["id"]] = row.challenges
        if old["name"] != row.values["name"]:
            renamed[old["id"]] = row.values["name"]
    if inserts:
        result = _insert(Organisation, inserts, returning=True)
        ids.update({ref: new_id for new_id, ref in result})
    by_ref = {row.ref: row for row in rows}
    for values in inserts:
        links[ids[values["import_ref"]]] = by_ref[values["import_ref"]].challenges
    if updates:
        _update(Organisation, updates)
        # Their ads' sector and name in the search engine (search/models.py).
        log_changes(db.session.connection(), organisations=[values["id"] for values in updates])
    _replace_links(OrganisationChallenge, "organisation_id", links, relinked)
    report.organisations.created += len(inserts)
    report.organisations.updated += len(updates)
    return ids, renamed


def _organisation_names(rows: list[_OrganisationRow], existing: _Existing) -> dict[str, str]:
    names = {ref: values["name"] for ref, values in existing.organisations.items()}
    names.update({row.ref: row.values["name"] for row in rows})
    return names


def _write_ads(
    rows: list[_AdRow],
    existing: _Existing,
    org_ids: dict[str, int],
    org_names: dict[str, str],
    report: ImportReport,
    now: datetime,
    written: search_index.BulkWrite,
    progress: Callable[[int], None] | None = None,
) -> None:
    told = progress or (lambda _count: None)
    inserts, updates, links, relinked = [], [], {}, []
    for number, row in enumerate(rows, 1):
        if number % 1000 == 0:
            told(1000)
        values = row.values
        values["organisation_id"] = org_ids[row.organisation_ref]
        values["search_terms"] = search_terms(
            values["title"], values["body"], org_names[row.organisation_ref]
        )
        old = existing.ads.get(row.ref)
        if old is None:
            inserts.append(
                {
                    **values,
                    "import_ref": row.ref,
                    "status": AdStatus.OPEN,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            continue
        same_links = existing.ad_challenges.get(old["id"], ()) == row.challenges
        if not _differs(old, values, _AD_FIELDS) and same_links:
            report.ads.unchanged += 1
            continue
        updates.append({"id": old["id"], **values, "updated_at": now})
        if not same_links:
            relinked.append(old["id"])
            links[old["id"]] = row.challenges
    told(len(rows) % 1000)
    told(len(rows) - len(inserts))  # unchanged and updated ads: written below at once
    if inserts:
        new_ids = {}
        for start in range(0, len(inserts), 5000):
            chunk = inserts[start : start + 5000]
            new_ids.update({ref: new_id for new_id, ref in _insert(Ad, chunk, returning=True)})
            told(len(chunk))
        written.inserted.extend(new_ids.values())
        for row in rows:
            if row.ref in new_ids:
                links[new_ids[row.ref]] = row.challenges
    if updates:
        _update(Ad, updates)
        written.updated.extend(values["id"] for values in updates)
    _replace_links(AdChallenge, "ad_id", links, relinked)
    report.ads.created += len(inserts)
    report.ads.updated += len(updates)


def _reindex_renamed(
    renamed: dict[int, str], imported_refs: set[str], written: search_index.BulkWrite
) -> None:
    """Ads not in the file still carry their organisation's name in their search terms."""
    if not renamed:
        return
    updates = []
    for chunk in _chunks(list(renamed)):
        for ad_id, ref, title, body, organisation_id in db.session.execute(
            sa.select(Ad.id, Ad.import_ref, Ad.title, Ad.body, Ad.organisation_id).where(
                Ad.organisation_id.in_(chunk)
            )
        ):
            if ref not in imported_refs:
                terms = search_terms(title, body, renamed[organisation_id])
                updates.append({"id": ad_id, "search_terms": terms})
    if updates:
        _update(Ad, updates)
        written.updated.extend(values["id"] for values in updates)


def import_data(
    document: Any, *, dry_run: bool = False, progress: Callable[[int], None] | None = None
) -> ImportReport:
    """Check the whole document, then create or update its organisations and ads in one commit.

    `progress(n)` is told of every n ads handled, twice over: once as they are prepared, once
    as they are written (a progress bar of twice the number of ads in the file).

    :raise ImportRejected: when anything is wrong; nothing has been written then.
    """
    # Outside a request (the CLI) the locale selector has no cookie to read: pin the default.
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        organisations, ads, problems = check_document(document)
    if problems:
        raise ImportRejected(problems)
    existing = _load_existing(organisations)
    problems = _check_against_database(organisations, ads, existing)
    if problems:
        raise ImportRejected(problems)
    report = ImportReport()
    now = utcnow()
    try:
        org_ids, renamed = _write_organisations(organisations, existing, report, now)
        # The ads' full-text index (SQLite) is written once for all of them at the end.
        with search_index.bulk_write(db.session.connection()) as written:
            names = _organisation_names(organisations, existing)
            _write_ads(ads, existing, org_ids, names, report, now, written, progress)
            _reindex_renamed(renamed, {row.ref for row in ads}, written)
    except sa.exc.IntegrityError as error:
        # Someone else wrote the same ref or org number since the checks: nothing is kept.
        db.session.rollback()
        raise ImportRejected(
            [
                f"the database changed while importing, nothing was imported; run it again ({error.orig})"
            ]
        ) from error
    except Exception:
        db.session.rollback()
        raise
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return report


def import_file(path: str | Path, *, dry_run: bool = False) -> ImportReport:
    """Read, check and import one file.

    :raise ImportRejected: invalid JSON or any problem in the data; nothing has been written.
    """
    return import_data(read_file(path), dry_run=dry_run)
