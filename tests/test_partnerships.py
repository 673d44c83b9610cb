"""Samverkansöverenskommelse through HTTP: who may see it, versions and conflicts, the IOP check,
approvals, the outcome, the printable page and the PDF."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pypdf
import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.ads.models import Ad
from marketplace.contact import services as contact_services
from marketplace.contact.models import Conversation
from marketplace.extensions import db
from marketplace.insights import statistics as insights
from marketplace.insights.models import CollaborationForm, Outcome
from marketplace.notifications.models import OutboxEmail
from marketplace.organisations.models import LegalForm, Organisation, Role, Sector
from marketplace.partnerships import iop, services
from marketplace.partnerships.models import Partnership, PartnershipApproval, PartnershipVersion
from tests import factories
from tests.conftest import HTMX, log_in

PURPOSE = "Att nyanlända familjer i Kalmar ska förstå hur vården fungerar och hitta rätt."
OTHER_PURPOSE = "Att sprida vårdens information på arabiska, dari och tigrinja via språkcaféet."


@dataclass
class World:
    """The region's ad, the language café's conversation about it, and people on each side."""

    region: Organisation
    anna: User  # the region's coordinator
    colleague: User  # a plain member of the region
    cafe: Organisation
    leila: User  # the café's coordinator
    outsider: User  # a member of a third organisation
    ad: Ad
    conversation: Conversation

    @property
    def url(self) -> str:
        return f"/inkorg/{self.conversation.id}/overenskommelse"


def build() -> World:
    region = factories.organisation(
        name="Region Kalmar län",
        sector=Sector.PUBLIC,
        legal_form=LegalForm.REGION,
        org_number="232100-0073",
        challenges=("public-health",),
    )
    anna = factories.member(org=region, name="Anna Lindqvist")
    colleague = factories.member(org=region, role=Role.MEMBER, name="Cilla Kollega")
    cafe = factories.organisation(name="Föreningen Språkvän Kalmar")
    leila = factories.member(org=cafe, name="Leila Haddad", locale="en")
    outsider = factories.member(org=factories.organisation(name="Främlingarna"), name="Uno Ute")
    ad = factories.ad(
        org=region,
        title="Föreningar som vill sprida vårdens information på fler språk",
        challenges=("integration", "public-health"),
    )
    message = contact_services.show_interest(
        leila, cafe, ad, "Hej! Vi driver språkcafé och vill gärna hjälpa till."
    )
    conversation = db.session.get(Conversation, message.conversation_id)
    return World(region, anna, colleague, cafe, leila, outsider, ad, conversation)


@pytest.fixture
def world(app) -> World:
    return build()


def client_for(app, user: User | None):
    client = app.test_client()
    return log_in(client, user) if user is not None else client


def the_partnership() -> Partnership:
    db.session.expire_all()
    return db.session.scalars(sa.select(Partnership)).one()


def versions() -> list[PartnershipVersion]:
    return list(
        db.session.scalars(sa.select(PartnershipVersion).order_by(PartnershipVersion.number))
    )


def started(app, world: World) -> Partnership:
    response = client_for(app, world.anna).post(world.url)
    assert response.status_code == 303
    return the_partnership()


def save(client, world: World, key: str, data: dict, base: int, **kwargs):
    return client.post(f"{world.url}/{key}", data={**data, "base_version": str(base)}, **kwargs)


def text(response) -> str:
    return response.get_data(as_text=True)


# --- Who may see it -----------------------------------------------------------------------------


ROUTES = [
    ("GET", ""),
    ("POST", ""),
    ("GET", "/syfte"),
    ("POST", "/syfte"),
    ("POST", "/godkann"),
    ("POST", "/resultat"),
    ("GET", "/versioner"),
    ("GET", "/utskrift"),
    ("GET", ".pdf"),
]


@pytest.mark.parametrize(("method", "suffix"), ROUTES)
def test_outsiders_get_404_on_every_route_and_change_nothing(app, world, method, suffix):
    partnership = started(app, world)
    outsider = client_for(app, world.outsider)
    data = {"purpose": "Inbrytning", "base_version": "1", "version": "1", "record_as": "iop"}
    response = outsider.open(world.url + suffix, method=method, data=data)
    assert response.status_code == 404
    assert PURPOSE not in text(response) and "Region Kalmar län" not in text(response)
    assert the_partnership().version == partnership.version
    assert db.session.scalar(sa.select(sa.func.count(PartnershipApproval.id))) == 0


@pytest.mark.parametrize(("method", "suffix"), ROUTES)
def test_anonymous_visitors_are_sent_to_log_in_from_every_route(app, world, method, suffix):
    started(app, world)
    response = app.test_client().open(world.url + suffix, method=method)
    assert response.status_code in (302, 303)
    assert response.headers["Location"].startswith("/konto/logga-in")


def test_an_outsider_cannot_start_one_in_someone_elses_conversation(app, world):
    response = client_for(app, world.outsider).post(world.url)
    assert response.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(Partnership.id))) == 0


def test_unknown_sections_and_conversations_are_404_for_parties_too(app, world):
    started(app, world)
    anna = client_for(app, world.anna)
    assert anna.get(f"{world.url}/finns-inte").status_code == 404
    assert anna.post(f"{world.url}/finns-inte", data={"base_version": "1"}).status_code == 404
    assert anna.get("/inkorg/999999/overenskommelse").status_code == 404


def test_before_it_is_started_its_pages_are_404_but_the_start_page_is_not(app, world):
    anna = client_for(app, world.anna)
    page = anna.get(world.url)
    assert page.status_code == 200
    assert "Starta en samverkansöverenskommelse" in text(page)
    for suffix in ("/syfte", "/versioner", "/utskrift", ".pdf"):
        assert anna.get(world.url + suffix).status_code == 404, suffix


def test_an_unconfirmed_member_may_read_but_not_change_it(app, world):
    started(app, world)
    newcomer = factories.member(org=world.region, role=Role.MEMBER, confirmed=False)
    client = client_for(app, newcomer)
    page = text(client.get(world.url))
    assert "Bekräfta din e-postadress för att kunna skriva i" in page and "Ändra" not in page
    assert 'name="purpose"' not in text(client.get(f"{world.url}/syfte"))
    response = save(client, world, "syfte", {"purpose": PURPOSE}, 1)
    assert response.status_code == 303 and "bekrafta" in response.headers["Location"]
    assert the_partnership().version == 1


# --- Starting -----------------------------------------------------------------------------------


def test_either_side_starts_it_with_the_parties_filled_in_from_the_organisations(app, world):
    response = client_for(app, world.leila).post(world.url)
    assert response.status_code == 303
    partnership = the_partnership()
    content = partnership.content
    assert content["a_name"] == "Region Kalmar län" and content["a_org_number"] == "232100-0073"
    assert content["b_name"] == "Föreningen Språkvän Kalmar" and content["b_org_number"] == ""
    assert content["b_contact"] == "Leila Haddad"  # the person who started it
    assert content["a_contact"] == ""  # the region has not written in the conversation yet
    assert "Integration" in content["challenges"]
    [first] = versions()
    assert (first.number, first.section, first.author_id) == (1, "start", world.leila.id)


def test_starting_twice_keeps_one_document(app, world):
    started(app, world)
    assert client_for(app, world.leila).post(world.url).status_code == 303
    assert db.session.scalar(sa.select(sa.func.count(Partnership.id))) == 1


def test_the_conversation_links_to_the_agreement(app, world):
    page = client_for(app, world.colleague).get(f"/inkorg/{world.conversation.id}")
    assert f'href="{world.url}"' in text(page)


def test_public_bodies_are_reminded_that_the_draft_may_become_a_public_record(app, world):
    anna = client_for(app, world.anna)
    assert "allmänna handlingar" in text(anna.get(world.url))  # before starting, too
    started(app, world)
    for suffix in ("", "/syfte", "/utskrift"):
        assert "allmänna handlingar" in text(anna.get(world.url + suffix)), suffix


def test_two_idea_driven_parties_get_no_public_record_reminder(app):
    org = factories.organisation(name="Läxhjälpen")
    owner = factories.member(org=org)
    other_org = factories.organisation(name="Kyrkan")
    writer = factories.member(org=other_org)
    ad = factories.ad(org=org)
    message = contact_services.show_interest(writer, other_org, ad, "Vi har lokaler att låna ut.")
    url = f"/inkorg/{message.conversation_id}/overenskommelse"
    client = client_for(app, owner)
    client.post(url)
    html = text(client.get(url))
    assert "allmänna handlingar" not in html
    assert "Ett IOP ingås mellan en offentlig organisation" in html


# --- Saving, versions and conflicts -------------------------------------------------------------


def test_a_saved_section_is_a_new_version_with_who_when_and_what_changed(app, world):
    started(app, world)
    leila = client_for(app, world.leila)
    response = save(leila, world, "syfte", {"purpose": PURPOSE, "challenges": "Integration"}, 1)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("#avsnitt-syfte")
    partnership = the_partnership()
    assert partnership.version == 2 and partnership.content["purpose"] == PURPOSE
    latest = versions()[-1]
    assert latest.section == "syfte" and latest.author_id == world.leila.id
    assert latest.organisation_id == world.cafe.id
    assert latest.changes["purpose"] == ["", PURPOSE]
    assert "challenges" in latest.changes

    page = text(client_for(app, world.anna).get(world.url))
    assert PURPOSE in page and "Version 2" in page
    history = text(client_for(app, world.anna).get(f"{world.url}/versioner"))
    assert "Leila Haddad" in history and "Föreningen Språkvän Kalmar" in history
    assert "Syfte och samhällsutmaning" in history and PURPOSE in history


def test_saving_the_same_text_again_makes_no_new_version(app, world):
    started(app, world)
    anna = client_for(app, world.anna)
    save(anna, world, "syfte", {"purpose": PURPOSE}, 1)
    response = save(anna, world, "syfte", {"purpose": PURPOSE + "  "}, 2)
    assert response.status_code == 303
    assert the_partnership().version == 2


def test_a_save_from_an_old_version_of_the_same_text_is_a_conflict_that_keeps_both(app, world):
    started(app, world)
    leila, anna = client_for(app, world.leila), client_for(app, world.anna)
    assert save(leila, world, "syfte", {"purpose": PURPOSE}, 1).status_code == 303

    response = save(anna, world, "syfte", {"purpose": OTHER_PURPOSE}, 1)  # Anna saw version 1
    html = text(response)
    assert response.status_code == 409
    assert "Någon annan har ändrat samma text medan du skrev." in html
    assert PURPOSE in html  # their text
    assert f"{OTHER_PURPOSE}</textarea>" in html  # her input, still in the field
    assert "Leila Haddad" in html
    assert 'name="base_version" type="hidden" value="2"' in html
    assert the_partnership().content["purpose"] == PURPOSE and the_partnership().version == 2

    # Saving again from the form she was given replaces their text, knowingly.
    assert save(anna, world, "syfte", {"purpose": OTHER_PURPOSE}, 2).status_code == 303
    assert the_partnership().content["purpose"] == OTHER_PURPOSE


def test_a_conflict_with_htmx_returns_only_the_section_with_both_texts(app, world):
    started(app, world)
    save(client_for(app, world.leila), world, "syfte", {"purpose": PURPOSE}, 1)
    response = save(
        client_for(app, world.anna), world, "syfte", {"purpose": OTHER_PURPOSE}, 1, headers=HTMX
    )
    html = text(response)
    assert response.status_code == 409
    assert html.lstrip().startswith('<section id="avsnitt-syfte"') and "<html" not in html
    assert PURPOSE in html and OTHER_PURPOSE in html


def test_changes_to_other_fields_or_sections_meanwhile_are_merged(app, world):
    prefilled = started(app, world).content["challenges"]
    leila, anna = client_for(app, world.leila), client_for(app, world.anna)
    save(leila, world, "syfte", {"purpose": PURPOSE, "challenges": prefilled}, 1)
    save(leila, world, "tvister", {"disputes": "Styrgruppen löser oenighet."}, 2)
    # Anna opened the purpose section at version 1: she changes only the challenges.
    response = save(anna, world, "syfte", {"purpose": "", "challenges": "Folkhälsa"}, 1)
    assert response.status_code == 303
    content = the_partnership().content
    assert content["purpose"] == PURPOSE  # Leila's text stays: Anna left the field as it was
    assert content["challenges"] == "Folkhälsa"
    assert content["disputes"] == "Styrgruppen löser oenighet."
    assert the_partnership().version == 4


def test_a_save_that_loses_the_race_is_checked_again_and_never_overwrites(app, world):
    """The stored version moves between reading the document and writing it: the write is
    refused by the database (UPDATE … WHERE version = what was read), read again, and found
    to be a conflict."""
    partnership = started(app, world)
    stale = db.session.get(Partnership, partnership.id)  # this session read version 1
    save(client_for(app, world.leila), world, "syfte", {"purpose": PURPOSE}, 1)  # another request
    with pytest.raises(services.Conflict) as caught:
        services.save_section(
            world.anna, world.conversation, stale, "syfte", {"purpose": OTHER_PURPOSE}, 1
        )
    assert caught.value.theirs == {"purpose": PURPOSE} and caught.value.version == 2
    assert the_partnership().content["purpose"] == PURPOSE


@pytest.mark.parametrize(
    ("key", "data", "field", "message"),
    [
        (
            "syfte",
            {"purpose": "å" * 3001},
            "purpose",
            "Högst 3\u00a0000 tecken – nu är det 3\u00a0001.",
        ),
        ("parter", {"a_name": "R" * 201}, "a_name", "Högst 200 tecken – nu är det 201."),
        ("parter", {"b_org_number": "802002-8712"}, "b_org_number", "kontrollsiffran"),
        ("insatser", {"a_money": "mycket"}, "a_money", "Skriv ett belopp i hela kronor"),
        ("insatser", {"a_money": "12345678901"}, "a_money", "Högst 9\u00a0999\u00a0999\u00a0999"),
        (
            "insatser",
            {"b_staff_hours": "4,5 h?"},
            "b_staff_hours",
            "Skriv antalet timmar som ett heltal",
        ),
        ("period", {"starts_on": "2027-02-30"}, "starts_on", "Skriv datumet som ÅÅÅÅ-MM-DD"),
        (
            "period",
            {"starts_on": "2027-06-01", "ends_on": "2027-01-01"},
            "ends_on",
            "Slutdatumet kan inte vara före startdatumet.",
        ),
        ("iop", {"iop_1": "kanske"}, "iop_1", "Välj ja, nej eller osäker."),
    ],
)
def test_input_that_breaks_a_rule_comes_back_with_the_message_and_everything_typed(
    app, world, key, data, field, message
):
    started(app, world)
    anna = client_for(app, world.anna)
    typed = data
    response = save(anna, world, key, typed, 1)
    html = text(response)
    assert response.status_code == 422
    assert message in html
    assert f'id="{field}-help"' in html and "has-errors" in html
    for value in typed.values() if key != "iop" else ():  # a radio button keeps only real options
        assert value in html
    assert the_partnership().version == 1


def test_amounts_hours_and_dates_are_stored_plainly_and_shown_in_the_readers_language(app, world):
    started(app, world)
    anna = client_for(app, world.anna)
    data = {"a_money": "250 000 kr", "a_staff_hours": "400", "b_volunteers": "Åtta volontärer"}
    assert save(anna, world, "insatser", data, 1).status_code == 303
    assert (
        save(
            anna, world, "period", {"starts_on": "2027-01-12", "termination": "Sex månader."}, 2
        ).status_code
        == 303
    )
    content = the_partnership().content
    assert (content["a_money"], content["a_staff_hours"], content["starts_on"]) == (
        "250000",
        "400",
        "2027-01-12",
    )
    page = text(anna.get(world.url))
    assert "250\u00a0000 kr per år" in page and "400 timmar per år" in page
    assert "12 januari 2027" in page


def test_a_section_saved_with_htmx_comes_back_in_place_with_the_status(app, world):
    started(app, world)
    response = save(
        client_for(app, world.anna), world, "syfte", {"purpose": PURPOSE}, 1, headers=HTMX
    )
    html = text(response)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<section id="avsnitt-syfte"')
    assert PURPOSE in html and "sparat som version 2" in html
    assert 'id="status"' in html and 'data-hx-swap-oob="true"' in html


def test_the_edit_form_works_as_its_own_page_and_as_a_fragment(app, world):
    started(app, world)
    anna = client_for(app, world.anna)
    page = anna.get(f"{world.url}/insatser")
    assert page.status_code == 200 and "<html" in text(page)
    assert "<legend>Region Kalmar län</legend>" in text(page)
    assert 'name="base_version" type="hidden" value="1"' in text(page)
    fragment = text(anna.get(f"{world.url}/insatser", headers=HTMX))
    assert (
        fragment.lstrip().startswith('<section id="avsnitt-insatser"') and "<html" not in fragment
    )
    cancel = text(anna.get(world.url, query_string={"avsnitt": "insatser"}, headers=HTMX))
    assert cancel.lstrip().startswith('<section id="avsnitt-insatser"') and "<html" not in cancel


# --- The IOP check ------------------------------------------------------------------------------


def answers(**given: str) -> dict[str, str]:
    values = {question.name: "yes" for question in iop.QUESTIONS}
    values.update({f"iop_{key.removeprefix('q')}": value for key, value in given.items()})
    return values


@pytest.mark.parametrize(
    ("given", "verdict", "heading", "steps"),
    [
        ({}, iop.Verdict.IOP, "Förutsättningar för IOP finns", ["IOP-kontakt"]),
        (
            {"q3": "unsure", "q5": "unsure"},
            iop.Verdict.UNCLEAR,
            "Oklart — se punkt 3 och 5",
            ["Gå igenom punkt 3 och 5"],
        ),
        ({"q2": "no"}, iop.Verdict.UNCLEAR, "Oklart — se punkt 2", ["IOP-kontakt"]),
        (
            {"q1": "unsure", "q6": "unsure", "q7": "no"},
            iop.Verdict.UNCLEAR,
            "Oklart — se punkt 1, 6 och 7",
            ["avsnittet Uppföljning"],
        ),
        (
            {"q3": "no"},
            iop.Verdict.NOT_IOP,
            "Det här liknar en upphandling eller ett bidrag",
            ["Överväg upphandling"],
        ),
        (
            {"q6": "no", "q2": "unsure"},
            iop.Verdict.NOT_IOP,
            "Det här liknar en upphandling eller ett bidrag",
            ["Överväg upphandling"],
        ),
        (
            {"q4": "no"},
            iop.Verdict.NOT_IOP,
            "Det här liknar en upphandling eller ett bidrag",
            ["Överväg ett bidrag"],
        ),
        (
            {"q5": "no", "q3": "no"},
            iop.Verdict.NOT_IOP,
            "Det här liknar en upphandling eller ett bidrag",
            ["Överväg upphandling", "Överväg ett bidrag"],
        ),
        (
            {"q4": "", "q5": ""},
            iop.Verdict.INCOMPLETE,
            "Inte klart: 2 av 7 frågor är obesvarade",
            ["Svara på alla frågor"],
        ),
    ],
)
def test_the_iop_check_gives_its_verdict_and_next_steps(app, given, verdict, heading, steps):
    with app.test_request_context():
        result = iop.assess(answers(**given))
        assert result.verdict is verdict
        assert result.heading == heading
        for step in steps:
            assert any(step in line for line in result.next_steps), (step, result.next_steps)


def test_the_iop_check_is_answered_together_and_shown_with_why_each_question_matters(app, world):
    started(app, world)
    leila = client_for(app, world.leila)
    data = answers(q3="unsure", q5="unsure")
    assert save(leila, world, "iop", data, 1).status_code == 303
    html = text(client_for(app, world.anna).get(world.url))
    assert "Oklart — se punkt 3 och 5" in html
    assert "lagen om offentlig upphandling" in html  # why question 3 matters
    assert "inte juridisk rådgivning" in html
    assert [row.section for row in versions()] == ["start", "iop"]


def test_the_iop_check_reads_in_english(app, world):
    started(app, world)
    save(client_for(app, world.leila), world, "iop", answers(q3="unsure", q5="unsure"), 1)
    anna = client_for(app, world.anna)
    anna.set_cookie("lang", "en")
    html = text(anna.get(world.url))
    assert "Unclear — see points 3 and 5" in html
    assert "Can the collaboration become an IOP?" in html


def test_the_overenskommelse_link_needs_the_regions_agreement_on_the_site(app, world):
    """Question 2 links to the region's Överenskommelse (marketplace.agreements) when the
    site has one for the county, and names it without a link otherwise."""
    from marketplace.agreements import services as agreements

    assert services.agreement_page_url("08") is None
    started(app, world)
    assert "/overenskommelser/" not in text(client_for(app, world.anna).get(world.url))
    agreements.seed_agreements()
    assert 'href="http://localhost/overenskommelser/08"' in text(
        client_for(app, world.anna).get(world.url)
    )


# --- Approvals ----------------------------------------------------------------------------------


def approve(client, world: World, version: int, **kwargs):
    return client.post(f"{world.url}/godkann", data={"version": str(version)}, **kwargs)


def test_both_sides_approve_and_the_document_says_so_with_dates(app, world):
    started(app, world)
    anna, leila = client_for(app, world.anna), client_for(app, world.leila)
    save(anna, world, "syfte", {"purpose": PURPOSE}, 1)
    assert approve(anna, world, 2).status_code == 303
    page = text(leila.get(world.url))
    assert "Utkast: inte godkänt av båda parter." in page
    assert "Godkänn version 2 för Föreningen Språkvän Kalmar" in page
    assert approve(leila, world, 2).status_code == 303
    rows = db.session.scalars(sa.select(PartnershipApproval)).all()
    assert {(row.organisation_id, row.version) for row in rows} == {
        (world.region.id, 2),
        (world.cafe.id, 2),
    }
    page = text(anna.get(world.url))
    assert re.search(
        r"Godkänd av Region Kalmar län \d{4}-\d\d-\d\d, Föreningen Språkvän Kalmar \d{4}-\d\d-\d\d",
        page,
    )
    assert "Godkänn version" not in page


def test_a_change_after_approval_asks_both_parties_again(app, world):
    started(app, world)
    anna, leila = client_for(app, world.anna), client_for(app, world.leila)
    approve(anna, world, 1)
    approve(leila, world, 1)
    response = save(leila, world, "tvister", {"disputes": "Vi ringer varandra först."}, 1)
    assert response.status_code == 303
    assert "Båda parter behöver godkänna överenskommelsen igen." in text(leila.get(world.url))
    page = text(anna.get(world.url))
    assert "Utkast: inte godkänt av båda parter." in page
    assert "godkände version 1" in page and "behöver godkännas igen" in page
    assert "Godkänn version 2 för Region Kalmar län" in page
    approve(anna, world, 2)
    approve(leila, world, 2)
    assert "Godkänd av Region Kalmar län" in text(anna.get(world.url))


def test_approving_a_version_that_has_changed_since_is_refused(app, world):
    started(app, world)
    anna, leila = client_for(app, world.anna), client_for(app, world.leila)
    save(leila, world, "syfte", {"purpose": PURPOSE}, 1)  # Anna still looks at version 1
    response = approve(anna, world, 1, follow_redirects=True)
    assert "Överenskommelsen har ändrats sedan du öppnade den (nu version 2)." in text(response)
    assert db.session.scalar(sa.select(sa.func.count(PartnershipApproval.id))) == 0
    response = approve(anna, world, 1, headers=HTMX)
    assert response.status_code == 409
    assert text(response).lstrip().startswith('<section id="status"')


def test_approving_twice_is_one_approval(app, world):
    started(app, world)
    anna = client_for(app, world.anna)
    approve(anna, world, 1)
    approve(client_for(app, world.colleague), world, 1)
    assert db.session.scalar(sa.select(sa.func.count(PartnershipApproval.id))) == 1


def test_approving_with_htmx_redraws_the_status_in_place(app, world):
    started(app, world)
    response = approve(client_for(app, world.anna), world, 1, headers=HTMX)
    html = text(response)
    assert response.status_code == 200 and html.lstrip().startswith('<section id="status"')
    assert "godkände version 1" in html and "Anna Lindqvist" in html


def mails_to(user: User) -> list[OutboxEmail]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(OutboxEmail)
            .where(OutboxEmail.recipient == user.email, OutboxEmail.key.like("partnership-%"))
            .order_by(OutboxEmail.id)
        )
    )


def test_the_other_party_is_mailed_when_the_agreement_starts_and_nobody_else(app, world):
    started(app, world)
    (mail,) = mails_to(world.leila)  # the other party, in her own language
    assert mail.subject == "Region Kalmar län has started a collaboration agreement with you"
    assert "Anna Lindqvist" in mail.text_body
    assert f"/inkorg/{world.conversation.id}/overenskommelse" in mail.text_body
    assert mails_to(world.anna) == [] and mails_to(world.colleague) == []
    assert mails_to(world.outsider) == []


def test_saving_a_draft_mails_nobody_but_a_change_after_approval_asks_the_other_side(app, world):
    started(app, world)
    anna, leila = client_for(app, world.anna), client_for(app, world.leila)
    save(anna, world, "syfte", {"purpose": PURPOSE}, 1)
    assert len(mails_to(world.leila)) == 1  # only the start
    approve(anna, world, 2)
    approved = mails_to(world.leila)[-1]
    assert approved.subject == "Region Kalmar län has approved your collaboration agreement"
    approve(leila, world, 2)
    agreed = mails_to(world.anna)[-1]
    assert agreed.subject == (
        "Överenskommelsen med Föreningen Språkvän Kalmar är godkänd av båda"
    )
    save(leila, world, "syfte", {"purpose": OTHER_PURPOSE}, 2)
    save(leila, world, "tvister", {"disputes": "Vi ringer varandra först."}, 3)
    reopened = [m for m in mails_to(world.anna) if "behöver godkännas igen" in m.subject]
    assert len(reopened) == 1  # the first change after the approval, not every later save
    assert "Den nya versionen (3)" in reopened[0].text_body
    assert reopened[0].text_body.startswith("Hej!\n\nLeila Haddad på Föreningen Språkvän Kalmar")


def test_a_double_click_on_approve_mails_once(app, world):
    started(app, world)
    approve(client_for(app, world.anna), world, 1)
    approve(client_for(app, world.anna), world, 1)
    assert len(mails_to(world.leila)) == 2  # the start and one approval


def test_names_in_the_agreement_mail_are_escaped_in_html(app, world):
    world.region.name = "Region <b>Kalmar</b> län"
    db.session.commit()
    started(app, world)
    (mail,) = mails_to(world.leila)
    assert "<b>Kalmar</b>" not in mail.html_body and "&lt;b&gt;Kalmar" in mail.html_body


# --- The ad's outcome ---------------------------------------------------------------------------


def both_approve(app, world: World) -> None:
    version = the_partnership().version
    approve(client_for(app, world.anna), world, version)
    approve(client_for(app, world.leila), world, version)


def test_once_approved_the_outcome_is_recorded_as_iop_in_one_step_and_counts(app, world):
    started(app, world)
    anna = client_for(app, world.anna)
    before = insights.statistics(
        insights.StatisticsFilter(county=None, months=12)
    ).collaborations_total
    both_approve(app, world)
    assert "Registrera som IOP" in text(anna.get(world.url))
    response = anna.post(f"{world.url}/resultat", data={"record_as": "iop"}, follow_redirects=True)
    assert "Resultatet är registrerat" in text(response)
    outcome = db.session.scalars(sa.select(Outcome)).one()
    assert outcome.ad_id == world.ad.id and outcome.collaborated
    assert outcome.form is CollaborationForm.IOP
    assert outcome.partner_organisation_id == world.cafe.id
    assert outcome.reported_by_id == world.anna.id
    stats = insights.statistics(insights.StatisticsFilter(county=None, months=12))
    assert stats.collaborations_total == before + 1
    assert stats.outcomes_by_form["iop"] == 1
    assert "IOP" in text(app.test_client().get("/statistik"))


def test_the_outcome_may_also_be_recorded_as_collaboration(app, world):
    started(app, world)
    both_approve(app, world)
    client_for(app, world.colleague).post(f"{world.url}/resultat", data={"record_as": "samverkan"})
    outcome = db.session.scalars(sa.select(Outcome)).one()
    assert outcome.form is CollaborationForm.OTHER and outcome.collaborated


def test_no_outcome_before_both_have_approved_the_current_version(app, world):
    started(app, world)
    anna = client_for(app, world.anna)
    approve(anna, world, 1)
    assert "Registrera som IOP" not in text(anna.get(world.url))
    response = anna.post(f"{world.url}/resultat", data={"record_as": "iop"}, follow_redirects=True)
    assert "Båda parter behöver godkänna den senaste versionen" in text(response)
    assert db.session.scalar(sa.select(sa.func.count(Outcome.id))) == 0


def test_only_the_ads_organisation_records_the_outcome(app, world):
    started(app, world)
    both_approve(app, world)
    leila = client_for(app, world.leila)
    page = text(leila.get(world.url))
    assert "Registrera som IOP" not in page
    assert "Region Kalmar län kan registrera vad annonsen ledde till." in page
    response = leila.post(f"{world.url}/resultat", data={"record_as": "iop"}, follow_redirects=True)
    assert "Bara medlemmar i Region Kalmar län" in text(response)
    assert db.session.scalar(sa.select(sa.func.count(Outcome.id))) == 0


def test_an_unknown_outcome_form_records_nothing(app, world):
    started(app, world)
    both_approve(app, world)
    client_for(app, world.anna).post(f"{world.url}/resultat", data={"record_as": "bidrag"})
    assert db.session.scalar(sa.select(sa.func.count(Outcome.id))) == 0


# --- Export -------------------------------------------------------------------------------------


def fill_and_approve(app, world: World) -> None:
    anna, leila = client_for(app, world.anna), client_for(app, world.leila)
    save(anna, world, "syfte", {"purpose": PURPOSE, "challenges": "Integration"}, 1)
    save(
        leila,
        world,
        "insatser",
        {"b_volunteers": "Åtta volontärer varje onsdag", "a_money": "250000"},
        2,
    )
    save(leila, world, "iop", answers(), 3)
    both_approve(app, world)


def pdf_text(data: bytes) -> tuple[pypdf.PdfReader, str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    words = "\n".join(page.extract_text() for page in reader.pages)
    return reader, " ".join(words.split())


def test_the_printable_page_has_the_parties_sections_iop_check_and_approvals(app, world):
    started(app, world)
    fill_and_approve(app, world)
    response = client_for(app, world.colleague).get(f"{world.url}/utskrift")
    html = text(response)
    assert response.status_code == 200 and '<html lang="sv">' in html
    for expected in (
        "<title>Samverkansöverenskommelse mellan Region Kalmar län och Föreningen Språkvän Kalmar</title>",
        "1. Parter",
        "8. Tvister",
        "232100-0073",
        PURPOSE,
        "Åtta volontärer varje onsdag",
        "Förutsättningar för IOP finns",
        "Godkänd av Region Kalmar län",
    ):
        assert expected in html, expected


def test_the_pdf_opens_and_carries_the_agreement_its_title_language_and_tags(app, world):
    started(app, world)
    fill_and_approve(app, world)
    response = client_for(app, world.anna).get(f"{world.url}.pdf", query_string={"sprak": "sv"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.data.startswith(b"%PDF-")
    reader, words = pdf_text(response.data)
    assert reader.metadata.title == (
        "Samverkansöverenskommelse mellan Region Kalmar län och Föreningen Språkvän Kalmar"
    )
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "sv"
    assert bool(root["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in root  # tagged
    for expected in (
        "Samverkansöverenskommelse",
        "1. Parter",
        "2. Syfte och samhällsutmaning",
        "4. Parternas insatser",
        "8. Tvister",
        "Kan samverkan bli ett IOP?",
        "Förutsättningar för IOP finns",
        "Region Kalmar län",
        "232100-0073",
        PURPOSE,
        "Åtta volontärer varje onsdag",
        "250 000 kr per år",
        "Godkännanden",
        "Anna Lindqvist",
        "Leila Haddad",
    ):
        assert expected in words.replace("\u00a0", " "), expected
    assert re.search(
        r"Godkänd av Region Kalmar län \d{4}-\d\d-\d\d, Föreningen Språkvän Kalmar", words
    )


def test_the_pdf_in_english_has_english_headings_and_language(app, world):
    started(app, world)
    fill_and_approve(app, world)
    response = client_for(app, world.leila).get(f"{world.url}.pdf", query_string={"sprak": "en"})
    reader, words = pdf_text(response.data)
    assert reader.trailer["/Root"]["/Lang"] == "en"
    assert reader.metadata.title.startswith("Collaboration agreement between Region Kalmar län")
    for expected in (
        "1. Parties",
        "Approvals",
        "Can the collaboration become an IOP?",
        "What the answers point to: The conditions for an IOP are there",
        "Talk to the municipality's or region's IOP contact",  # next steps in English too
        PURPOSE,
    ):
        assert expected in words, expected


def test_typed_markup_stays_text_on_every_page_and_in_the_pdf(app, world):
    started(app, world)
    hostile = '<script>alert(1)</script><img src="http://127.0.0.1:1/x.png">'
    anna = client_for(app, world.anna)
    save(anna, world, "syfte", {"purpose": hostile}, 1)
    for suffix in ("", "/syfte", "/versioner", "/utskrift"):
        html = text(anna.get(world.url + suffix))
        assert "<script>alert(1)" not in html and '<img src="http://127.0.0.1:1' not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, suffix
    _reader, words = pdf_text(anna.get(f"{world.url}.pdf").data)
    assert "<script>alert(1)</script>" in words  # shown as text, never fetched or run
