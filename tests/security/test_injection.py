"""Injection and oversized input: search operators and quotes, huge texts, page numbers and bodies,
NUL bytes, and header injection through e-mailed fields."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.organisations.models import Organisation
from tests import factories
from tests.conftest import HTMX, log_in
from tests.security.routes import ad_form

HOSTILE_QUERIES = [
    "' OR '1'='1",
    "läxhjälp' OR 1=1 --",
    '" OR ""="',
    "'; DROP TABLE ad; --",
    "1; SELECT * FROM user",
    'läxhjälp\' UNION SELECT password_hash FROM "user" --',
    "%",
    "_",
    "%_%",
    "\\",
    "\\%",
    "'",
    '"',
    '"unbalanced',
    "*",
    "läx*",
    "^läxhjälp",
    "NEAR(läxhjälp lördagar)",
    "läxhjälp AND lördagar OR NOT cyklar",
    "title:läxhjälp",
    "{title body}:läxhjälp",
    "(",
    ")",
    "-läxhjälp",
    "+läxhjälp",
    "läxhjälp & lördagar | !cyklar",
    "läxhjälp <-> lördagar",
    "läxhjälp:*",
    "läxhjälp:A",
    "!!",
    "&&",
    "''",
    "\x00",
    "läx\x00hjälp",
    "\u202e\u200b\ufeff",
    "😀 🚲",
    "ﬁ ß Ⅻ ǅ",
    "läxhjälp " * 60,
    "a" * 5_000,
    "x" * 100_000,
]
# Searches written to widen the result: they must not list the unrelated ad.
WIDENING = [
    "' OR '1'='1",
    "läxhjälp' OR 1=1 --",
    'läxhjälp\' UNION SELECT password_hash FROM "user" --',
]
# Only symbols, no word: read as no search text at all (everything, as for an empty search).
NO_WORDS = ['"', "%", "_", "%_%", "*", "\\%", "(", "!!", "&&"]
# The word with operators and quotes around it still finds the ad about it.
DECORATED = ['"läxhjälp"', "läxhjälp*", "(läxhjälp)", "läxhjälp'", "+läxhjälp", "läxhjälp:*"]

SEARCHES = {
    "ad search": ("/annonser", "Läxhjälp på lördagar", "Cyklar att låna"),
    "ad search (htmx)": ("/annonser", "Läxhjälp på lördagar", "Cyklar att låna"),
    "ad feed": ("/annonser/flode.atom", "Läxhjälp på lördagar", "Cyklar att låna"),
    "organisation directory": ("/organisationer/", "Läxhjälpsföreningen", "Cykelklubben"),
    "ads api": ("/api/v1/ads", "Läxhjälp på lördagar", "Cyklar att låna"),
    "organisations api": ("/api/v1/organisations", "Läxhjälpsföreningen", "Cykelklubben"),
}


@pytest.fixture
def two_of_everything(app):
    homework = factories.organisation(name="Läxhjälpsföreningen")
    bikes = factories.organisation(name="Cykelklubben", description="Vi lagar cyklar.")
    factories.ad(org=homework, title="Läxhjälp på lördagar", body="Läxhjälp för barn.")
    factories.ad(org=bikes, title="Cyklar att låna", body="Tio cyklar för sommaren.")


def text_of(response) -> str:
    if response.is_json:
        return json.dumps(response.get_json(), ensure_ascii=False)
    return response.get_data(as_text=True)


def search(client, name: str, q: str, **extra):
    path = SEARCHES[name][0]
    headers = HTMX if "htmx" in name else {}
    return client.get(path, query_string={"q": q, **extra}, headers=headers)


@pytest.mark.parametrize("name", sorted(SEARCHES))
def test_search_operators_and_quotes_never_break_a_search(client, two_of_everything, name):
    _, wanted, unrelated = SEARCHES[name]
    for q in HOSTILE_QUERIES:
        response = search(client, name, q)
        assert response.status_code in (200, 400), f"{name} q={q[:40]!r}: {response.status_code}"
        if response.status_code == 400:
            assert name.endswith("api") and len(q) > 200, f"{name} refused q={q[:40]!r}"
            assert response.get_json()["parameter"] == "q"
            continue
        body = text_of(response)
        if q in WIDENING:
            assert unrelated not in body, f"{name}: q={q!r} listed everything"
        if q in NO_WORDS:
            assert wanted in body and unrelated in body, f"{name}: q={q!r}"
    for q in DECORATED:
        body = text_of(search(client, name, q))
        assert wanted in body and unrelated not in body, f"{name}: q={q!r}"


@pytest.mark.parametrize("name", sorted(SEARCHES))
def test_absurd_page_numbers_never_break_a_list(client, two_of_everything, name):
    for page in (
        "10000000000000000000000",
        "99999999999",
        "-1",
        "0",
        "abc",
        "1e9",
        "1.5",
        "\x00",
        "",
    ):
        response = search(client, name, "", page=page, per_page=page)
        assert response.status_code in (200, 400), f"{name} page={page!r}: {response.status_code}"


def test_absurd_page_numbers_never_break_the_inbox(client, member):
    log_in(client, member)
    for page in ("10000000000000000000000", "99999999999", "-5", "abc"):
        response = client.get("/inkorg", query_string={"page": page})
        assert response.status_code in (200, 400), f"/inkorg?page={page}: {response.status_code}"


def test_a_hundred_thousand_character_search_is_answered(client, two_of_everything):
    for path in ("/annonser", "/organisationer/", "/annonser/flode.atom", "/bevakningar/ny"):
        response = client.get(path, query_string={"q": "läxhjälp " * 11_000})
        assert response.status_code in (200, 302, 400, 414), path


def test_a_megabyte_post_body_is_refused_with_413(app, member):
    megabyte = "x" * (1024 * 1024)
    anonymous, logged_in = app.test_client(), log_in(app.test_client(), member)
    for client, path in (
        (anonymous, "/konto/logga-in"),
        (anonymous, "/konto/registrera"),
        (logged_in, "/annonser/ny"),
        (logged_in, "/organisationer/ny"),
        (logged_in, "/bevakningar/ny"),
    ):
        response = client.post(path, data={"title": megabyte, "name": megabyte})
        assert response.status_code == 413, f"{path}: {response.status_code}"
    client = logged_in
    response = client.post(
        "/annonser/ny", data="x" * (3 * 1024 * 1024), content_type="application/octet-stream"
    )
    assert response.status_code == 413


def test_the_413_answer_is_a_page_and_json_under_the_api(client):
    megabyte = "x" * (3 * 1024 * 1024)
    page = client.post("/konto/logga-in", data=megabyte, content_type="text/plain")
    assert page.status_code == 413 and b"<html" in page.data
    api = client.post("/api/v1/ads", data=megabyte, content_type="application/json")
    assert api.status_code in (405, 413) and api.is_json


def test_nul_bytes_and_control_characters_in_forms_are_refused_or_cleaned(app, world):
    """PostgreSQL refuses NUL in text: every form must drop it or refuse the input, never 500."""
    nul = "Läx\x00hjälp\x1b[31m\x7f"
    text = f"Hej! {nul} Vi vill gärna vara med och hjälpa till."
    w = world
    anonymous = app.test_client()
    owner = log_in(app.test_client(), w.owner)
    outsider = log_in(app.test_client(), w.outsider)
    posts = [
        (anonymous, "/konto/logga-in", {"email": f"a{nul}@example.com", "password": nul}),
        (anonymous, "/konto/logga-in", {"email": w.owner.email, "password": nul}),
        (
            anonymous,
            "/konto/registrera",
            {"name": nul, "email": "nul@example.com", "password": factories.PASSWORD},
        ),
        (anonymous, "/konto/glomt-losenord", {"email": f"a{nul}@example.com"}),
        (owner, "/bevakningar/ny", {"name": nul, "rhythm": "daily", "q": nul}),
        (owner, f"/bevakningar/{w.saved_search.id}/redigera", {"name": nul, "rhythm": "daily"}),
        (
            owner,
            f"/annonser/{w.ad.id}/resultat",
            {"collaborated": "ja", "collaboration_form": "project", "partner_name": nul},
        ),
        (outsider, f"/annonser/{w.ad.id}/intresse", {"message": text}),
        (owner, f"/inkorg/{w.conversation.id}", {"message": text}),
        (outsider, f"/rapportera/annons/{w.ad.id}", {"reason": "spam", "text": nul}),
        (owner, f"/organisationer/{w.org.id}/medlemmar/bjud-in", {"email": f"a{nul}@example.com"}),
        (
            owner,
            "/konto/installningar/e-post",
            {"email-new_email": f"a{nul}@example.com", "email-password": factories.PASSWORD},
        ),
        (owner, "/annonser/ny", ad_form(w) | {"title": nul, "body": text}),
    ]
    for client, path, data in posts:
        response = client.post(path, data=data)
        assert response.status_code in (200, 303, 400, 422), f"{path}: {response.status_code}"
    for path in ("/annonser", "/organisationer/", "/api/v1/ads", "/api/v1/organisations"):
        response = anonymous.get(path, query_string={"q": nul, "county": nul, "sector": nul})
        assert response.status_code in (200, 400), f"{path}: {response.status_code}"
    stored = db.session.scalars(sa.select(User.name).where(User.email == "nul@example.com")).one()
    assert "\x00" not in stored and stored.startswith("Läxhjälp")


def test_a_nul_byte_in_the_path_is_not_found(app, world):
    admin = log_in(app.test_client(), world.admin)
    for path in (
        f"/moderering/moderatorer/{world.moderator.id}/0%001/ta-bort",
        "/lan/0%008",
        "/konto/bekrafta/%00",
        "/utmaningar/integration%00",
    ):
        response = admin.open(path, method="POST" if "ta-bort" in path else "GET")
        assert response.status_code == 404, path


def test_a_name_with_a_line_break_adds_no_e_mail_header(app, client, outbox):
    evil = "Anna\r\nBcc: evil@example.com\r\nX-Injected: yes"
    response = client.post(
        "/konto/registrera",
        data={"name": evil, "email": "anna@example.com", "password": factories.PASSWORD},
    )
    assert response.status_code in (303, 422)
    owner = factories.member(name=evil)
    org = owner.acting_organisation
    org.name = "Förening\r\nBcc: evil@example.com"  # as a buggy import might store it
    db.session.commit()
    client_of_owner = log_in(app.test_client(), owner)
    client_of_owner.post(
        f"/organisationer/{org.id}/medlemmar/bjud-in", data={"email": "ny@example.com"}
    )
    ad = factories.ad(org=org, title="Lokal\r\nBcc: evil@example.com")
    reader = factories.member(name=evil)
    log_in(app.test_client(), reader).post(
        f"/annonser/{ad.id}/intresse",
        data={"message": "Hej!\r\nBcc: evil@example.com\r\n\r\nVi vill gärna vara med."},
    )
    log_in(app.test_client(), reader).post(
        "/bevakningar/ny",
        data={"name": "Bevakning\r\nBcc: evil@example.com", "rhythm": "immediate", "q": ""},
    )
    factories.ad(title="Ännu en lokal")
    assert outbox, "no e-mail was sent"
    for message in outbox:
        assert message["Bcc"] is None and message["X-Injected"] is None
        for name in ("To", "Cc", "Bcc", "Reply-To", "From", "Sender"):
            assert "evil@example.com" not in str(message.get(name) or ""), name
        for name, value in message.items():
            assert not re.search(r"[\r\n]", str(value).replace("\r\n ", "").replace("\n ", "")), (
                name
            )


def test_organisation_names_with_sql_survive_the_round_trip(client, member):
    log_in(client, member)
    name = "Robert'); DROP TABLE organisation;--"
    org = member.acting_organisation
    from tests.security.routes import organisation_form

    response = client.post(
        f"/organisationer/{org.id}/redigera", data=organisation_form(None) | {"name": name}
    )
    assert response.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 1
    assert client.get("/organisationer/", query_string={"q": "Robert"}).status_code == 200


@pytest.mark.parametrize("huge", ["2147483648", "9223372036854775808", "1" + "0" * 40])
def test_ids_too_large_for_the_database_are_not_found(app, member, huge):
    """Every <int:…> in every route: a number no INTEGER column holds is a 404, never a 500."""
    logged_in = log_in(app.test_client(), member)
    checked = 0
    for rule in app.url_map.iter_rules():
        if not any(
            type(c).__name__.endswith("IntegerConverter") for c in rule._converters.values()
        ):
            continue
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(rf"<[^>]*:?{name}>", huge if name.endswith("_id") else "x", path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = logged_in.open(path, method=method)
            assert response.status_code in (404, 405), f"{method} {path}: {response.status_code}"
            checked += 1
    assert checked >= 25


def test_a_forged_host_header_never_reaches_the_links_in_e_mails(app, outbox):
    """Password-reset poisoning and the like: e-mailed links are always on BASE_URL."""
    evil = {"base_url": "http://evil.example", "headers": {"X-Forwarded-Host": "evil.example"}}
    site = {"base_url": "http://evil.example"}
    owner = factories.member()
    org = owner.acting_organisation
    reader = factories.member()
    log_in(app.test_client(), reader, **site).post(
        "/bevakningar/ny", data={"name": "Allt", "rhythm": "immediate", "q": ""}, **evil
    )
    anonymous = app.test_client()
    anonymous.post("/konto/glomt-losenord", data={"email": owner.email}, **evil)
    anonymous.post(
        "/konto/registrera",
        data={"name": "Ny", "email": "ny@example.com", "password": factories.PASSWORD},
        **evil,
    )
    client = log_in(app.test_client(), owner, **site)
    client.post(
        f"/organisationer/{org.id}/medlemmar/bjud-in", data={"email": "in@example.com"}, **evil
    )
    from tests.security.routes import ad_form

    assert client.post("/annonser/ny", data=ad_form(None), **evil).status_code == 303
    ad_id = int(re.search(r"/annonser/(\d+)", outbox[-1].get_body(("plain",)).get_content())[1])
    log_in(app.test_client(), reader, **site).post(
        f"/annonser/{ad_id}/intresse",
        data={"message": "Hej! Vi vill gärna samverka kring det här."},
        **evil,
    )
    assert len(outbox) >= 5, [m["Subject"] for m in outbox]
    for message in outbox:
        for part in message.walk():
            if part.get_content_maintype() != "text":
                continue
            body = part.get_content()
            assert "evil.example" not in body, message["Subject"]
            for url in re.findall(r"https?://[^\s\"'<>]+", body):
                assert url.startswith(app.config["BASE_URL"]) or "example.com" in url, url
        for name, value in message.items():
            assert "evil.example" not in str(value), name
