"""`flask import-data FILE.json`: whole-file validation, idempotent upsert by ref, clear problem lists."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from marketplace.ads.models import Ad, AdChallenge, AdKind, AdStatus
from marketplace.extensions import db
from marketplace.imports import services as imports
from marketplace.organisations.models import (
    LegalForm,
    Organisation,
    OrganisationChallenge,
    Sector,
)
from marketplace.search.text import index_terms
from tests import factories


def organisation(ref: str = "o01", **overrides) -> dict:
    return {
        "ref": ref,
        "name": "Region Kalmar län",
        "org_number": "232100-0073",
        "sector": "public",
        "county": "08",
        "municipality": None,
        "description": "Regionen ansvarar för hälso- och sjukvård och kollektivtrafik i länet.",
        "challenges": ["mental-health", "public-health"],
        "verified_via": "domain",  # a reserved name needs its verification (README, import)
        "domains": ["regionkalmar.se"],
        **overrides,
    }


def association(ref: str = "o02", **overrides) -> dict:
    return {
        "ref": ref,
        "name": "Läxhjälpen i Norrliden",
        "org_number": None,
        "sector": "civil",
        "form": "ideell förening",
        "county": "08",
        "municipality": "0880",
        "description": "Ideell förening som ger gratis läxhjälp till barn i Norrliden.",
        "challenges": ["education", "children-youth"],
        "website": "https://laxhjalpen.example.com",
        "email": "Styrelsen@Example.com",
        **overrides,
    }


def ad(ref: str = "a001", organisation: str = "o02", **overrides) -> dict:
    return {
        "ref": ref,
        "organisation": organisation,
        "kind": "need",
        "title": "Vi söker arabisktalande läxhjälpare",
        "body": "Till vår läxhjälp i Norrliden på tisdagar 17–19 söker vi två volontärer.",
        "challenges": ["education", "integration"],
        "county": "08",
        "municipality": "0880",
        "seeking": ["civil", "public"],
        "published": "2026-11-01",
        **overrides,
    }


def document(**overrides) -> dict:
    return {
        "organisations": [organisation(), association()],
        "ads": [
            ad(),
            ad(
                "a002",
                "o01",
                kind="offer",
                title="Region Kalmar län erbjuder lokaler för självhjälpsgrupper",
                body="Vi erbjuder lokaler och handledning för självhjälpsgrupper i hela länet.",
                challenges=["mental-health"],
                municipality=None,
                seeking=["civil"],
                published="2026-10-15",
                expires="2027-01-15",
            ),
            ad("a003", "o01", county=None, municipality=None, kind="idea"),
        ],
        **overrides,
    }


@pytest.fixture
def run(app, tmp_path):
    """Run `flask import-data` on a document (dict) or raw text; returns the click result."""
    runner = app.test_cli_runner()

    def invoke(content, *extra: str):
        path = tmp_path / "import.json"
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        path.write_text(text, encoding="utf-8")
        result = runner.invoke(args=["import-data", str(path), *extra])
        db.session.expire_all()
        return result

    return invoke


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def counts() -> tuple[int, ...]:
    return tuple(count(model) for model in (Organisation, OrganisationChallenge, Ad, AdChallenge))


def by_ref(model, ref: str):
    return db.session.scalar(sa.select(model).where(model.import_ref == ref))


def test_importing_a_file_creates_its_organisations_and_ads(run):
    result = run(document())

    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "organisations: 2 created, 0 updated, 0 unchanged; ads: 3 created, 0 updated, 0 unchanged"
    )
    region = by_ref(Organisation, "o01")
    assert region.name == "Region Kalmar län"
    assert region.org_number == "232100-0073"
    assert region.sector is Sector.PUBLIC and region.legal_form is LegalForm.REGION
    assert (region.county_code, region.municipality_code) == ("08", None)
    assert region.challenge_slugs == ["mental-health", "public-health"]
    assert region.search_terms == index_terms(region.name, region.description)
    association_ = by_ref(Organisation, "o02")
    assert association_.legal_form is LegalForm.NONPROFIT_ASSOCIATION
    assert association_.org_number is None
    assert association_.email == "styrelsen@example.com"
    assert association_.website == "https://laxhjalpen.example.com"
    assert association_.slug == "laxhjalpen-i-norrliden"

    need = by_ref(Ad, "a001")
    assert need.organisation is association_
    assert need.kind is AdKind.NEED and need.status is AdStatus.OPEN
    assert need.title == "Vi söker arabisktalande läxhjälpare"
    assert need.challenge_slugs == ["education", "integration"]
    assert (need.county_code, need.municipality_code) == ("08", "0880")
    assert need.seeking == [Sector.PUBLIC, Sector.CIVIL]
    assert need.published_at == datetime(2026, 11, 1)
    assert need.expires_on == date(2026, 11, 1) + timedelta(days=90)  # the default lifetime
    # title, body and the organisation's name are searchable
    assert need.search_terms == index_terms(need.title, need.body, association_.name)
    offer = by_ref(Ad, "a002")
    assert offer.kind is AdKind.OFFER and offer.expires_on == date(2027, 1, 15)
    assert offer.seeking == [Sector.CIVIL] and offer.municipality_code is None
    nationwide = by_ref(Ad, "a003")
    assert nationwide.county_code is None and nationwide.kind is AdKind.IDEA
    assert counts() == (2, 4, 3, 5)


def test_imported_ads_are_found_by_the_full_text_search(run, client):
    run(document(ads=[ad(published=date.today().isoformat())]))

    response = client.get("/api/v1/ads", query_string={"q": "läxhjälpare arabisktalande"})

    assert [item["ref"] for item in response.get_json()["items"]] == ["a001"]


def test_importing_the_same_file_twice_changes_nothing(run):
    run(document())
    before = counts()
    stamps = db.session.execute(sa.select(Ad.import_ref, Ad.updated_at)).all()
    org_stamps = db.session.execute(
        sa.select(Organisation.import_ref, Organisation.updated_at)
    ).all()

    result = run(document())

    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "organisations: 0 created, 0 updated, 2 unchanged; ads: 0 created, 0 updated, 3 unchanged"
    )
    assert counts() == before
    assert db.session.execute(sa.select(Ad.import_ref, Ad.updated_at)).all() == stamps
    assert (
        db.session.execute(sa.select(Organisation.import_ref, Organisation.updated_at)).all()
        == org_stamps
    )


def test_a_changed_record_with_a_known_ref_is_updated_in_place(run):
    run(document())
    changed = document()
    changed["organisations"][1]["name"] = "Läxhjälpen Kalmar"
    changed["ads"][0]["title"] = "Vi söker läxhjälpare som talar somaliska"
    changed["ads"][0]["challenges"] = ["education"]
    changed["ads"][0]["expires"] = "2026-12-24"
    before = counts()

    result = run(changed)

    assert result.exit_code == 0, result.output
    # a001's own text changed; a002/a003 belong to the unchanged region
    assert result.output.strip() == (
        "organisations: 0 created, 1 updated, 1 unchanged; ads: 0 created, 1 updated, 2 unchanged"
    )
    need = by_ref(Ad, "a001")
    assert need.title == "Vi söker läxhjälpare som talar somaliska"
    assert need.slug == "vi-soker-laxhjalpare-som-talar-somaliska"
    assert need.challenge_slugs == ["education"]
    assert need.expires_on == date(2026, 12, 24)
    assert need.search_terms == index_terms(need.title, need.body, "Läxhjälpen Kalmar")
    assert by_ref(Organisation, "o02").name == "Läxhjälpen Kalmar"
    assert counts() == (before[0], before[1], before[2], before[3] - 1)


def test_renaming_an_organisation_refreshes_the_search_terms_of_all_its_ads(run):
    run(document())
    renamed = {"organisations": [association(name="Norrlidens Studiecirkel")]}

    result = run(renamed)

    assert "organisations: 0 created, 1 updated, 0 unchanged" in result.output
    need = by_ref(Ad, "a001")
    assert need.search_terms == index_terms(need.title, need.body, "Norrlidens Studiecirkel")


def test_ads_may_refer_to_an_organisation_imported_earlier(run):
    run(document())

    result = run({"ads": [ad("a100", "o01", title="Ny annons från regionen")]})

    assert result.exit_code == 0, result.output
    assert by_ref(Ad, "a100").organisation.import_ref == "o01"


def test_a_dry_run_reports_the_changes_but_writes_nothing(run):
    result = run(document(), "--dry-run")

    assert result.exit_code == 0, result.output
    assert "organisations: 2 created" in result.output and "dry run" in result.output
    assert counts() == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("kooperativ", LegalForm.COOPERATIVE),
        ("ekonomisk förening", LegalForm.COOPERATIVE),
        ("stiftelse", LegalForm.FOUNDATION),
        ("Trossamfund", LegalForm.FAITH_COMMUNITY),
        ("länsstyrelse", LegalForm.STATE_AGENCY),
        ("statlig myndighet", LegalForm.STATE_AGENCY),
        ("kommun", LegalForm.MUNICIPALITY),
        ("aktiebolag", LegalForm.LIMITED_COMPANY),
        ("annan", LegalForm.OTHER),
        ("ideell-forening", LegalForm.NONPROFIT_ASSOCIATION),  # the API's value works too
    ],
)
def test_the_swedish_legal_form_labels_map_to_legal_forms(run, label, expected):
    run({"organisations": [association(form=label)]})

    assert by_ref(Organisation, "o02").legal_form is expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {
                "name": "Kalmar kommun",
                "org_number": "212000-0746",
                "sector": "public",
                "verified_via": "review",
            },
            "kommun",
        ),
        (
            {"name": "Länsstyrelsen i Kalmar län", "sector": "public", "verified_via": "review"},
            "statlig-myndighet",
        ),
        ({"name": "Samhall AB", "org_number": "556448-1397", "sector": "business"}, "aktiebolag"),
        ({"name": "Svenska kyrkan", "org_number": "252002-6135", "sector": "civil"}, "trossamfund"),
        (
            {"name": "Röda Korset", "org_number": "802002-8711", "sector": "civil"},
            "ideell-forening",
        ),
        ({"name": "Stiftelsen Solrosen", "sector": "civil"}, "stiftelse"),
        (
            {"name": "Lantmännen", "org_number": "769605-2856", "sector": "civil"},
            "ekonomisk-forening",
        ),
    ],
)
def test_without_a_form_the_legal_form_follows_sector_number_and_name(run, values, expected):
    record = association(**{"org_number": None, **values})
    del record["form"]

    result = run({"organisations": [record]})

    assert result.exit_code == 0, result.output
    assert by_ref(Organisation, "o02").legal_form.value == expected


def _set(path: str, value):
    """A change to the sample document: 'ads.0.county' = '99'; value DELETE removes the key."""

    def change(doc: dict) -> None:
        *parents, last = path.split(".")
        target = doc
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is DELETE:
            del target[int(last) if last.isdigit() else last]
        else:
            target[int(last) if last.isdigit() else last] = value

    return change


DELETE = object()

PROBLEMS = [
    ("ads.0.county", "99", 'ads[0].county: unknown county code "99"'),
    (
        "ads.0.municipality",
        "1280",
        'ads[0].municipality: municipality "1280" (Malmö) is not in county "08"',
    ),
    ("ads.0.municipality", "9999", 'ads[0].municipality: unknown municipality code "9999"'),
    (
        "ads.2.municipality",
        "0880",
        'ads[2].municipality: municipality "0880" given without a county (null means all of Sweden)',
    ),
    (
        "organisations.1.municipality",
        "0180",
        'organisations[1].municipality: municipality "0180" (Stockholm) is not in county "08"',
    ),
    ("organisations.1.county", None, "organisations[1].county: expected a county code, got null"),
    (
        "organisations.0.org_number",
        "232100-0041",
        'organisations[0].org_number: "232100-0041" is not a valid organisationsnummer: wrong check digit',
    ),
    (
        "organisations.0.org_number",
        "551900-1233",
        'organisations[0].org_number: "551900-1233" is not a valid organisationsnummer: the third digit is 0 or 1 (a personnummer)',
    ),
    (
        "organisations.0.org_number",
        "12345",
        'organisations[0].org_number: "12345" is not a valid organisationsnummer: expected 10 digits, NNNNNN-NNNN',
    ),
    (
        "organisations.1.org_number",
        "232100-0073",
        'organisations[1].org_number: "232100-0073" is also given for organisations[0]',
    ),
    ("ads.0.challenges.1", "nope", 'ads[0].challenges[1]: unknown challenge "nope"'),
    ("ads.0.challenges", [], "ads[0].challenges: expected 1–3 challenges, got 0"),
    (
        "ads.0.challenges",
        ["education", "integration", "culture", "safety"],
        "ads[0].challenges: expected 1–3 challenges, got 4",
    ),
    (
        "ads.0.challenges",
        ["education", "education"],
        'ads[0].challenges[1]: duplicate challenge "education"',
    ),
    ("ads.0.challenges", "education", "ads[0].challenges: expected an array, got string"),
    (
        "organisations.0.challenges",
        [],
        "organisations[0].challenges: expected at least 1 challenges, got 0",
    ),
    (
        "organisations.0.challenges.0",
        "nope",
        'organisations[0].challenges[0]: unknown challenge "nope"',
    ),
    ("ads.0.organisation", "o99", 'ads[0].organisation: unknown organisation ref "o99"'),
    (
        "organisations.1.ref",
        "o01",
        'organisations[1].ref: duplicate ref "o01" (also organisations[0])',
    ),
    ("ads.1.ref", "a001", 'ads[1].ref: duplicate ref "a001" (also ads[0])'),
    ("ads.0.title", "x" * 121, "ads[0].title: too long: 121 characters (at most 120)"),
    ("ads.0.title", "   ", "ads[0].title: must not be empty"),
    ("ads.0.body", "y" * 5001, "ads[0].body: too long: 5001 characters (at most 5000)"),
    (
        "ads.0.published",
        "2026-13-01",
        'ads[0].published: not a date: "2026-13-01" (expected YYYY-MM-DD)',
    ),
    (
        "ads.0.published",
        "1/11/2026",
        'ads[0].published: not a date: "1/11/2026" (expected YYYY-MM-DD)',
    ),
    ("ads.0.expires", "2026-10-31", "ads[0].expires: 2026-10-31 is before published (2026-11-01)"),
    (
        "ads.0.expires",
        "2028-01-01",
        "ads[0].expires: 2028-01-01 is more than 365 days after published (2026-11-01)",
    ),
    (
        "ads.0.kind",
        "offers",
        'ads[0].kind: unknown kind "offers" (expected one of: need, offer, idea)',
    ),
    ("ads.0.seeking", ["public", "press"], 'ads[0].seeking[1]: unknown sector "press"'),
    ("ads.0.seeking", [], "ads[0].seeking: expected at least 1 sectors, got 0"),
    (
        "organisations.0.sector",
        "private",
        'organisations[0].sector: unknown sector "private" (expected one of: public, civil, business)',
    ),
    (
        "organisations.1.form",
        "handelsbolag",
        'organisations[1].form: unknown legal form "handelsbolag" (expected one of: ideell förening, ekonomisk förening, kooperativ, stiftelse, trossamfund, region, kommun, statlig myndighet, länsstyrelse, aktiebolag, annan)',
    ),
    (
        "organisations.1.email",
        "inte-en-adress",
        'organisations[1].email: not an e-mail address: "inte-en-adress"',
    ),
    (
        "organisations.1.website",
        "laxhjalpen.se",
        'organisations[1].website: not a web address: "laxhjalpen.se" (expected https://…)',
    ),
    ("ads.0.title", 5, "ads[0].title: expected a string, got number"),
    ("ads.0.county", True, "ads[0].county: expected a county code, got boolean"),
    ("ads.0.ref", None, "ads[0].ref: expected a string, got null"),
    ("organisations.0.name", ["Region"], "organisations[0].name: expected a string, got array"),
    ("ads.0.kind", DELETE, "ads[0].kind: missing required key"),
    ("ads.0.county", DELETE, "ads[0].county: missing required key"),
    ("organisations.0.description", DELETE, "organisations[0].description: missing required key"),
    ("ads.0.colour", "blue", "ads[0].colour: unknown key"),
    ("ads.1", "an ad", "ads[1]: expected an object, got string"),
    ("ads", {"a001": {}}, "ads: expected an array, got object"),
    ("advertisements", [], "advertisements: unknown key (expected organisations and ads)"),
]


@pytest.mark.parametrize(
    ("path", "value", "problem"), PROBLEMS, ids=[problem for _p, _v, problem in PROBLEMS]
)
def test_a_file_with_a_problem_is_rejected_with_its_place_and_nothing_is_written(
    run, path, value, problem
):
    broken = copy.deepcopy(document())
    _set(path, value)(broken)

    result = run(broken)

    assert result.exit_code != 0
    lines = result.output.splitlines()
    assert any(line.startswith(problem) for line in lines), result.output
    assert "nothing was imported" in lines[-1]
    assert counts() == (0, 0, 0, 0)


def test_every_problem_in_the_file_is_listed_at_once(run):
    broken = document()
    broken["organisations"][0]["county"] = "99"
    broken["ads"][0]["title"] = "x" * 200
    broken["ads"][2]["challenges"] = ["nope"]

    result = run(broken)

    assert result.exit_code != 0
    problems = [line for line in result.output.splitlines() if not line.startswith("Error")]
    assert problems == [
        'organisations[0].county: unknown county code "99"',
        "ads[0].title: too long: 200 characters (at most 120)",
        'ads[2].challenges[0]: unknown challenge "nope"',
    ]
    assert "Error: 3 problem(s)" in result.output


def test_an_org_number_that_belongs_to_another_organisation_is_rejected(run):
    taken = factories.organisation(name="Region Kalmar", org_number="232100-0073")

    result = run(document())

    assert result.exit_code != 0
    assert (
        'organisations[0].org_number: "232100-0073" already belongs to another organisation '
        f'("Region Kalmar", id {taken.id})'
    ) in result.output
    assert counts()[2] == 0


def test_updating_a_record_may_keep_its_own_org_number(run):
    run(document())
    changed = document()
    changed["organisations"][0]["description"] = "Ny beskrivning av regionen."

    result = run(changed)

    assert result.exit_code == 0, result.output
    assert "organisations: 0 created, 1 updated" in result.output


def test_invalid_json_is_reported_with_line_and_column(run):
    result = run('{\n  "organisations": [\n    {"ref": "o01",, }\n  ]\n}')

    assert result.exit_code != 0
    assert result.output.startswith("invalid JSON at line 3, column 19:")
    assert counts() == (0, 0, 0, 0)


def test_a_document_that_is_not_an_object_is_rejected(run):
    result = run("[]")

    assert result.exit_code != 0
    assert "the file must hold a JSON object, not array" in result.output


def test_a_missing_file_is_an_error(app):
    result = app.test_cli_runner().invoke(args=["import-data", "/nonexistent/import.json"])

    assert result.exit_code != 0
    assert "does not exist" in result.output


def test_the_import_does_not_query_the_database_once_per_record(app):
    """Bulk statements: importing 300 ads takes as many statements as importing 3."""

    def statements_for(number: int) -> int:
        doc = {
            "organisations": [association(ref=f"org-{number}")],
            "ads": [ad(f"ad-{number}-{i}", f"org-{number}") for i in range(number)],
        }
        seen: list[str] = []

        def count_statement(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", count_statement)
        try:
            imports.import_data(doc)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count_statement)
        return len(seen)

    assert statements_for(300) == statements_for(3)
    assert count(Ad) == 303


def test_the_fast_search_terms_of_the_import_equal_the_search_index_terms():
    demo = json.loads(Path("marketplace/demo_data/demo.json").read_text(encoding="utf-8"))
    texts = [(ad["title"], ad["body"], "Läxhjälpen Norrliden") for ad in demo["ads"]]
    texts += [(org["name"], org["description"]) for org in demo["organisations"]]
    texts += [
        ("Spra\u030akcafe\u0301 i Malmö", "NFD-text från en Mac", None),
        ("ﬁka²\u00a0och\u2003kaffe", "İstanbul_Göteborg – «citat» 🙂x", ""),
        ("ohälsan ohälsa", "a" * 80, "x-y.z,å"),
    ]
    for parts in texts:
        assert imports.search_terms(*parts) == index_terms(*parts), parts


def sqlite_index() -> tuple[set[str], list[tuple[int, str]], list[tuple[int, str]]]:
    """SQLite's full-text triggers, fts_ad's rows and the ads' search terms, to compare."""
    triggers = set(
        db.session.scalars(
            sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'ad'")
        )
    )
    indexed = db.session.execute(sa.text("SELECT rowid, terms FROM fts_ad ORDER BY rowid")).all()
    ads = db.session.execute(sa.select(Ad.id, Ad.search_terms).order_by(Ad.id)).all()
    return triggers, [tuple(row) for row in indexed], [tuple(row) for row in ads]


