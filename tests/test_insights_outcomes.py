"""What an ad led to: the outcome question by e-mail and on /annonser/<id>/resultat."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from marketplace.ads.models import AdStatus
from marketplace.clock import today, utcnow
from marketplace.extensions import db
from marketplace.insights import tasks
from marketplace.insights.models import CollaborationForm, Outcome, OutcomeRequest
from marketplace.insights.outcomes import ask_about_expired_ads, ask_for_outcome, record_outcome
from marketplace.organisations.models import Role
from tests import factories
from tests.conftest import HTMX, log_in


def closed_ad(org=None, **overrides):
    values = {
        "status": AdStatus.PARTNER_FOUND,
        "closed_at": utcnow(),
        "title": "Läxhjälp på lördagar",
    }
    return factories.ad(org=org, **(values | overrides))


def outcomes() -> list[Outcome]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Outcome)))


# The question page


def test_a_member_says_the_ad_led_to_an_iop_and_sees_the_answer_again(client, member):
    ad = closed_ad(org=member.acting_organisation)
    page = log_in(client, member).get(f"/annonser/{ad.id}/resultat")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Ledde annonsen till samverkan?" in html
    assert "IOP – idéburet offentligt partnerskap" in html and "Upphandling" in html

    response = client.post(
        f"/annonser/{ad.id}/resultat",
        data={"collaborated": "ja", "collaboration_form": "iop", "partner_name": "Kalmar kommun"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/annonser/{ad.id}-{ad.slug}"
    [outcome] = outcomes()
    assert outcome.collaborated and outcome.form is CollaborationForm.IOP
    assert outcome.partner_name == "Kalmar kommun" and outcome.partner_organisation_id is None
    assert outcome.county_code == "08" and outcome.reported_by_id == member.id
    assert "Tack! Resultatet är sparat." in client.get(response.headers["Location"]).get_data(
        as_text=True
    )

    again = client.get(f"/annonser/{ad.id}/resultat").get_data(as_text=True)
    assert 'value="Kalmar kommun"' in again
    assert re.search(r'<input checked[^>]*value="iop"|<input[^>]*value="iop"[^>]*checked', again)


def test_a_partner_on_the_site_is_found_without_javascript_and_linked(client, member):
    partner = factories.organisation(name="Region Kalmar län", slug="region-kalmar-lan")
    ad = closed_ad(org=member.acting_organisation)
    log_in(client, member)
    found = client.post(
        f"/annonser/{ad.id}/resultat",
        data={
            "collaborated": "ja",
            "collaboration_form": "project",
            "partner_name": "region kalmar",
            "find": "1",
        },
    )
    html = found.get_data(as_text=True)
    assert found.status_code == 200  # searching is not saving
    assert "Region Kalmar län" in html and f'value="{partner.id}"' in html
    assert member.acting_organisation.name not in re.sub(
        r".*?partner-suggestions", "", html, flags=re.S
    )
    assert outcomes() == []

    response = client.post(
        f"/annonser/{ad.id}/resultat",
        data={
            "collaborated": "ja",
            "collaboration_form": "project",
            "partner_name": "region kalmar",
            "partner_organisation": str(partner.id),
        },
    )
    assert response.status_code == 303
    [outcome] = outcomes()
    assert outcome.partner_organisation_id == partner.id
    assert outcome.partner_name == "Region Kalmar län"  # the organisation's own name
    again = client.get(f"/annonser/{ad.id}/resultat").get_data(as_text=True)
    assert re.search(
        rf'<input checked[^>]*value="{partner.id}"|<input[^>]*value="{partner.id}"[^>]*checked',
        again,
    )


def test_typing_a_partner_name_with_htmx_lists_matching_organisations(client, member):
    factories.organisation(name="Region Kalmar län", slug="region-kalmar-lan")
    factories.organisation(name="Malmö stad", slug="malmo-stad")
    ad = closed_ad(org=member.acting_organisation)
    response = log_in(client, member).get(
        f"/annonser/{ad.id}/resultat/organisationer",
        query_string={"partner_name": "Region"},
        headers=HTMX,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="partner-suggestions"')
    assert "Region Kalmar län" in html and "Malmö stad" not in html and "<html" not in html


def test_an_incomplete_answer_is_shown_again_with_errors_and_what_was_typed(client, member):
    ad = closed_ad(org=member.acting_organisation)
    response = log_in(client, member).post(
        f"/annonser/{ad.id}/resultat", data={"collaborated": "ja", "partner_name": "Kalmar kommun"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Välj i vilken form ni samverkar." in html
    assert 'value="Kalmar kommun"' in html
    assert re.search(r'<input checked[^>]*value="ja"|<input[^>]*value="ja"[^>]*checked', html)
    assert outcomes() == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Svara ja eller nej."),
        ({"collaborated": "ja", "collaboration_form": "iop"}, "Skriv vem ni samverkar med."),
        (
            {"collaborated": "ja", "collaboration_form": "nonsense", "partner_name": "X"},
            "Välj i vilken form ni samverkar.",
        ),
        ({"collaborated": "kanske"}, "Svara ja eller nej."),
    ],
)
def test_answers_that_break_a_rule_are_refused_with_422(client, member, data, message):
    ad = closed_ad(org=member.acting_organisation)
    response = log_in(client, member).post(f"/annonser/{ad.id}/resultat", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert outcomes() == []


def test_the_own_organisation_cannot_be_its_own_partner(client, member):
    ad = closed_ad(org=member.acting_organisation)
    response = log_in(client, member).post(
        f"/annonser/{ad.id}/resultat",
        data={
            "collaborated": "ja",
            "collaboration_form": "iop",
            "partner_organisation": str(member.acting_organisation.id),
        },
    )
    assert response.status_code == 422
    assert "Välj en annan organisation i listan." in response.get_data(as_text=True)
    assert outcomes() == []


def test_an_invalid_answer_sent_with_htmx_returns_only_the_form(client, member):
    ad = closed_ad(org=member.acting_organisation)
    response = log_in(client, member).post(
        f"/annonser/{ad.id}/resultat", data={"collaborated": "ja"}, headers=HTMX
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.lstrip().startswith('<form id="outcome-form"') and "<html" not in html


def test_there_is_one_outcome_per_ad_and_a_new_answer_replaces_the_old(client, member):
    ad = closed_ad(org=member.acting_organisation)
    log_in(client, member)
    client.post(
        f"/annonser/{ad.id}/resultat",
        data={"collaborated": "ja", "collaboration_form": "grant", "partner_name": "Stiftelsen X"},
    )
    response = client.post(
        f"/annonser/{ad.id}/resultat", data={"collaborated": "nej", "partner_name": "ignoreras"}
    )
    assert response.status_code == 303
    [outcome] = outcomes()
    assert outcome.collaborated is False
    assert (
        outcome.form is None
        and outcome.partner_name == ""
        and outcome.partner_organisation_id is None
    )


def test_any_member_of_the_organisation_may_answer(client):
    org = factories.organisation()
    plain_member = factories.member(org=org, role=Role.MEMBER)
    ad = closed_ad(org=org)
    response = log_in(client, plain_member).post(
        f"/annonser/{ad.id}/resultat",
        data={
            "collaborated": "ja",
            "collaboration_form": "volunteering",
            "partner_name": "Röda Korset",
        },
    )
    assert response.status_code == 303


ROUTES = [
    ("get", "/annonser/{id}/resultat"),
    ("post", "/annonser/{id}/resultat"),
    ("get", "/annonser/{id}/resultat/organisationer?partner_name=Region"),
]
ANSWER = {"collaborated": "ja", "collaboration_form": "iop", "partner_name": "Någon"}


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_anonymous_visitors_are_sent_to_log_in_from_every_outcome_route(client, method, url):
    ad = closed_ad()
    response = getattr(client, method)(url.format(id=ad.id), data=ANSWER)
    assert response.status_code == 302
    assert "/konto/logga-in" in response.headers["Location"]
    assert outcomes() == []


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_members_of_another_organisation_get_403_on_every_outcome_route(
    client, member, method, url
):
    ad = closed_ad()  # another organisation's ad
    response = getattr(log_in(client, member), method)(url.format(id=ad.id), data=ANSWER)
    assert response.status_code == 403
    assert outcomes() == []


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_outcome_routes_of_a_missing_ad_are_404(client, member, method, url):
    response = getattr(log_in(client, member), method)(url.format(id=9999), data=ANSWER)
    assert response.status_code == 404


def test_the_closed_or_expired_ad_page_asks_its_members_and_no_one_else(client, member):
    closed = closed_ad(org=member.acting_organisation)
    expired = factories.ad(
        org=member.acting_organisation, expires_on=today() - timedelta(days=1), title="Utgången"
    )
    still_open = factories.ad(org=member.acting_organisation, title="Öppen")
    prompt = "Berätta om resultatet"
    assert prompt not in client.get(f"/annonser/{closed.id}-{closed.slug}").get_data(as_text=True)
    log_in(client, member)
    for ad in (closed, expired):
        html = client.get(f"/annonser/{ad.id}-{ad.slug}").get_data(as_text=True)
        assert prompt in html and f'href="/annonser/{ad.id}/resultat"' in html
    assert prompt not in client.get(f"/annonser/{still_open.id}-{still_open.slug}").get_data(
        as_text=True
    )
    other = closed_ad(title="Någon annans")
    assert prompt not in client.get(f"/annonser/{other.id}-{other.slug}").get_data(as_text=True)


# Asking by e-mail


def _asked() -> set[int]:
    return set(db.session.scalars(sa.select(OutcomeRequest.ad_id)))


def test_the_daily_job_asks_about_yesterdays_expired_and_recently_closed_ads_once(app, outbox):
    day = today()
    org = factories.organisation(name="Kalmar Språkcafé")
    first = factories.member(org=org, email="anna@example.com")
    second = factories.member(org=org, role=Role.MEMBER, email="bo@example.com")
    factories.member(org=org, confirmed=False, email="obekraftad@example.com")
    expired = factories.ad(org=org, title="Utgick i går", expires_on=day - timedelta(days=1))
    closed = factories.ad(
        org=org, title="Stängd nyss", status=AdStatus.NOT_CURRENT, closed_at=utcnow()
    )
    factories.ad(org=org, title="Fortfarande öppen")
    factories.ad(org=org, title="Utgick för länge sedan", expires_on=day - timedelta(days=60))
    factories.ad(
        org=org,
        title="Stängd för länge sedan",
        status=AdStatus.PARTNER_FOUND,
        closed_at=datetime.combine(day - timedelta(days=90), datetime.min.time()),
    )

    assert ask_about_expired_ads(day) == 4  # two ads, two confirmed members each
    assert _asked() == {expired.id, closed.id}
    assert sorted((m["To"], m["Subject"]) for m in outbox) == sorted(
        [
            (first.email, "Ledde annonsen ”Utgick i går” till samverkan?"),
            (second.email, "Ledde annonsen ”Utgick i går” till samverkan?"),
            (first.email, "Ledde annonsen ”Stängd nyss” till samverkan?"),
            (second.email, "Ledde annonsen ”Stängd nyss” till samverkan?"),
        ]
    )
    message = next(m for m in outbox if "Utgick i går" in m["Subject"])
    text = message.get_body(("plain",)).get_content()
    assert f"http://localhost/annonser/{expired.id}/resultat" in text
    assert "har slutat visas" in text
    assert (
        f'href="http://localhost/annonser/{expired.id}/resultat"'
        in message.get_body(("html",)).get_content()
    )

    assert ask_about_expired_ads(day) == 0  # the next day's run asks no one again
    assert ask_about_expired_ads(day + timedelta(days=1)) == 0
    assert len(outbox) == 4


def test_closing_an_ad_on_the_site_leads_to_one_question(client, member, outbox):
    ad = factories.ad(org=member.acting_organisation)
    log_in(client, member).post(f"/annonser/{ad.id}/stang", data={"reason": "partner_found"})
    ask_about_expired_ads()
    ask_about_expired_ads()
    assert [m["To"] for m in outbox] == [member.email]
    assert "/resultat" in outbox[0].get_body(("plain",)).get_content()


def test_asking_directly_is_once_per_ad_and_not_after_an_answer(app, member, outbox):
    ad = closed_ad(org=member.acting_organisation)
    assert ask_for_outcome(ad) == 1
    assert ask_for_outcome(ad) == 0
    db.session.commit()
    answered = closed_ad(org=member.acting_organisation, title="Redan besvarad")
    record_outcome(answered, member, collaborated=False)
    assert ask_for_outcome(answered) == 0
    assert ask_about_expired_ads() == 0
    assert _asked() == {ad.id}


def test_the_periodic_task_runs_the_daily_questions(app, member, outbox):
    factories.ad(org=member.acting_organisation, expires_on=today() - timedelta(days=1))
    tasks.ask_about_expired_ads.call_local()
    assert [m["To"] for m in outbox] == [member.email]
