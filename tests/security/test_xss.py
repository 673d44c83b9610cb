"""XSS: hostile text typed into every user-writable field, through the real forms, then read back
on every page, feed, e-mail and API answer that shows it. It may appear only as text."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from markupsafe import escape

from marketplace.ads.models import Ad
from marketplace.alerts.models import SavedSearch
from marketplace.contact.models import Conversation
from marketplace.extensions import db
from marketplace.organisations.models import Organisation
from tests import factories
from tests.conftest import HTMX, log_in
from tests.security.routes import ad_form, organisation_form

# Every way out of a text node or an attribute at once (kept under the 120-character name and
# title limits), and a javascript: URL for the fields that become links.
MARKUP = (
    "<script>alert(1)</script>\"><img src=x onerror=alert(1)>' onmouseover='alert(1)' {{ 7*7 }}"
)
PAYLOADS = {
    "markup breakers": MARKUP,
    "javascript url": "javascript:alert(1)",
}
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "poster",
    "cite",
    "background",
    "xlink:href",
    "data-hx-get",
    "data-hx-post",
    "hx-get",
    "hx-post",
}


class TagCollector(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        self._in_script = tag == "script"

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.script_text.append(data)


def injected_markup(html: str) -> list[str]:
    """What a payload managed to turn into markup: event handlers, scripts, javascript: URLs."""
    problems = []
    if re.search(r"<script>alert|<img src=x", html, re.I):
        problems.append("raw payload markup")
    collector = TagCollector()
    collector.feed(html)
    for tag, attrs in collector.tags:
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                problems.append(f"<{tag} {name}=…>")
            if name in URL_ATTRIBUTES and value:
                cleaned = re.sub(r"[\x00-\x20]", "", value).lower()
                if cleaned.startswith(("javascript:", "vbscript:", "data:text/html")):
                    problems.append(f'<{tag} {name}="{value}">')
        if tag == "script" and not (values.get("src") or "").startswith("/static/"):
            problems.append(f"<script {values}>")
        if tag == "img" and values.get("src") == "x":
            problems.append("<img src=x>")
    if collector.script_text:
        problems.append(f"inline script: {collector.script_text[:1]}")
    return problems


def assert_only_text(html: str, where: str) -> None:
    problems = injected_markup(html)
    assert not problems, f"{where}: {problems}"


def html_part(message) -> str | None:
    part = message.get_body(("html",))
    return part.get_content() if part is not None else None


def text_part(message) -> str:
    part = message.get_body(("plain",))
    return part.get_content() if part is not None else ""


@pytest.fixture(params=sorted(PAYLOADS), ids=sorted(PAYLOADS))
def payload(request) -> str:
    return PAYLOADS[request.param]


@pytest.mark.slow
def test_hostile_text_in_every_field_is_shown_only_as_text(app, outbox, payload):
    client = app.test_client()

    # Another organisation, with a member who gets e-mailed about every new ad.
    reader_org = factories.organisation(name="Läsarnas förening")
    reader = factories.member(org=reader_org, name="Läsare Lisa")
    log_in(app.test_client(), reader).post(
        "/bevakningar/ny", data={"name": "Allt", "rhythm": "immediate", "q": ""}
    )

    # A person registers with the payload in their name, confirms through the e-mailed link
    # and logs in.
    response = client.post(
        "/konto/registrera",
        data={
            "name": f"Anna {payload}"[:120],
            "email": "anna@example.com",
            "password": factories.PASSWORD,
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    token = re.search(r"/konto/bekrafta/([\w.\-]+)", text_part(outbox[-1])).group(1)
    assert client.get(f"/konto/bekrafta/{token}").status_code in (302, 303)
    log_in(client, "anna@example.com", form=True)

    # An organisation with the payload in every text field.
    fields = organisation_form(None) | {
        "name": f"Förening {payload}",
        "description": f"Vi gör saker.\n\n{payload}\nhttps://example.com/{payload.replace(' ', '')}",
        "website": "https://example.com/" + payload.replace(" ", ""),
        "email": "info@example.com",
    }
    response = client.post("/organisationer/ny", data=fields)
    if response.status_code == 422:  # the website was refused: keep the rest
        fields["website"] = "https://example.com/" + re.sub(r"[^\w]", "", payload)
        response = client.post("/organisationer/ny", data=fields)
    assert response.status_code == 303, response.get_data(as_text=True)
    org = db.session.scalars(
        sa.select(Organisation).where(Organisation.name.like("Förening%"))
    ).one()
    assert payload.strip() in org.name or payload.split()[0] in org.name

    # Hostile website addresses are refused by the form.
    for website in ("javascript:alert(1)", "JAVASCRIPT:alert(1)", " javascript:alert(1)"):
        bad = client.post(f"/organisationer/{org.id}/redigera", data=fields | {"website": website})
        assert bad.status_code == 422, website

    # An ad with the payload in its title and body (and a payload-laden link in the body).
    response = client.post(
        "/annonser/ny",
        data=ad_form(None)
        | {
            "title": f"Lokal {payload}"[:140],
            "body": f"Vi erbjuder {payload}\nLäs mer: https://example.com/{payload.replace(' ', '')}",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    ad = db.session.scalars(sa.select(Ad).where(Ad.organisation_id == org.id)).one()

    # The reader shows interest with the payload, and the poster replies with it.
    reader_client = log_in(app.test_client(), reader)
    response = reader_client.post(
        f"/annonser/{ad.id}/intresse",
        data={"message": f"Hej! Vi vill gärna vara med. {payload} Hör av er!"},
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    conversation = db.session.scalars(sa.select(Conversation)).one()
    response = client.post(
        f"/inkorg/{conversation.id}", data={"message": f"Tack för ert svar! {payload} Ses!"}
    )
    assert response.status_code == 303, response.get_data(as_text=True)

    # A saved search named (and searching) with the payload; an outcome naming a partner with it.
    response = client.post(
        "/bevakningar/ny", data={"name": f"Bevakning {payload}", "rhythm": "daily", "q": payload}
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    saved = db.session.scalars(
        sa.select(SavedSearch).where(SavedSearch.name.like("Bevakning%"))
    ).one()
    response = client.post(
        f"/annonser/{ad.id}/resultat",
        data={
            "collaborated": "ja",
            "collaboration_form": "project",
            "partner_name": f"Partner {payload}",
            "partner_organisation": "",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)

    # The reader reports the ad with the payload; a site administrator dismisses it with it.
    response = reader_client.post(
        f"/rapportera/annons/{ad.id}", data={"reason": "other", "text": f"Se här: {payload}"}
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    admin = log_in(app.test_client(), factories.user(name=f"Admin {payload}", is_site_admin=True))
    report_id = db.session.scalar(sa.text("SELECT max(id) FROM report"))
    response = admin.post(
        f"/moderering/rapporter/{report_id}/beslut",
        data={"decision-decision": "dismiss", "decision-reason": f"Inget fel. {payload}"},
    )
    assert response.status_code == 303, response.get_data(as_text=True)

    # An invitation from the person (their name and the organisation's go into the e-mail).
    response = client.post(
        f"/organisationer/{org.id}/medlemmar/bjud-in", data={"email": "ny@example.com"}
    )
    assert response.status_code == 303, response.get_data(as_text=True)

    # Every page that shows any of it, to the poster, to the reader and to anonymous visitors.
    ad_page = f"/annonser/{ad.id}-{ad.slug}"
    org_page = f"/organisationer/{org.id}-{org.slug}"
    pages = {
        client: [
            "/",
            ad_page,
            org_page,
            f"/organisationer/{org.id}/medlemmar",
            "/organisationer/mina",
            f"/organisationer/{org.id}/redigera",
            f"/annonser/{ad.id}/redigera",
            f"/annonser/{ad.id}/resultat",
            f"/annonser/{ad.id}/matchningar",
            f"/organisationer/{org.id}/matchningar",
            "/inkorg",
            f"/inkorg/{conversation.id}",
            "/bevakningar",
            f"/bevakningar/{saved.id}/redigera",
            f"/bevakningar/{saved.id}/ta-bort",
            "/konto/installningar",
            "/konto/mina-uppgifter",
            "/konto/mina-uppgifter/ta-bort",
        ],
        reader_client: ["/inkorg", f"/inkorg/{conversation.id}", ad_page, "/bevakningar"],
        admin: [
            "/moderering",
            "/moderering?visa=hanterade",
            f"/moderering/rapporter/{report_id}",
            "/moderering/logg",
            "/moderering/konton",
            org_page,
            ad_page,
        ],
        app.test_client(): [
            "/",
            ad_page,
            org_page,
            "/annonser",
            "/annonser?" + _query(q=payload),
            "/annonser?" + _query(q="Lokal"),
            "/organisationer/",
            "/organisationer/?" + _query(q=payload),
            "/organisationer/?" + _query(q="Förening"),
            f"/annonser/{ad.id}/matchningar",
            f"/annonser/{ad.id}/intresse",
            "/inbaddning",
            "/inbaddning/skapa?" + _query(lan=payload),
            "/statistik",
            "/statistik?" + _query(lan=payload),
            "/lan/08",
            "/utmaningar/integration",
            "/konto/logga-in?" + _query(next=payload),
            "/bevakningar/ny?" + _query(q=payload),
        ],
    }
    for who, paths in pages.items():
        for path in paths:
            for headers in (None, HTMX):
                response = who.get(path, headers=headers or {})
                assert response.status_code in (200, 204, 302, 400), (path, response.status_code)
                assert_only_text(response.get_data(as_text=True), f"GET {path} {headers or ''}")

    # The text did arrive, escaped, where people read it (so the checks above had something to check).
    shown = {
        org_page: f"Förening {payload}",
        ad_page: f"Lokal {payload}",
        f"/inkorg/{conversation.id}": f"Tack för ert svar! {payload} Ses!",
        "/bevakningar": f"Bevakning {payload}",
    }
    for path, text in shown.items():
        assert str(escape(text)) in client.get(path).get_data(as_text=True), path

    # (MARKUP ends in "{{ 7*7 }}": shown as typed above, so no template evaluated it.)

    # The Atom feed: the payload is text in text elements, never HTML content.
    for query in ({}, {"q": "Lokal"}, {"q": payload}):
        feed = app.test_client().get("/annonser/flode.atom", query_string=query)
        assert feed.status_code == 200
        root = ET.fromstring(feed.data)  # noqa: S314  our own feed, in a test
        for element in root.iter():
            assert element.get("type") in (None, "text", "application/atom+xml", "text/html")
            if element.tag.endswith(("title", "summary", "content")):
                assert element.get("type") in (None, "text")

    # The JSON API hands the text over as data, labelled as JSON and never sniffed as HTML.
    for path in (
        "/api/v1/ads",
        f"/api/v1/ads/{ad.id}",
        "/api/v1/organisations",
        f"/api/v1/organisations/{org.id}",
    ):
        response = app.test_client().get(path)
        assert response.status_code == 200
        assert response.mimetype == "application/json"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert any(payload in value for value in strings_in(response.get_json())), path

    # Every e-mail sent on the way: confirmation, alert, interest, reply, invitation.
    templates_seen = len(outbox)
    assert templates_seen >= 5, [m["Subject"] for m in outbox]
    for message in outbox:
        html = html_part(message)
        if html is not None:
            assert_only_text(html, f"e-mail {message['Subject']!r}")
        for header in ("Subject", "From", "To", "Reply-To"):
            assert "\n" not in (message.get(header) or "")


def strings_in(data) -> list[str]:
    """Every string in a JSON document (the text travels as data, unchanged)."""
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        data = list(data.values())
    if isinstance(data, list):
        return [text for item in data for text in strings_in(item)]
    return []


def _query(**values) -> str:
    from urllib.parse import urlencode

    return urlencode(values)


def test_the_search_text_is_not_reflected_as_markup(client):
    for payload in PAYLOADS.values():
        for path in ("/annonser", "/organisationer/", "/bevakningar/ny"):
            response = client.get(path, query_string={"q": payload})
            assert_only_text(response.get_data(as_text=True), f"{path}?q={payload}")
            response = client.get(path, query_string={"q": payload}, headers=HTMX)
            assert_only_text(response.get_data(as_text=True), f"{path}?q={payload} (htmx)")


def test_the_checker_itself_finds_injected_markup():
    assert injected_markup("<p><script>alert(1)</script></p>")
    assert injected_markup('<p title=""><img src=x onerror=alert(1)>"></p>')
    assert injected_markup("<a href='' onmouseover='alert(1)'>x</a>")
    assert injected_markup('<a href=" javascript:alert(1)">x</a>')
    assert not injected_markup(
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; &#34;&gt;&lt;img src=x onerror=alert(1)&gt;</p>"
        '<a href="https://example.com/%22onmouseover=%22">x</a>'
        '<script src="/static/vendor/htmx-2.0.11.min.js" defer></script>'
    )
