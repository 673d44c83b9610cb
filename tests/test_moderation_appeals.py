""" "Begär omprövning": the people behind hidden content ask for a review; a moderator restores
the content or keeps it hidden, the decision is logged and the appellant hears the outcome."""

from __future__ import annotations

import re

import sqlalchemy as sa

from marketplace.ads.models import Ad
from marketplace.extensions import db
from marketplace.moderation.models import (
    ActionKind,
    ContentKind,
    ModerationAction,
    Report,
    ReportReason,
    ReportStatus,
)
from marketplace.organisations.models import Organisation
from tests import factories
from tests.conftest import HTMX
from tests.test_moderation import (
    REASON,
    World,
    ad_page,
    conversation_about,
    count,
    decide,
    fresh,
    log_in,
    reported,
    text_of,
    world,
)

APPEAL = {"text": "Vi har tagit bort länken till webbshopen; annonsen handlar om läxhjälp."}
KEPT = "Annonsen marknadsför fortfarande en webbshop."
RESTORED = "Länken är borttagen och annonsen följer nu reglerna."


def hidden(app, w: World, kind: ContentKind = ContentKind.AD, content=None) -> Report:
    """The content hidden by Kalmar's moderator after a report (so the hide e-mail went out)."""
    report = reported(w, kind, content or w.ad)
    response = decide(log_in(app.test_client(), w.kalmar_moderator), report, "hide")
    assert response.status_code == 303
    return report


def appeal_path(kind_slug: str, target_id: int) -> str:
    return f"/omprovning/{kind_slug}/{target_id}"


def appeals() -> list[Report]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Report).where(Report.reason == ReportReason.APPEAL).order_by(Report.id)
        )
    )


def mail_to(outbox, person):
    [message] = [m for m in outbox if m["To"] == person.email]
    return message


# --- Asking for a review ----------------------------------------------------------------------


def test_a_member_asks_for_a_review_from_the_notice_and_the_moderators_are_told(app, outbox):
    w = world()
    hidden(app, w)
    hide_mail = text_of(mail_to(outbox, w.owner))
    assert f"http://localhost{appeal_path('annons', w.ad.id)}" in hide_mail
    outbox.clear()
    owner = log_in(app.test_client(), w.owner)

    page = owner.get(ad_page(w.ad)).get_data(as_text=True)
    assert f'<a href="{appeal_path("annons", w.ad.id)}">Begär omprövning</a>' in page
    form = owner.get(appeal_path("annons", w.ad.id))
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert "Billiga solglasögon" in html and REASON in html
    assert 'name="csrf_token"' in html and 'name="text"' in html

    response = owner.post(appeal_path("annons", w.ad.id), data=APPEAL)

    assert response.status_code == 303
    assert response.headers["Location"] == ad_page(w.ad)
    [appeal] = appeals()
    assert (appeal.kind, appeal.ad_id, appeal.reporter_id, appeal.status) == (
        ContentKind.AD,
        w.ad.id,
        w.owner.id,
        ReportStatus.OPEN,
    )
    assert appeal.text == APPEAL["text"]
    after = owner.get(ad_page(w.ad)).get_data(as_text=True)
    assert "Din begäran om omprövning är skickad" in after
    assert "En begäran om omprövning väntar på en moderator" in after
    assert f'href="{appeal_path("annons", w.ad.id)}"' not in after
    assert fresh(Ad, w.ad.id).hidden_at is not None  # hidden until a moderator decides
    # The content's county moderator hears of it; the queue shows it.
    [notice] = outbox
    assert notice["To"] == w.kalmar_moderator.email
    assert notice["Subject"] == "Begäran om omprövning: annonsen ”Billiga solglasögon”"
    assert f"http://localhost/moderering/rapporter/{appeal.id}" in text_of(notice)
    queue = log_in(app.test_client(), w.kalmar_moderator).get("/moderering")
    assert "Begäran om omprövning" in queue.get_data(as_text=True)


def test_an_appeal_needs_a_text_and_errors_re_render_with_422(app, outbox):
    w = world()
    hidden(app, w)
    owner = log_in(app.test_client(), w.owner)

    response = owner.post(appeal_path("annons", w.ad.id), data={"text": "   "})
    assert response.status_code == 422
    assert "Skriv varför du vill att beslutet omprövas." in response.get_data(as_text=True)

    too_long = "x" * 2001
    fragment = owner.post(appeal_path("annons", w.ad.id), data={"text": too_long}, headers=HTMX)
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 422
    assert html.lstrip().startswith('<div id="appeal-form"') and "<html" not in html
    assert "Texten får vara högst 2000 tecken." in html and too_long in html
    assert appeals() == []


