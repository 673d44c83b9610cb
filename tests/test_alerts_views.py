"""Saved searches through HTTP: saving a search from /annonser, listing, editing, pausing, deleting."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from marketplace.ads.models import AdKind
from marketplace.alerts import services
from marketplace.alerts.models import Rhythm, SavedSearch
from marketplace.extensions import db
from marketplace.organisations.models import Sector
from marketplace.search.services import AdQuery
from tests import factories
from tests.conftest import HTMX, log_in

SEARCH = "q=läxhjälp&kind=need&challenge=integration&county=08"


def saved_searches() -> list[SavedSearch]:
    db.session.expire_all()  # see what the requests committed
    return list(db.session.scalars(sa.select(SavedSearch).order_by(SavedSearch.id)))


def a_saved_search(owner, **overrides) -> SavedSearch:
    fields = {
        "name": "Läxhjälp i Kalmar",
        "rhythm": Rhythm.DAILY,
        "query": AdQuery(
            text="läxhjälp", kinds=[AdKind.NEED], challenges=["integration"], county="08"
        ),
        **overrides,
    }
    return services.save_search(owner, **fields)


def is_chosen(html: str, name: str, value: str) -> bool:
    """A checked radio button or checkbox with this name and value."""
    pattern = rf'<input checked [^>]*name="{name}"[^>]*value="{re.escape(value)}"'
    return re.search(pattern, html) is not None


def form_data(**overrides) -> dict:
    return {
        "name": "Läxhjälp i Kalmar",
        "rhythm": "daily",
        "q": "läxhjälp",
        "kind": ["need"],
        "challenge": ["integration"],
        "county": "08",
        **overrides,
    }


# --- Saving a search from the search page ------------------------------------------------------


def test_the_search_page_offers_to_save_the_search_with_its_filters(client):
    html = client.get(f"/annonser?{SEARCH}&sort=nyast&page=1").get_data(as_text=True)
    link = unescape(html.split('class="save-search" href="', 1)[1].split('"', 1)[0])
    assert ">Spara sökningen<" in html
    parts = urlsplit(link)
    assert parts.path == "/bevakningar/ny"
    assert parse_qs(parts.query) == {
        "q": ["läxhjälp"],
        "kind": ["need"],
        "challenge": ["integration"],
        "county": ["08"],
    }


def test_the_save_link_follows_a_live_search(client):
    html = client.get("/annonser?q=språkcafé", headers=HTMX).get_data(as_text=True)
    assert html.startswith('<section id="results"')
    assert "/bevakningar/ny?q=spr%C3%A5kcaf%C3%A9" in html


def test_the_form_shows_the_search_in_words_and_suggests_it_as_the_name(logged_in):
    response = logged_in.get(f"/bevakningar/ny?{SEARCH}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    summary = "Söker · Integration och etablering · Kalmar län · ”läxhjälp”"
    assert f"<strong>Sökningen:</strong> {summary}" in html
    assert f'value="{summary}"' in html  # the name field, until the user names it
    assert '<input type="hidden" name="kind" value="need">' in html
    assert '<input type="hidden" name="county" value="08">' in html
    assert is_chosen(html, "rhythm", "daily")
    assert "Direkt" in html and "Dagligen" in html and "Veckovis" in html
    assert html.count("<h1") == 1


def test_saving_a_search_keeps_its_filters_and_lists_it(logged_in, user):
    response = logged_in.post("/bevakningar/ny", data=form_data(rhythm="weekly"))
    assert response.status_code == 303
    assert response.headers["Location"] == "/bevakningar"
    [saved] = saved_searches()
    assert saved.user_id == user.id and saved.name == "Läxhjälp i Kalmar"
    assert saved.rhythm is Rhythm.WEEKLY and not saved.paused
    assert saved.text == "läxhjälp" and saved.kinds == [AdKind.NEED]
    assert saved.challenges == ["integration"] and saved.county_code == "08"
    html = logged_in.get("/bevakningar").get_data(as_text=True)
    assert "Bevakningen är sparad." in html and "Läxhjälp i Kalmar" in html
    assert "Söker · Integration och etablering · Kalmar län · ”läxhjälp”" in html
    assert "E-post: Veckovis" in html


def test_every_filter_of_the_search_form_can_be_saved(logged_in):
    data = form_data(
        q="psykisk ohälsa",
        kind=["offer", "idea"],
        challenge=["mental-health", "integration"],
        county="08",
        municipality="0880",
        seeking=["public"],
        sector=["civil", "business"],
    )
    assert logged_in.post("/bevakningar/ny", data=data).status_code == 303
    [saved] = saved_searches()
    query = services.query_of(saved)
    assert query.kinds == [AdKind.OFFER, AdKind.IDEA]
    assert sorted(query.challenges) == ["integration", "mental-health"]
    assert (query.county, query.municipality) == ("08", "0880")
    assert query.seeking == [Sector.PUBLIC]
    assert query.sectors == [Sector.CIVIL, Sector.BUSINESS]


def test_a_search_without_filters_is_saved_as_all_ads(logged_in):
    html = logged_in.get("/bevakningar/ny").get_data(as_text=True)
    assert "<strong>Sökningen:</strong> Alla annonser" in html
    assert (
        logged_in.post("/bevakningar/ny", data={"name": "Allt", "rhythm": "daily"}).status_code
        == 303
    )
    [saved] = saved_searches()
    assert services.summary(services.query_of(saved)) == "Alla annonser"


def test_a_nameless_saved_search_is_refused_and_keeps_the_input(logged_in):
    response = logged_in.post("/bevakningar/ny", data=form_data(name="  ", rhythm="weekly"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Ge bevakningen ett namn." in html
    assert is_chosen(html, "rhythm", "weekly")
    assert '<input type="hidden" name="q" value="läxhjälp">' in html
    assert '<input type="hidden" name="challenge" value="integration">' in html
    assert saved_searches() == []


def test_an_unknown_rhythm_is_refused(logged_in):
    response = logged_in.post("/bevakningar/ny", data=form_data(rhythm="hourly"))
    assert response.status_code == 422
    assert saved_searches() == []


def test_an_invalid_form_sent_by_htmx_gets_only_the_form_back(logged_in):
    response = logged_in.post("/bevakningar/ny", data=form_data(name=""), headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.lstrip().startswith('<form id="saved-search-form"') and "<html" not in html


def test_too_many_saved_searches_are_refused_with_an_explanation(logged_in, user, monkeypatch):
    monkeypatch.setattr(services, "MAX_SAVED_SEARCHES", 2)
    for number in range(2):  # two different ones: the same one twice would be a double click
        data = form_data(name=f"Bevakning {number}")
        assert logged_in.post("/bevakningar/ny", data=data).status_code == 303
    response = logged_in.post("/bevakningar/ny", data=form_data(name="En till"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Du har redan 2 bevakningar." in html and 'value="En till"' in html
    assert len(saved_searches()) == 2


def test_unconfirmed_users_are_told_to_confirm_first(client):
    log_in(client, factories.user(confirmed=False))
    response = client.post("/bevakningar/ny", data=form_data())
    assert response.status_code == 303
    assert response.headers["Location"] == "/konto/obekraftad"
    assert saved_searches() == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/bevakningar"),
        ("get", f"/bevakningar/ny?{SEARCH}"),
        ("post", "/bevakningar/ny"),
        ("get", "/bevakningar/{id}/redigera"),
        ("post", "/bevakningar/{id}/redigera"),
        ("post", "/bevakningar/{id}/pausa"),
        ("post", "/bevakningar/{id}/ateruppta"),
        ("get", "/bevakningar/{id}/ta-bort"),
        ("post", "/bevakningar/{id}/ta-bort"),
    ],
)
def test_anonymous_visitors_are_asked_to_log_in(client, user, method, path):
    saved = a_saved_search(user)
    response = getattr(client, method)(path.format(id=saved.id), data=form_data(name="Ändrad"))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/konto/logga-in?next=")
    [unchanged] = saved_searches()
    assert unchanged.name == "Läxhjälp i Kalmar" and not unchanged.paused


def test_after_logging_in_the_visitor_comes_back_to_the_filled_in_form(client, user):
    response = client.get(f"/bevakningar/ny?{SEARCH}")
    next_path = parse_qs(urlsplit(response.headers["Location"]).query)["next"][0]
    login = client.post(
        "/konto/logga-in",
        query_string={"next": next_path},
        data={"email": user.email, "password": factories.PASSWORD},
    )
    assert login.status_code == 303
    html = client.get(login.headers["Location"]).get_data(as_text=True)
    assert "Söker · Integration och etablering · Kalmar län · ”läxhjälp”" in html


# --- The list: pause, resume, edit, delete -----------------------------------------------------


def test_the_list_shows_only_your_own_saved_searches(logged_in, user):
    a_saved_search(user, name="Min bevakning")
    a_saved_search(factories.user(), name="Någon annans bevakning")
    html = logged_in.get("/bevakningar").get_data(as_text=True)
    assert "Min bevakning" in html and "Någon annans bevakning" not in html
    assert html.count("<h1") == 1


def test_an_empty_list_explains_how_to_save_a_search(logged_in):
    html = logged_in.get("/bevakningar").get_data(as_text=True)
    assert "Du har inga bevakningar ännu." in html and 'href="/annonser"' in html


def test_the_list_links_to_the_search_it_stands_for(logged_in, user):
    a_saved_search(user)
    html = unescape(logged_in.get("/bevakningar").get_data(as_text=True))
    link = html.split('<a href="/annonser?', 1)[1].split('"', 1)[0]
    assert parse_qs(link) == {
        "q": ["läxhjälp"],
        "kind": ["need"],
        "challenge": ["integration"],
        "county": ["08"],
        "sort": ["nyast"],
    }


def test_pausing_and_resuming_a_saved_search(logged_in, user):
    saved = a_saved_search(user)
    response = logged_in.post(f"/bevakningar/{saved.id}/pausa")
    assert response.status_code == 303 and response.headers["Location"] == "/bevakningar"
    assert saved_searches()[0].paused
    html = logged_in.get("/bevakningar").get_data(as_text=True)
    assert "är pausad" in html and "Pausad" in html and ">Återuppta<" in html
    assert logged_in.post(f"/bevakningar/{saved.id}/ateruppta").status_code == 303
    assert not saved_searches()[0].paused
    assert ">Pausa<" in logged_in.get("/bevakningar").get_data(as_text=True)


def test_the_edit_form_shows_the_name_rhythm_and_filters_as_search_fields(logged_in, user):
    saved = a_saved_search(user, rhythm=Rhythm.IMMEDIATE)
    html = logged_in.get(f"/bevakningar/{saved.id}/redigera").get_data(as_text=True)
    assert 'value="Läxhjälp i Kalmar"' in html
    assert is_chosen(html, "rhythm", "immediate")
    assert re.search(r'<input [^>]*name="q" type="search" value="läxhjälp"', html)
    assert is_chosen(html, "kind", "need") and not is_chosen(html, "kind", "offer")
    assert is_chosen(html, "challenge", "integration")
    assert '<option selected value="08">Kalmar län</option>' in html


def test_editing_changes_name_rhythm_and_filters(logged_in, user):
    saved = a_saved_search(user)
    data = form_data(name="Språkcafé", rhythm="immediate", q="språkcafé", kind=["offer"], county="")
    response = logged_in.post(f"/bevakningar/{saved.id}/redigera", data=data)
    assert response.status_code == 303 and response.headers["Location"] == "/bevakningar"
    [changed] = saved_searches()
    assert (changed.name, changed.rhythm, changed.text) == (
        "Språkcafé",
        Rhythm.IMMEDIATE,
        "språkcafé",
    )
    assert changed.kinds == [AdKind.OFFER] and changed.county_code is None
    assert "Ändringarna är sparade." in logged_in.get("/bevakningar").get_data(as_text=True)


def test_an_invalid_edit_keeps_the_input_and_changes_nothing(logged_in, user):
    saved = a_saved_search(user)
    response = logged_in.post(
        f"/bevakningar/{saved.id}/redigera", data=form_data(name="x" * 121, q="förening")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Namnet får vara högst 120 tecken." in html
    assert f'value="{"x" * 121}"' in html and 'value="förening"' in html
    assert saved_searches()[0].name == "Läxhjälp i Kalmar"


def test_deleting_asks_first_then_removes_the_saved_search(logged_in, user):
    saved = a_saved_search(user)
    page = logged_in.get(f"/bevakningar/{saved.id}/ta-bort")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Ta bort bevakningen?" in html and "Läxhjälp i Kalmar" in html
    assert f'method="post" action="/bevakningar/{saved.id}/ta-bort"' in html
    assert saved_searches() != []
    response = logged_in.post(f"/bevakningar/{saved.id}/ta-bort")
    assert response.status_code == 303 and response.headers["Location"] == "/bevakningar"
    assert saved_searches() == []
    assert "är borttagen" in logged_in.get("/bevakningar").get_data(as_text=True)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/bevakningar/{id}/redigera"),
        ("post", "/bevakningar/{id}/redigera"),
        ("post", "/bevakningar/{id}/pausa"),
        ("post", "/bevakningar/{id}/ateruppta"),
        ("get", "/bevakningar/{id}/ta-bort"),
        ("post", "/bevakningar/{id}/ta-bort"),
    ],
)
def test_someone_elses_saved_search_is_not_found_and_stays_unchanged(logged_in, method, path):
    other = a_saved_search(factories.user(), name="Någon annans")
    response = getattr(logged_in, method)(path.format(id=other.id), data=form_data(name="Kapad"))
    assert response.status_code == 404
    [unchanged] = saved_searches()
    assert unchanged.name == "Någon annans" and not unchanged.paused


@pytest.mark.parametrize(
    "path", ["/bevakningar/999/redigera", "/bevakningar/999/ta-bort", "/bevakningar/abc/redigera"]
)
def test_a_saved_search_that_does_not_exist_is_not_found(logged_in, path):
    assert logged_in.get(path).status_code == 404


def test_the_main_menu_leads_to_the_saved_searches_when_logged_in(client, user):
    assert 'href="/bevakningar"' not in client.get("/").get_data(as_text=True)
    log_in(client, user)
    assert '<a href="/bevakningar">Bevakningar</a>' in client.get("/").get_data(as_text=True)
