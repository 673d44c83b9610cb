"""The public directory of organisations: filters, Swedish free text, htmx updates, pages."""

import re

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.organisations.models import LegalForm, Sector
from tests import factories
from tests.conftest import BOOSTED, HTMX


def names(html: str) -> list[str]:
    """Organisation names in the order the results list shows them."""
    return re.findall(r'<h3><a href="/organisationer/\d+-[^"]*">([^<]+)</a>', html)


def search(client, **params) -> list[str]:
    response = client.get("/organisationer/", query_string=params)
    assert response.status_code == 200
    return names(response.get_data(as_text=True))


@pytest.fixture
def directory(app):
    factories.organisation(
        name="Föreningen Språkvänner",
        description="Vi ordnar språkcafé och läxhjälp i Malmö.",
        county_code="12",
        municipality_code="1280",
        challenges=("integration", "education"),
    )
    factories.organisation(
        name="Region Kalmar län",
        sector=Sector.PUBLIC,
        legal_form=LegalForm.REGION,
        description="Hälso- och sjukvård och regional utveckling.",
        county_code="08",
        municipality_code=None,
        challenges=("public-health",),
    )
    factories.organisation(
        name="arbetsintegrerande kooperativet",
        sector=Sector.BUSINESS,
        legal_form=LegalForm.COOPERATIVE,
        description="Jobb och praktik för personer långt från arbetsmarknaden.",
        county_code="08",
        municipality_code="0880",
        challenges=("employment", "social-enterprise"),
    )


def test_the_directory_lists_everyone_by_name_regardless_of_case(client, directory):
    response = client.get("/organisationer/")
    html = response.get_data(as_text=True)
    assert names(html) == [
        "arbetsintegrerande kooperativet",
        "Föreningen Språkvänner",
        "Region Kalmar län",
    ]
    assert "3 organisationer" in html
    assert '<section id="results" aria-live="polite"' in html and html.count("<h1") == 1


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"sector": "public"}, ["Region Kalmar län"]),
        ({"county": "08"}, ["arbetsintegrerande kooperativet", "Region Kalmar län"]),
        ({"municipality": "1280"}, ["Föreningen Språkvänner"]),
        ({"challenge": "employment"}, ["arbetsintegrerande kooperativet"]),
        ({"county": "08", "sector": "civil"}, []),
    ],
)
def test_filters_narrow_the_list(client, directory, params, expected):
    assert search(client, **params) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("förening", ["Föreningen Språkvänner"]),
        ("sprakcafe", ["Föreningen Språkvänner"]),  # typed without accents, in the description
        ("språkcaféet", []),  # a different word, not a prefix of anything indexed
        ("språk", ["Föreningen Språkvänner"]),  # the last word matches as a prefix while typing
        ("läxhjälp malmö", ["Föreningen Språkvänner"]),
        ("läxhjälp kalmar", []),  # every word must match
        ("jobb praktik", ["arbetsintegrerande kooperativet"]),
        ("SJUKVÅRD", ["Region Kalmar län"]),
    ],
)
def test_free_text_understands_swedish(client, directory, q, expected):
    assert search(client, q=q) == expected


@pytest.mark.parametrize("q", ["%", "_", "a%b", "\\", '"; DROP TABLE organisation; --', "🙂", " "])
def test_odd_search_text_never_breaks_the_page(client, directory, q):
    response = client.get("/organisationer/", query_string={"q": q})
    assert response.status_code == 200


def test_wildcards_are_taken_literally(client, directory):
    assert search(client, q="%") == search(client)  # no words: no text filter
    assert search(client, q="s%k") == []


@pytest.mark.parametrize(
    "params",
    [
        {"sector": "kyrka"},
        {"county": "99"},
        {"municipality": "x"},
        {"challenge": "nope"},
        {"page": "-3"},
    ],
)
def test_unknown_filter_values_in_a_hand_edited_url_are_ignored(client, directory, params):
    assert len(search(client, **params)) == 3


def test_an_htmx_search_returns_only_the_results_section(client, directory):
    response = client.get("/organisationer/?q=region", headers=HTMX)
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="results" aria-live="polite"')
    assert "<html" not in html and "<form" not in html
    assert names(html) == ["Region Kalmar län"] and "1 organisation" in html
    assert "HX-Request" in response.headers["Vary"]


def test_boosted_navigation_gets_the_whole_directory_page(client, directory):
    html = client.get("/organisationer/?q=region", headers=BOOSTED).get_data(as_text=True)
    assert "<html" in html and 'value="region"' in html


def test_the_filter_form_is_a_shareable_get_form_that_htmx_updates_live(client, directory):
    html = client.get("/organisationer/?sector=civil&q=spr").get_data(as_text=True)
    form = re.search(r'<form class="filters"[^>]*>', html).group(0)
    assert 'method="get"' in form and 'data-hx-get="/organisationer/"' in form
    assert 'data-hx-trigger="input changed delay:300ms, change"' in form
    assert 'data-hx-target="#results"' in form and 'data-hx-swap="outerHTML"' in form
    assert 'data-hx-push-url="true"' in form
    assert 'value="spr"' in html and '<option selected value="civil">' in html
    assert "csrf_token" not in form


def test_results_come_in_pages_of_twenty(client):
    for number in range(25):
        factories.organisation(name=f"Förening {number:02d}")
    first = client.get("/organisationer/").get_data(as_text=True)
    assert "25 organisationer" in first and len(names(first)) == 20
    assert 'rel="next"' in first
    second = client.get("/organisationer/?page=2").get_data(as_text=True)
    assert names(second) == [f"Förening {n}" for n in range(20, 25)]
    assert client.get("/organisationer/?page=99").status_code == 200
    assert client.get("/organisationer/?page=99999999999999999999999").status_code == 200


def test_the_list_loads_challenges_without_one_query_per_organisation(app, client):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    def queries_for_listing() -> int:
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            client.get("/organisationer/")
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    factories.organisation()
    few = queries_for_listing()
    for _ in range(10):
        factories.organisation(challenges=("integration", "culture"))
    assert queries_for_listing() == few