def test_one_open_appeal_per_item_at_a_time(app, outbox):
    w = world()
    hidden(app, w)
    log_in(app.test_client(), w.owner).post(appeal_path("annons", w.ad.id), data=APPEAL)
    colleague = log_in(app.test_client(), w.colleague)

    page = colleague.get(appeal_path("annons", w.ad.id))
    again = colleague.post(appeal_path("annons", w.ad.id), data={"text": "Vi ber också."})

    assert page.status_code == 200
    assert "En begäran om omprövning väntar redan på en moderator" in page.get_data(as_text=True)
    assert 'name="text"' not in page.get_data(as_text=True)
    assert again.status_code == 409
    assert len(appeals()) == 1


# --- Who may appeal ---------------------------------------------------------------------------


def test_anonymous_visitors_are_asked_to_log_in(app, client):
    w = world()
    hidden(app, w)
    for method in (client.get, client.post):
        response = method(appeal_path("annons", w.ad.id), data=APPEAL)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/konto/logga-in?next=")
    assert appeals() == []


def test_only_the_people_behind_hidden_content_may_appeal_it(app, outbox):
    w = world()
    visible = factories.ad(org=w.org, title="Synlig annons", county_code="08")
    hidden(app, w)
    outsiders = [w.reporter, w.kalmar_moderator, w.admin, factories.member()]

    for person in outsiders:
        client = log_in(app.test_client(), person)
        for method in ("GET", "POST"):
            response = client.open(appeal_path("annons", w.ad.id), method=method, data=APPEAL)
            assert response.status_code == 404, (person.name, method)
            assert "Billiga solglasögon" not in response.get_data(as_text=True)
    owner = log_in(app.test_client(), w.owner)
    for path in (
        appeal_path("annons", visible.id),  # not hidden: nothing to appeal
        appeal_path("annons", 999999),
        appeal_path("okand", w.ad.id),
    ):
        assert owner.get(path).status_code == 404
        assert owner.post(path, data=APPEAL).status_code == 404
    moderator_view = log_in(app.test_client(), w.kalmar_moderator).get(ad_page(w.ad))
    assert "Begär omprövning" not in moderator_view.get_data(as_text=True)
    assert appeals() == []


def test_an_ad_hidden_with_its_organisation_is_appealed_through_the_organisation(app, outbox):
    w = world()
    hidden(app, w, ContentKind.ORGANISATION, w.org)
    owner = log_in(app.test_client(), w.owner)

    ad_view = owner.get(ad_page(w.ad)).get_data(as_text=True)
    organisation_view = owner.get(f"/organisationer/{w.org.id}-{w.org.slug}").get_data(as_text=True)

    link = f'<a href="{appeal_path("organisation", w.org.id)}">Begär omprövning</a>'
    assert link in ad_view and link in organisation_view
    assert owner.get(appeal_path("annons", w.ad.id)).status_code == 404
    assert owner.post(appeal_path("organisation", w.org.id), data=APPEAL).status_code == 303
    [appeal] = appeals()
    assert appeal.kind is ContentKind.ORGANISATION and appeal.organisation_id == w.org.id


def test_only_the_writer_of_a_hidden_message_may_appeal_it(app, outbox):
    w = world()
    conversation, answer = conversation_about(w)
    hidden(app, w, ContentKind.MESSAGE, answer)
    path = appeal_path("meddelande", answer.id)

    writer = log_in(app.test_client(), w.owner)
    thread = writer.get(f"/inkorg/{conversation.id}").get_data(as_text=True)
    assert f'<a href="{path}">Begär omprövning</a>' in thread
    for person in (w.reporter, w.colleague):  # the other party; the writer's colleague
        other = log_in(app.test_client(), person)
        assert "Begär omprövning" not in other.get(f"/inkorg/{conversation.id}").get_data(
            as_text=True
        )
        assert other.post(path, data=APPEAL).status_code == 404

    response = writer.post(path, data=APPEAL)

    assert response.status_code == 303
    assert response.headers["Location"] == f"/inkorg/{conversation.id}"
    [appeal] = appeals()
    assert appeal.kind is ContentKind.MESSAGE and appeal.message_id == answer.id


# --- The moderator's decision ------------------------------------------------------------------


def appealed(app, w: World, person=None) -> Report:
    hidden(app, w)
    person = person or w.owner
    response = log_in(app.test_client(), person).post(appeal_path("annons", w.ad.id), data=APPEAL)
    assert response.status_code == 303
    return appeals()[-1]


