"""/statistik, its CSV and the county pages' figures, for a small data set whose numbers we know."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from datetime import datetime, timedelta

import pytest

from marketplace import reference
from marketplace.ads.models import AdKind, AdStatus
from marketplace.clock import today, utcnow
from marketplace.contact.models import Conversation
from marketplace.extensions import db
from marketplace.insights import charts, outcomes, statistics
from marketplace.insights.models import CollaborationForm, Outcome
from marketplace.matching.models import MatchNotice
from tests import factories
from tests.conftest import HTMX


def month_start(months_ago: int) -> datetime:
    """Noon on the 10th of the month `months_ago` months before this one (UTC, as stored)."""
    first = statistics.period_months(months_ago + 1)[0]
    return datetime(first.year, first.month, 10, 12)


@pytest.fixture
def figures(app):
    """Kalmar (08) and Stockholm (01) organisations, their ads, matches, contacts and outcomes.

    Open now: in Kalmar two needs (integration+education, integration) and an offer (mental
    health); in Stockholm an offer and an idea (integration); one need for all of Sweden
    (elderly). Closed and expired ads are not open. Published: 4 this month, 2 two months ago,
    1 fourteen months ago. Matches: 2 this month (one with a Kalmar ad), 1 last month.
    Contacts: 1 this month (Kalmar ad), 1 three months ago (Stockholm ad). Outcomes: 2 this
    month in Kalmar (IOP, no collaboration), 1 last month in Stockholm (project).
    """
    kalmar = factories.organisation(name="Kalmar Språkcafé", county_code="08")
    stockholm = factories.organisation(
        name="Stockholms Stadsmission", county_code="01", municipality_code="0180"
    )
    now, two_ago, long_ago = month_start(0), month_start(2), month_start(14)
    k1 = factories.ad(
        org=kalmar, kind=AdKind.NEED, challenges=("integration", "education"), published_at=now
    )
    k2 = factories.ad(org=kalmar, kind=AdKind.NEED, challenges=("integration",), published_at=now)
    k3 = factories.ad(
        org=kalmar, kind=AdKind.OFFER, challenges=("mental-health",), published_at=two_ago
    )
    s1 = factories.ad(
        org=stockholm, kind=AdKind.OFFER, challenges=("integration",), published_at=now
    )
    s2 = factories.ad(
        org=stockholm, kind=AdKind.IDEA, challenges=("integration",), published_at=two_ago
    )
    factories.ad(
        org=stockholm, kind=AdKind.NEED, county_code=None, challenges=("elderly",), published_at=now
    )
    closed = factories.ad(
        org=kalmar,
        challenges=("integration",),
        status=AdStatus.PARTNER_FOUND,
        closed_at=utcnow(),
        published_at=long_ago,
    )
    factories.ad(
        org=kalmar,
        challenges=("integration",),
        expires_on=today() - timedelta(days=2),
        published_at=long_ago.replace(year=long_ago.year - 1),
    )
    db.session.add_all(
        [
            MatchNotice(ad_id=k1.id, matched_ad_id=s1.id, score=0.8, created_at=now),
            MatchNotice(ad_id=s2.id, matched_ad_id=s1.id, score=0.7, created_at=now),
            MatchNotice(ad_id=s1.id, matched_ad_id=s2.id, score=0.6, created_at=month_start(1)),
            Conversation(
                ad_id=k3.id,
                ad_title=k3.title,
                ad_organisation_id=kalmar.id,
                interested_organisation_id=stockholm.id,
                created_at=now,
                last_message_at=now,
            ),
            Conversation(
                ad_id=s1.id,
                ad_title=s1.title,
                ad_organisation_id=stockholm.id,
                interested_organisation_id=kalmar.id,
                created_at=month_start(3),
                last_message_at=month_start(3),
            ),
            Outcome(
                ad_id=closed.id,
                organisation_id=kalmar.id,
                collaborated=True,
                form=CollaborationForm.IOP,
                partner_name="Kalmar kommun",
                county_code="08",
                reported_at=now,
            ),
            Outcome(
                ad_id=k2.id,
                organisation_id=kalmar.id,
                collaborated=False,
                county_code="08",
                reported_at=now,
            ),
            Outcome(
                ad_id=s2.id,
                organisation_id=stockholm.id,
                collaborated=True,
                form=CollaborationForm.PROJECT,
                partner_name="Stockholms stad",
                county_code="01",
                reported_at=month_start(1),
            ),
        ]
    )
    db.session.commit()
    return {"kalmar": kalmar, "stockholm": stockholm}


def csv_counts(client, **params) -> dict[tuple[str, str, str], int]:
    """The CSV as {(section, code, series): count}."""
    response = client.get("/statistik.csv", query_string=params)
    assert response.status_code == 200
    rows = list(
        csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
    )
    assert rows[0] == ["Avsnitt", "Kod", "Namn", "Serie", "Antal"]
    return {(section, code, series): int(count) for section, code, _name, series, count in rows[1:]}


CHALLENGES = "Öppna annonser per samhällsutmaning"
COUNTIES = "Öppna annonser per län"
MONTHS = "Per månad"
FORMS = "Rapporterade resultat per samverkansform"


def key_figure(html: str, label: str) -> str:
    match = re.search(rf"<dt>{label}</dt><dd>([^<]+)", html)
    assert match, label
    return match.group(1).strip()


# The numbers


def test_open_needs_and_offers_are_counted_per_challenge_and_county(client, figures):
    counts = csv_counts(client)
    assert counts[(CHALLENGES, "integration", "Söker")] == 2
    assert counts[(CHALLENGES, "integration", "Erbjuder")] == 1
    assert counts[(CHALLENGES, "education", "Söker")] == 1
    assert counts[(CHALLENGES, "mental-health", "Erbjuder")] == 1
    assert counts[(CHALLENGES, "elderly", "Söker")] == 1
    assert counts[(CHALLENGES, "culture", "Söker")] == 0
    assert counts[(COUNTIES, "08", "Söker")] == 2 and counts[(COUNTIES, "08", "Erbjuder")] == 1
    assert counts[(COUNTIES, "01", "Söker")] == 0 and counts[(COUNTIES, "01", "Erbjuder")] == 1
    assert counts[(COUNTIES, "", "Söker")] == 1  # all of Sweden
    assert counts[(COUNTIES, "25", "Söker")] == 0

    html = client.get("/statistik").get_data(as_text=True)
    assert key_figure(html, "Öppna behov") == "3" and key_figure(html, "Öppna erbjudanden") == "2"
    assert re.search(
        r'<a href="/utmaningar/integration">Integration och etablering</a></th><td class="number">2</td><td class="number">1</td>',
        html,
    )
    assert re.search(
        r'<a href="/lan/08">Kalmar län</a></th><td class="number">2</td><td class="number">1</td><td class="number">3</td>',
        html,
    )


def test_activity_is_counted_per_month(client, figures):
    counts = csv_counts(client)
    this, last, two_ago, three_ago = (
        statistics.month_key(m) for m in statistics.period_months(4)[::-1]
    )
    assert counts[(MONTHS, this, "Nya annonser: Söker")] == 3
    assert counts[(MONTHS, this, "Nya annonser: Erbjuder")] == 1
    assert counts[(MONTHS, two_ago, "Nya annonser: Erbjuder")] == 1
    assert counts[(MONTHS, two_ago, "Nya annonser: Idé")] == 1
    assert counts[(MONTHS, this, "Föreslagna matchningar")] == 2
    assert counts[(MONTHS, last, "Föreslagna matchningar")] == 1
    assert (
        counts[(MONTHS, this, "Kontakter")] == 1 and counts[(MONTHS, three_ago, "Kontakter")] == 1
    )
    assert counts[(MONTHS, this, "Rapporterade resultat")] == 2
    assert counts[(MONTHS, last, "Rapporterade resultat")] == 1
    assert counts[(FORMS, "iop", "Resultat")] == 1 and counts[(FORMS, "project", "Resultat")] == 1
    assert counts[(FORMS, "none", "Resultat")] == 1 and counts[(FORMS, "grant", "Resultat")] == 0
    months = {code for section, code, _series in counts if section == MONTHS}
    assert len(months) == 12 and this in months

    html = client.get("/statistik").get_data(as_text=True)
    assert key_figure(html, "Nya annonser") == "6"  # the 14-month-old ads are outside 12 months
    assert key_figure(html, "Föreslagna matchningar") == "3"
    assert key_figure(html, "Kontakter") == "2"
    assert key_figure(html, "Rapporterade resultat") == "3"
    assert "2 av dem ledde till samverkan" in html


def test_a_county_filter_counts_only_that_county(client, figures):
    counts = csv_counts(client, lan="08")
    this = statistics.month_key(statistics.period_months(1)[0])
    assert counts[(CHALLENGES, "integration", "Söker")] == 2
    assert (
        counts[(CHALLENGES, "integration", "Erbjuder")] == 0
    )  # Stockholm's offer is not in Kalmar
    assert counts[(CHALLENGES, "elderly", "Söker")] == 0  # nor the all-of-Sweden need
    assert counts[(MONTHS, this, "Nya annonser: Söker")] == 2
    assert counts[(MONTHS, this, "Föreslagna matchningar")] == 1
    assert counts[(MONTHS, this, "Kontakter")] == 1
    assert counts[(FORMS, "iop", "Resultat")] == 1 and counts[(FORMS, "project", "Resultat")] == 0
    assert (
        counts[(COUNTIES, "01", "Erbjuder")] == 1
    )  # the per-county table still shows every county

    html = client.get("/statistik?lan=08").get_data(as_text=True)
    assert '<h2 id="results-heading">Kalmar län · 12 senaste månaderna</h2>' in html
    assert key_figure(html, "Öppna behov") == "2" and key_figure(html, "Öppna erbjudanden") == "1"
    assert '<option selected value="08">' in html or '<option value="08" selected>' in html


def test_the_period_filter_reaches_back_further_or_less(client, figures):
    short = csv_counts(client, period="3")
    assert {code for section, code, _s in short if section == MONTHS} == {
        statistics.month_key(m) for m in statistics.period_months(3)
    }
    three_ago = statistics.month_key(statistics.period_months(4)[0])
    assert (MONTHS, three_ago, "Kontakter") not in short
    html = client.get("/statistik?period=24").get_data(as_text=True)
    assert key_figure(html, "Nya annonser") == "7"  # now the ad from 14 months ago counts
    assert "24 senaste månaderna" in html


# Pictures and tables


def test_every_chart_is_an_accessible_svg_followed_by_a_table(client, figures):
    html = client.get("/statistik").get_data(as_text=True)
    images = re.findall(
        r'<svg [^>]*role="img"[^>]*aria-labelledby="([\w-]+)-title \1-desc"[^>]*>', html
    )
    assert images == ["chart-challenges", "chart-published", "chart-activity", "chart-outcomes"]
    for chart_id in images:
        assert f'<title id="{chart_id}-title">' in html and f'<desc id="{chart_id}-desc">' in html
    assert html.count('<table class="stats-table">') == 5  # four charts and the map
    assert html.count("<caption>") == 5
    assert 'scope="col"' in html and 'scope="row"' in html
    for after_chart in html.split('role="img"')[1:]:  # a table before the next chart
        assert '<table class="stats-table">' in after_chart
    chart = html.split('id="chart-challenges-title"', 1)[1].split("</svg>", 1)[0]
    assert ">2 söker</text>" in chart and ">1 erbjuder</text>" in chart  # numbers, in words


def test_the_map_has_21_linked_counties_shaded_with_their_numbers(client, figures):
    html = client.get("/statistik?lan=08").get_data(as_text=True)
    svg = re.search(
        r'<svg [^>]*role="group"[^>]*aria-labelledby="chart-map-title chart-map-desc".*?</svg>',
        html,
        re.S,
    ).group(0)
    paths = re.findall(r'<path [^>]*data-county="(\d\d)"[^>]*><title>([^<]+)</title></path>', svg)
    assert len(paths) == 21 and {code for code, _t in paths} == set(reference.counties())
    titles = dict(paths)
    assert titles["08"] == "Kalmar län: 3 öppna behov och erbjudanden"
    assert titles["01"] == "Stockholms län: 1 öppet behov eller erbjudande"
    assert titles["25"] == "Norrbottens län: 0 öppna behov och erbjudanden"
    assert svg.count('<a href="/lan/') == 21
    assert 'aria-current="true"' in svg and 'href="/lan/08" aria-label="Kalmar: 3 öppna' in svg
    assert "Förklaring" in html and "inga öppna behov eller erbjudanden" in html


def test_every_county_has_its_own_outline_within_the_map(app):
    shapes = charts.county_shapes()
    assert set(shapes["counties"]) == set(reference.counties())
    assert charts.COUNTY_SHAPES.stat().st_size < 40_000  # inline on every /statistik
    outlines = set()
    for code, shape in shapes["counties"].items():
        numbers = [int(n) for n in re.findall(r"-?\d+", shape["d"])]
        xs, ys = numbers[0::2], numbers[1::2]
        assert shape["d"].startswith("M") and shape["d"].endswith("Z") and len(xs) >= 8, code
        assert min(xs) >= 0 and max(xs) <= shapes["width"], code
        assert min(ys) >= 0 and max(ys) <= shapes["height"], code
        label_x, label_y = shape["label"]
        assert min(xs) < label_x < max(xs) and min(ys) < label_y < max(ys), code
        if "callout" in shape:  # the name and number out at sea stay on the map
            callout_x, callout_y = shape["callout"]
            name = reference.counties()[code].name_short
            assert callout_x > max(xs) and 0 < callout_y < shapes["height"], code
            assert callout_x + len(name) * charts.NAME_SIZE * 0.62 <= shapes["width"], code
        outlines.add(shape["d"])
    assert len(outlines) == 21
    by_latitude = {code: shape["label"][1] for code, shape in shapes["counties"].items()}
    # North at the top: Norrbotten above Jämtland above Stockholm above Skåne; Gotland east.
    assert by_latitude["25"] < by_latitude["23"] < by_latitude["01"] < by_latitude["12"]
    assert shapes["counties"]["09"]["label"][0] > shapes["counties"]["14"]["label"][0]


def test_each_county_on_the_map_shows_its_number_and_large_ones_their_name(client, figures):
    html = client.get("/statistik").get_data(as_text=True)
    svg = html.split('id="chart-map-title"', 1)[1].split("</svg>", 1)[0]
    links = re.findall(r'<a href="/lan/(\d\d)"[^>]*>(.*?)</a>', svg, re.S)
    assert len(links) == 21
    shown = {code: re.findall(r"<text [^>]*>([^<]+)</text>", inner) for code, inner in links}
    assert shown["08"][-1] == "3" and shown["01"][-1] == "1" and shown["25"] == ["Norrbotten", "0"]
    assert shown["14"] == ["Västra", "Götaland", "0"]  # a long name on two lines
    assert shown["01"] == ["Stockholm", "1"]  # too small for its name: out at sea, with a line
    assert all(texts and texts[-1].isdigit() for texts in shown.values())
    inside = [code for code, texts in shown.items() if len(texts) > 1]
    assert len(inside) >= 15  # most counties are named on the map; the table names all
    # The table beside the map names every county with the same number.
    table = html.split("Öppna behov och erbjudanden per län i dag", 1)[1].split("</table>", 1)[0]
    assert table.count('<a href="/lan/') == 21
    assert re.search(r">Kalmar län</a></th><td[^>]*>2</td><td[^>]*>1</td><td[^>]*>3</td>", table)


def test_the_maps_shades_and_the_chart_colours_meet_contrast(app):
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    def ratio(a: str, b: str) -> float:
        high, low = sorted((luminance(a), luminance(b)), reverse=True)
        return (high + 0.05) / (low + 0.05)

    for fill, text in charts.SHADES:
        assert ratio(fill, text) >= 4.5, fill
    for colour in (charts.NEED_COLOUR, charts.OFFER_COLOUR, charts.GREEN):
        assert ratio(colour, "#ffffff") >= 3  # graphics against the page


def test_filters_update_only_the_results_with_htmx(client, figures):
    response = client.get("/statistik?lan=01&period=6", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="results"') and "<html" not in html
    assert 'aria-live="polite"' in html and "Stockholms län · 6 senaste månaderna" in html
    assert "HX-Request" in response.headers["Vary"]
    page = client.get("/statistik?lan=01&period=6").get_data(as_text=True)
    assert "<html" in page and 'data-hx-get="/statistik"' in page and 'method="get"' in page


@pytest.mark.parametrize(
    "query", ["lan=99", "lan=xx", "period=5", "period=abc", "lan=08&period=-1"]
)
def test_unknown_filter_values_get_a_400_page_not_an_error(client, query):
    response = client.get(f"/statistik?{query}")
    assert response.status_code == 400
    assert "Det gick inte att visa statistiken" in response.get_data(as_text=True)
    assert client.get(f"/statistik.csv?{query}").status_code == 400


# CSV


def test_the_csv_is_a_download_with_the_filters_in_its_name(client, figures):
    response = client.get("/statistik.csv?lan=08&period=6")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=") and "-08-6-manader-" in disposition
    assert disposition.endswith('.csv"')
    assert response.get_data(as_text=True).startswith("\ufeffAvsnitt;Kod;Namn;Serie;Antal\r\n")
    page = client.get("/statistik?lan=08&period=6").get_data(as_text=True)
    assert 'href="/statistik.csv?lan=08&amp;period=6"' in page


def test_csv_cells_cannot_become_spreadsheet_formulas(client, figures, monkeypatch):
    patched = dict(reference.challenges())
    patched["integration"] = dataclasses.replace(
        patched["integration"], name_sv='=HYPERLINK("http://evil.example","klicka")'
    )
    monkeypatch.setattr(reference, "challenges", lambda: patched)
    text = client.get("/statistik.csv").get_data(as_text=True)
    names = [row[2] for row in csv.reader(io.StringIO(text), delimiter=";")]
    assert """'=HYPERLINK("http://evil.example","klicka")""" in names
    assert not any(name.startswith(("=", "+", "-", "@")) for name in names)
    for value, safe in [
        ("=1+1", "'=1+1"),
        ("+46", "'+46"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("Kalmar", "Kalmar"),
        (-2, -2),
    ]:
        assert statistics.csv_safe(value) == safe


# Efficiency


def test_the_statistics_take_the_same_few_queries_however_much_data_there_is(client, app, figures):
    from sqlalchemy import event

    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    app.config["INSIGHTS_CACHE_SECONDS"] = 0
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        client.get("/statistik")
        few = len(statements)
        for number in range(15):
            org = factories.organisation(county_code=list(reference.counties())[number])
            factories.ad(org=org, challenges=("culture", "safety"))
        statements.clear()
        client.get("/statistik")
        assert len(statements) == few <= 12
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_figures_are_cached_briefly_but_a_new_outcome_shows_at_once(client, figures, member):
    assert key_figure(client.get("/statistik").get_data(as_text=True), "Öppna behov") == "3"
    factories.ad(org=figures["kalmar"], kind=AdKind.NEED)
    assert (
        key_figure(client.get("/statistik").get_data(as_text=True), "Öppna behov") == "3"
    )  # cached
    ad = factories.ad(
        org=member.acting_organisation, status=AdStatus.NOT_CURRENT, closed_at=utcnow()
    )
    outcomes.record_outcome(ad, member, collaborated=True, form="grant", partner_name="Arvsfonden")
    html = client.get("/statistik").get_data(as_text=True)
    assert key_figure(html, "Öppna behov") == "4"
    assert key_figure(html, "Rapporterade resultat") == "4"


# The county page


def test_the_county_page_shows_its_figures_beside_its_ads(client, figures):
    html = client.get("/lan/08").get_data(as_text=True)
    figures_html = html.split('<aside class="county-figures"', 1)[1].split("</aside>", 1)[0]
    assert "Siffror för Kalmar län" in figures_html
    assert key_figure(figures_html, "Öppna behov") == "2"
    assert key_figure(figures_html, "Öppna erbjudanden") == "1"
    top = re.findall(r'<li><a href="/utmaningar/([\w-]+)">', figures_html)
    assert top[0] == "integration" and set(top) == {"integration", "education", "mental-health"}
    assert "Vanligaste samverkansformen: IOP – idéburet offentligt partnerskap." in figures_html
    assert 'href="/statistik?lan=08"' in figures_html
    assert "Vi söker partner för läxhjälp" in html  # the ads are still there


def test_a_county_without_activity_shows_zeros_and_no_top_list(client):
    html = client.get("/lan/25").get_data(as_text=True)
    figures_html = html.split('<aside class="county-figures"', 1)[1].split("</aside>", 1)[0]
    assert key_figure(figures_html, "Öppna behov") == "0"
    assert "Vanligaste samhällsutmaningarna" not in figures_html


@pytest.mark.slow
def test_the_demo_data_gives_a_full_statistics_page(client):
    from marketplace import demo

    demo.load_demo_data()
    db.session.commit()
    response = client.get("/statistik")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert (
        int(key_figure(html, "Öppna behov")) > 10
        and int(key_figure(html, "Öppna erbjudanden")) > 10
    )
    assert html.count("data-county=") == 21


def test_every_page_links_to_the_statistics_and_the_embed_builder(client):
    html = client.get("/om").get_data(as_text=True)
    footer = html.split('<footer class="site-footer">', 1)[1]
    assert '<a href="/statistik">Statistik</a>' in footer
    assert '<a href="/inbaddning/skapa">Visa annonser på er webbplats</a>' in footer
