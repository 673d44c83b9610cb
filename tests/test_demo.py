"""The demo site `make run` builds: what a newcomer sees after `flask seed-demo --if-empty`.

Loading the demo replays a year through the services and takes seconds, so this module loads
it once, into its own database, and its tests only read it (the one that seeds again checks
that nothing changes).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from marketplace import create_app, demo, reference
from marketplace.accounts.models import User
from marketplace.ads.models import Ad, AdChallenge, AdStatus
from marketplace.clock import today, utcnow
from marketplace.config import TestConfig
from marketplace.contact.models import Conversation, Message
from marketplace.extensions import db
from marketplace.insights.models import CollaborationForm, Outcome, OutcomeRequest
from marketplace.matching.models import MatchNotice
from marketplace.notifications.models import OutboxEmail
from marketplace.organisations.models import Membership, Organisation
from marketplace.partnerships.models import Partnership
from tests.conftest import FreshContextClient, log_in, reset_database
from tests.databases import own_database_url

# Loading the demo is the slow part: once per run, on one xdist worker (tests/conftest.py).
pytestmark = pytest.mark.slow

ACTIVITY_CAPTION = "Matchningar, kontakter och resultat per månad, Hela Sverige"
OUTCOME_CAPTION = "Rapporterade resultat per samverkansform, Hela Sverige"


@pytest.fixture(scope="module")
def demo_site(smtp_server):
    """An app whose database holds the demo, loaded once the way `make run` loads it (in
    memory on SQLite; on PostgreSQL a database of its own, which tests using `app` leave be)."""
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=own_database_url("demo") or TestConfig.SQLALCHEMY_DATABASE_URI,
        MAIL_BACKEND="smtp",
        MAIL_SERVER=smtp_server.hostname,
        MAIL_PORT=smtp_server.port,
    )
    app.test_client_class = FreshContextClient
    with app.app_context():
        reset_database()
        result = app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])
        assert result.exit_code == 0, result.output
        app.config["SEED_OUTPUT"] = result.output
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def client(demo_site):
    return demo_site.test_client()


def count(column) -> int:
    return db.session.scalar(sa.select(sa.func.count(column))) or 0


def key_figure(html: str, label: str) -> int:
    match = re.search(rf"<dt>{label}</dt><dd>(\d+)", html)
    assert match, label
    return int(match.group(1))


def table_rows(html: str, caption: str) -> list[list[str]]:
    """The body rows of the table with this caption: the header cell, then the numbers."""
    table = html.split(f"<caption>{caption}</caption>", 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


# Statistics


def test_the_statistics_page_shows_a_year_of_matches_contacts_and_outcomes(client):
    response = client.get("/statistik")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert key_figure(html, "Öppna behov") >= 25
    assert key_figure(html, "Öppna erbjudanden") >= 25
    assert key_figure(html, "Nya annonser") == count(Ad.id)  # every demo ad is from this year
    # Everything the history made falls inside the last 12 months, whatever today is.
    assert key_figure(html, "Föreslagna matchningar") == count(MatchNotice.id) >= 100
    assert key_figure(html, "Kontakter") == count(Conversation.id) >= 40
    assert key_figure(html, "Rapporterade resultat") == count(Outcome.id) >= 25

    months = table_rows(html, ACTIVITY_CAPTION)
    assert len(months) == 12
    matches, contacts, outcomes = ([int(row[column]) for row in months] for column in (1, 2, 3))
    for series in (matches, contacts, outcomes):
        assert sum(series[6:]) > 2 * sum(series[:6]) > 0, series  # rising over the year
    assert sum(1 for number in contacts if number) >= 9, contacts  # hardly a month without
    assert max(matches[-3:]) == max(matches)


def test_every_collaboration_form_has_been_reported(client):
    html = client.get("/statistik").get_data(as_text=True)

    reported = {row[0]: int(row[1]) for row in table_rows(html, OUTCOME_CAPTION)}

    assert len(reported) == len(CollaborationForm) + 1  # and "did not lead to collaboration"
    assert all(reported.values()), reported
    assert reported["IOP – idéburet offentligt partnerskap"] >= 2


def test_the_map_and_the_challenges_are_shaded_by_the_open_ads(client):
    html = client.get("/statistik").get_data(as_text=True)

    assert html.count("data-county=") == 21
    counties = {
        row[0]: int(row[3]) for row in table_rows(html, "Öppna behov och erbjudanden per län i dag")
    }
    assert max(counties, key=counties.get) == "Kalmar län"
    assert sum(1 for total in counties.values() if total) >= 12


# People and their inboxes


def test_a_demo_coordinator_logs_in_and_finds_conversations_with_unread_messages(client):
    log_in(client, "anna.lindqvist@example.org", form=True, password=demo.DEMO_PASSWORD)

    html = client.get("/inkorg").get_data(as_text=True)

    # The header's inbox link: "Inkorg", the badge "2" and, for screen readers, "olästa meddelanden".
    inbox_link = re.search(r'<a class="inbox-link" href="/inkorg"[^>]*>(.*?)</a>', html, re.S)
    assert inbox_link
    link_text = " ".join(re.sub(r"<[^>]+>", " ", inbox_link.group(1)).split())
    assert link_text == "Inkorg 2 olästa meddelanden"
    assert html.count('<li class="card card-unread">') == 2
    assert html.count("1 oläst") == 2
    assert "Föreningen Språkvän Kalmar" in html and "Svenska kyrkan i Västervik" in html
    assert html.count('<li class="card') >= 5


def test_the_accounts_the_readme_lists_log_in_with_its_password_and_have_unread_mail(demo_site):
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Demo data and demo accounts", 1)[1].split("\n## ", 1)[0]
    accounts = re.findall(r"^\| `([^`]+@example\.org)` \|", section, re.M)

    assert f"`{demo.DEMO_PASSWORD}`" in section
    assert len(accounts) >= 4
    for email in accounts:
        client = demo_site.test_client()
        log_in(client, email, form=True, password=demo.DEMO_PASSWORD)
        assert "card-unread" in client.get("/inkorg").get_data(as_text=True), email


def test_the_replay_emailed_nobody_and_everyone_is_confirmed_since_joining(demo_site):
    people = db.session.scalars(sa.select(User)).all()

    assert len(people) == len(demo.demo_people()) >= 30
    assert all(user.email_confirmed_at == user.created_at for user in people)
    assert all(user.created_at < utcnow() - timedelta(days=300) for user in people)
    assert count(OutboxEmail.id) == 0
    assert count(Membership.id) == len(people) - 1  # Olle Berg waits for an answer to join


# The history is consistent


def test_the_history_happened_in_order_and_never_in_the_future(demo_site):
    now = utcnow()
    ads = {ad.id: ad for ad in db.session.scalars(sa.select(Ad))}
    conversations = db.session.scalars(sa.select(Conversation)).all()
    messages = db.session.scalars(sa.select(Message).order_by(Message.id)).all()
    by_conversation: dict[int, list[Message]] = {}
    for message in messages:
        by_conversation.setdefault(message.conversation_id, []).append(message)

    for conversation in conversations:
        thread = by_conversation[conversation.id]
        if not conversation.is_direct:  # a direct one has no ad to come after
            assert ads[conversation.ad_id].published_at <= conversation.created_at
        assert conversation.created_at == thread[0].created_at
        assert conversation.last_message_at == thread[-1].created_at <= now
        assert [m.created_at for m in thread] == sorted(m.created_at for m in thread)
        assert thread[0].organisation_id == conversation.interested_organisation_id
    for notice in db.session.scalars(sa.select(MatchNotice)):
        older, newer = ads[notice.ad_id], ads[notice.matched_ad_id]  # announced to the older
        # (today's ad is stored at midnight UTC, which may still lie ahead: min with now)
        assert older.published_at <= newer.published_at
        assert min(newer.published_at, now) <= notice.created_at <= now
    for outcome in db.session.scalars(sa.select(Outcome)):
        ad = ads[outcome.ad_id]
        ended = ad.closed_at or datetime.combine(ad.expires_on, datetime.min.time())
        assert ad.published_at < ended < outcome.reported_at <= now
        assert db.session.get(OutcomeRequest, ad.id) is not None
    closed = [ad for ad in ads.values() if ad.status is not AdStatus.OPEN]
    assert closed and all(ad.published_at < ad.closed_at <= now for ad in closed)
    assert max(ad.published_at.date() for ad in ads.values()) <= today()


def test_a_language_cafe_answered_the_regions_need_and_it_became_an_iop(demo_site):
    region = db.session.scalar(
        sa.select(Organisation).where(Organisation.name == "Region Kalmar län")
    )
    cafe = db.session.scalar(
        sa.select(Organisation).where(Organisation.name == "Föreningen Språkvän Kalmar")
    )

    outcome = db.session.scalar(
        sa.select(Outcome).where(
            Outcome.organisation_id == region.id, Outcome.partner_organisation_id == cafe.id
        )
    )
    assert outcome.collaborated and outcome.form is CollaborationForm.IOP
    conversation = db.session.scalar(
        sa.select(Conversation).where(Conversation.ad_id == outcome.ad_id)
    )
    assert conversation.interested_organisation_id == cafe.id
    assert count(Message.id) > 2 * count(Conversation.id)  # people answer each other


def test_the_region_and_the_cafe_approved_their_agreement_and_a_shelters_draft_is_unclear(client):
    """One approved Samverkansöverenskommelse (its outcome recorded from it) and one draft."""
    approved, draft = db.session.scalars(sa.select(Partnership).order_by(Partnership.id)).all()
    log_in(client, "anna.lindqvist@example.org", form=True, password=demo.DEMO_PASSWORD)
    html = client.get(f"/inkorg/{approved.conversation_id}/overenskommelse").get_data(as_text=True)
    assert re.search(
        r"Godkänd av Region Kalmar län [\d-]+, Föreningen Språkvän Kalmar [\d-]+", html
    )
    assert "Förutsättningar för IOP finns" in html and "120\u00a0000 kr per år" in html
    assert "Registrerat" in html  # the ad's outcome, recorded from the agreement
    pdf = client.get(f"/inkorg/{approved.conversation_id}/overenskommelse.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    assert client.get(f"/inkorg/{draft.conversation_id}/overenskommelse").status_code == 404

    log_in(client, "per.nilsson@example.org", form=True, password=demo.DEMO_PASSWORD)
    html = client.get(f"/inkorg/{draft.conversation_id}/overenskommelse").get_data(as_text=True)
    assert "Oklart — se punkt 1 och 3" in html
    assert "Utkast: inte godkänt av båda parter." in html
    assert "Kvinnojouren Vilja" in html


# The ads


def test_the_demo_covers_every_challenge_many_counties_and_all_sectors(demo_site):
    organisations = db.session.scalars(sa.select(Organisation)).all()
    ads = db.session.scalars(sa.select(Ad)).all()
    open_ads = [ad for ad in ads if ad.is_open(today())]

    assert 25 <= len(organisations) <= 35
    assert 70 <= len(open_ads) <= 90 and len(ads) > len(open_ads) + 20
    assert set(db.session.scalars(sa.select(AdChallenge.challenge))) == set(reference.challenges())
    assert len({ad.county_code for ad in open_ads if ad.county_code}) >= 12
    assert any(ad.county_code is None for ad in open_ads)  # some ads are for all of Sweden
    assert {ad.kind.value for ad in open_ads} == {"need", "offer", "idea"}
    assert Counter(ad.status for ad in ads)[AdStatus.PARTNER_FOUND] >= 20
    text = " ".join(f"{ad.title} {ad.body}" for ad in ads).lower()
    assert "lorem" not in text and "ipsum" not in text


def test_a_few_demo_organisations_have_logos_and_the_rest_monograms(client):
    organisations = db.session.scalars(sa.select(Organisation).order_by(Organisation.id)).all()
    with_logo = [org for org in organisations if org.logo_hash]

    assert 5 <= len(with_logo) <= 10 and len(organisations) - len(with_logo) >= 20
    assert not any(org.is_public_body for org in with_logo)  # no made-up logo for a real body
    sprakvan = next(org for org in with_logo if org.name == "Föreningen Språkvän Kalmar")
    page = client.get(f"/organisationer/{sprakvan.id}-{sprakvan.slug}").get_data(as_text=True)
    assert f'src="/logo/{sprakvan.logo_hash}-96.webp"' in page
    image = client.get(f"/logo/{sprakvan.logo_hash}-192.webp")
    assert image.status_code == 200 and image.mimetype == "image/webp"
    region = next(org for org in organisations if org.name == "Region Kalmar län")
    page = client.get(f"/organisationer/{region.id}-{region.slug}").get_data(as_text=True)
    assert 'class="monogram' in page


def test_open_demo_ads_are_fresh_and_closed_ones_stay_out_of_search(client):
    ads = db.session.scalars(sa.select(Ad)).all()
    open_ads = [ad for ad in ads if ad.is_open(today())]

    assert max(ad.published_at.date() for ad in ads) == today()
    assert all(ad.published_at.date() >= today() - timedelta(days=120) for ad in open_ads)
    assert all(ad.expires_on >= today() + timedelta(days=30) for ad in open_ads)
    body = client.get("/api/v1/ads", query_string={"per_page": 100}).get_json()
    assert body["total"] == len(open_ads)


def test_the_demo_ads_are_searchable_in_swedish(client):
    body = client.get("/api/v1/ads", query_string={"q": "läxhjälpare", "county": "08"}).get_json()

    assert body["total"] >= 1
    assert body["items"][0]["organisation"]["name"] == "Läxhjälpen Norrliden"


# Loading again


def test_seeding_again_changes_nothing(demo_site):
    def snapshot() -> dict[str, int]:
        db.session.expire_all()
        return {
            table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
            for table in db.metadata.sorted_tables
        }

    before = snapshot()
    runner = demo_site.test_cli_runner()

    if_empty = runner.invoke(args=["seed-demo", "--if-empty"])
    again = runner.invoke(args=["seed-demo"])

    assert "organisations: 33 created" in demo_site.config["SEED_OUTPUT"]
    assert "history: 33 people" in demo_site.config["SEED_OUTPUT"]
    assert if_empty.exit_code == 0 and "not loaded" in if_empty.output
    assert again.exit_code == 0, again.output
    assert "0 created, 0 updated, 33 unchanged" in again.output
    imported = db.session.scalar(sa.select(sa.func.count(Ad.id)).where(Ad.import_ref.is_not(None)))
    assert (
        f"0 created, 0 updated, {imported} unchanged" in again.output
    )  # the crisis ads were posted
    assert "history was loaded before" in again.output
    assert snapshot() == before


# Crises and the regional Överenskommelser (marketplace.demo_crises)


def test_the_demo_has_an_active_crisis_in_kalmar_and_an_ended_one_with_outcomes(demo_site):
    from marketplace.crises import services as crises

    client = demo_site.test_client()
    active = [crisis for crisis in crises.all_crises() if crisis.is_active(today())]
    assert [crisis.county_codes for crisis in active] == [["08"]]
    page = client.get(f"/kris/{active[0].slug}").get_data(as_text=True)
    assert "Tolkar till informationsmöten för evakuerade" in page  # a need by a public body
    assert "Språkvänner tolkar på informationsmöten" in page  # an offer by an association
    assert "Krisstöd och samtal för drabbade" in page  # an offer by the region
    counts = crises.counts([active[0].id])[active[0].id]
    assert counts.conversations == 1 and counts.needs == 2 and counts.offers == 2
    assert "crisis-banner" in client.get("/").get_data(as_text=True)
    [ended] = [crisis for crisis in crises.all_crises() if crisis.has_ended(today())]
    ended_page = client.get(f"/kris/{ended.slug}").get_data(as_text=True)
    assert "Krisen avslutades" in ended_page
    assert "Svenska kyrkan i Västervik" in ended_page
    assert crises.counts([ended.id])[ended.id].outcomes == 1


def test_the_demo_has_the_four_agreements_with_signatories_one_awaiting(demo_site):
    from marketplace.agreements.models import Signatory

    client = demo_site.test_client()
    body = client.get("/api/v1/agreements").get_json()
    assert sorted(item["county"] for item in body["items"]) == ["05", "08", "12", "14"]
    kalmar = next(item for item in body["items"] if item["county"] == "08")
    assert len(kalmar["signatories"]) == 3
    waiting = db.session.scalars(sa.select(Signatory).where(Signatory.confirmed_at.is_(None))).all()
    assert [item.organisation.name for item in waiting] == ["Stiftelsen Matbanken Skåne"]


def test_every_trust_state_can_be_seen_in_the_demo(demo_site):
    from marketplace.organisations.models import (
        ApplicationStatus,
        JoinRequest,
        JoinStatus,
        Organisation,
        VerificationApplication,
    )

    organisations = db.session.scalars(sa.select(Organisation)).all()
    public = [o for o in organisations if o.sector.value == "public"]
    assert public and all(o.verified_via == "domain" and o.verified_domain for o in public)
    assert len([o for o in organisations if o.verified_via == "review"]) == 2
    assert any(not o.is_verified for o in organisations)
    waiting = db.session.scalar(sa.select(VerificationApplication))
    assert waiting.status is ApplicationStatus.PENDING
    assert waiting.organisation.name == "Kvinnojouren Vilja i Växjö"
    request = db.session.scalar(sa.select(JoinRequest))
    assert request.status is JoinStatus.PENDING and request.user.name == "Olle Berg"
    assert request.organisation.name == "Föreningen Språkvän Kalmar"


def test_a_direct_conversation_without_an_ad_is_in_the_demo_inbox(client):
    log_in(client, "leila.haddad@example.org", form=True, password=demo.DEMO_PASSWORD)

    html = client.get("/inkorg").get_data(as_text=True)

    entry = html.split(">Läxhjälpen Norrliden</a>")[1].split("</li>", 1)[0]
    assert "Direktkontakt" in entry