def test_the_moderator_keeps_the_content_hidden_and_the_appellant_reads_why(app, client, outbox):
    w = world()
    appeal = appealed(app, w, person=w.colleague)  # Cilla reads English
    outbox.clear()
    moderator = log_in(app.test_client(), w.kalmar_moderator)

    review = moderator.get(f"/moderering/rapporter/{appeal.id}").get_data(as_text=True)
    assert "Begäran om omprövning av Billiga solglasögon" in review
    assert APPEAL["text"] in review and "Cilla Kollega" in review
    assert 'value="restore"' in review and 'value="keep_hidden"' in review
    assert 'value="hide"' not in review and 'value="dismiss"' not in review

    response = decide(moderator, appeal, "keep_hidden", reason=KEPT)

    assert response.status_code == 303
    assert client.get(ad_page(w.ad)).status_code == 404
    assert fresh(Report, appeal.id).status is ReportStatus.DISMISSED
    entry = db.session.scalars(
        sa.select(ModerationAction).order_by(ModerationAction.id.desc())
    ).first()
    assert (entry.action, entry.actor_id, entry.target_id, entry.report_id, entry.reason) == (
        ActionKind.KEEP_HIDDEN,
        w.kalmar_moderator.id,
        w.ad.id,
        appeal.id,
        KEPT,
    )
    [answer] = outbox  # the appellant only, in English
    assert answer["To"] == w.colleague.email
    assert (
        answer["Subject"] == "Review done: the decision about the ad ”Billiga solglasögon” stands"
    )
    assert KEPT in text_of(answer)
    log = log_in(app.test_client(), w.admin).get("/moderering/logg").get_data(as_text=True)
    assert "Behöll innehållet dolt efter omprövning" in log and KEPT in log
    # The appeal is answered: the organisation may ask again.
    owner = log_in(app.test_client(), w.owner)
    assert "Begär omprövning</a>" in owner.get(ad_page(w.ad)).get_data(as_text=True)
    assert owner.post(appeal_path("annons", w.ad.id), data=APPEAL).status_code == 303
    assert len(appeals()) == 2


def test_the_moderator_restores_the_content_and_the_appellant_is_told(app, client, outbox):
    w = world()
    appeal = appealed(app, w)
    outbox.clear()

    response = decide(log_in(app.test_client(), w.admin), appeal, "restore", reason=RESTORED)

    assert response.status_code == 303
    assert client.get(ad_page(w.ad)).status_code == 200
    assert fresh(Report, appeal.id).status is ReportStatus.RESTORED
    answer = mail_to(outbox, w.owner)  # one mail: the answer to the appeal
    assert answer["Subject"] == "Omprövningen är klar: annonsen ”Billiga solglasögon” syns igen"
    assert RESTORED in text_of(answer)
    assert "has restored the ad" in text_of(mail_to(outbox, w.colleague))  # the usual notice
    assert len(outbox) == 2
    actions = db.session.scalars(sa.select(ModerationAction.action).order_by(ModerationAction.id))
    assert list(actions) == [ActionKind.HIDE, ActionKind.RESTORE]
    handled = log_in(app.test_client(), w.admin).get("/moderering?visa=hanterade")
    assert "Innehållet återställdes" in handled.get_data(as_text=True)


def test_a_moderator_of_another_county_cannot_decide_the_appeal(app, outbox):
    w = world()
    appeal = appealed(app, w)
    other = log_in(app.test_client(), w.skane_moderator)
    assert other.get(f"/moderering/rapporter/{appeal.id}").status_code == 403
    assert decide(other, appeal, "restore", reason=RESTORED).status_code == 403
    assert fresh(Report, appeal.id).status is ReportStatus.OPEN


def test_a_hidden_organisation_s_appeal_is_decided_like_an_ad_s(app, client, outbox):
    w = world()
    hidden(app, w, ContentKind.ORGANISATION, w.org)
    log_in(app.test_client(), w.colleague).post(appeal_path("organisation", w.org.id), data=APPEAL)
    [appeal] = appeals()

    decide(log_in(app.test_client(), w.kalmar_moderator), appeal, "restore", reason=RESTORED)

    assert fresh(Organisation, w.org.id).hidden_at is None
    assert client.get(f"/organisationer/{w.org.id}-{w.org.slug}").status_code == 200
    assert client.get(ad_page(w.ad)).status_code == 200


# --- Language and the rest --------------------------------------------------------------------


def test_the_appeal_page_speaks_english(app, outbox):
    w = world()
    hidden(app, w)
    owner = log_in(app.test_client(), w.owner)
    owner.get("/sprak/en")

    html = owner.get(appeal_path("annons", w.ad.id)).get_data(as_text=True)

    assert "<h1>Request a review</h1>" in html
    assert "Why should the decision be changed?" in html and "Send the request" in html
    assert "Begär omprövning" not in html


def test_the_form_keeps_what_was_typed_on_error(app, outbox):
    w = world()
    hidden(app, w)
    typed = "x" * 2001
    html = (
        log_in(app.test_client(), w.owner)
        .post(appeal_path("annons", w.ad.id), data={"text": typed})
        .get_data(as_text=True)
    )
    assert re.search(rf"<textarea[^>]*>\s*{typed}</textarea>", html)
    assert count(Report) == 1  # only the report that led to the hiding