FTS_TRIGGERS = {"fts_ad_after_insert", "fts_ad_after_update", "fts_ad_after_delete"}


@pytest.fixture
def sqlite_only(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the FTS5 table and its triggers are SQLite's")


def test_the_sqlite_index_holds_what_the_import_creates_updates_and_renames(run, sqlite_only):
    run(document())
    changed = document()
    changed["organisations"][1]["name"] = "Läxhjälpen Kalmar"  # a001's terms hold the name
    changed["ads"][1]["body"] = "Lokaler för samtalsgrupper om psykisk ohälsa."
    changed["ads"].append(ad("a004", title="Cykelverkstad för nyanlända"))

    result = run(changed)

    assert "ads: 1 created, 2 updated, 1 unchanged" in result.output
    triggers, indexed, ads = sqlite_index()
    assert triggers == FTS_TRIGGERS
    assert indexed == ads and len(ads) == 4
    # The triggers work again afterwards: an ad written outside the import is indexed.
    factories.ad(title="Snickarglädje i Kalmar")
    db.session.commit()
    assert sqlite_index()[1] == sqlite_index()[2]


@pytest.mark.parametrize("first_import", [True, False])
def test_a_failed_import_writes_nothing_and_leaves_the_sqlite_index_as_it_was(
    app, run, sqlite_only, monkeypatch, first_import
):
    # Without organisations in the file, dropping the triggers is the transaction's first
    # statement: it must not be committed on its own.
    if not first_import:
        run(document())
    before, index_before = counts(), sqlite_index()
    doc = document() if first_import else {"ads": [ad("a100", "o01"), ad("a001", title="Ny")]}

    replace_links = imports._replace_links

    def fail_on_ads(model, *args):
        if model is AdChallenge:  # after the ads are written, inside the indexing block
            raise RuntimeError("disk full")
        replace_links(model, *args)

    monkeypatch.setattr(imports, "_replace_links", fail_on_ads)
    with pytest.raises(RuntimeError):
        imports.import_data(doc)

    db.session.expire_all()
    assert counts() == before
    assert sqlite_index() == index_before
    assert index_before[0] == FTS_TRIGGERS


def test_a_dry_run_leaves_the_sqlite_index_as_it_was(run, sqlite_only):
    run(document())
    before = sqlite_index()

    result = run({"ads": [ad("a100", "o01"), ad("a001", title="Ny rubrik")]}, "--dry-run")

    assert "ads: 1 created, 1 updated" in result.output
    assert sqlite_index() == before and before[0] == FTS_TRIGGERS


# --- Verification and reserved names ------------------------------------------------------------


def test_a_reserved_name_needs_verified_via_and_an_official_domain_for_domain(run):
    unverified = organisation()
    del unverified["verified_via"]
    result = run({"organisations": [unverified]})
    assert result.exit_code == 1
    assert '"Region Kalmar län" is reserved for Region Kalmar län (region-08)' in result.output
    wrong = run({"organisations": [organisation(domains=["kalmar-region.example.org"])]})
    assert wrong.exit_code == 1 and "official domain of Region Kalmar län" in wrong.output
    free = run({"organisations": [association(domains=["gmail.com"])]})
    assert free.exit_code == 1 and '"gmail.com" is a free e-mail service' in free.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0


def test_imported_verification_shows_how_and_keeps_its_date_when_repeated(run, client):
    assert (
        run({"organisations": [organisation(), association(verified_via="review")]}).exit_code == 0
    )
    region = by_ref(Organisation, "o01")
    assert (region.verified_via, region.verified_domain, region.public_body) == (
        "domain",
        "regionkalmar.se",
        "region-08",
    )
    first = region.verified_at
    assert first is not None and by_ref(Organisation, "o02").verified_via == "review"
    assert run({"organisations": [organisation(), association()]}).exit_code == 0
    db.session.expire_all()
    assert by_ref(Organisation, "o01").verified_at == first
    assert by_ref(Organisation, "o02").verified_at is None  # the file no longer says verified
    page = client.get("/organisationer/").get_data(as_text=True)
    assert "Verifierad via e-postdomän regionkalmar.se" in page
