"""The outbox: e-mails are rows first, delivered over real SMTP afterwards, never twice."""

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.notifications import services
from marketplace.notifications.mail import message_id
from marketplace.notifications.models import OutboxEmail, OutboxJob, OutboxStatus


def _queue(key: str = "test:1", name: str = "Åsa"):
    row = services.queue_email(
        key=key, to="someone@example.com", template="test_message", name=name
    )
    db.session.commit()
    return row


def test_a_queued_mail_reaches_the_smtp_server_as_text_and_html(app, outbox):
    _queue()
    assert services.deliver_due() == 1
    [message] = outbox
    assert message["To"] == "someone@example.com"
    assert message["Subject"] == "Hej Åsa"
    assert "Hej Åsa" in message.get_body(("plain",)).get_content()
    assert "<p>Hej Åsa</p>" in message.get_body(("html",)).get_content()
    row = db.session.scalar(sa.select(OutboxEmail))
    assert row.status is OutboxStatus.SENT and row.sent_at is not None


def test_the_same_event_is_queued_once(app, outbox):
    assert _queue(key="same") is not None
    assert _queue(key="same") is None
    services.deliver_due()
    assert len(outbox) == 1


def test_mail_stays_queued_while_the_smtp_server_is_down_and_arrives_later(
    app, outbox, smtp_server
):
    _queue()
    app.config["MAIL_PORT"] = 1  # nothing listens there
    assert services.deliver_due() == 0
    row = db.session.scalar(sa.select(OutboxEmail))
    assert row.status is OutboxStatus.PENDING and row.attempts == 1 and row.last_error
    row.next_attempt_at = row.created_at  # the back-off has passed
    db.session.commit()
    app.config["MAIL_PORT"] = smtp_server.port
    assert services.deliver_due() == 1
    assert len(outbox) == 1


def test_the_subject_cannot_carry_header_injection(app, outbox):
    _queue(name="Eve\r\nBcc: victim@example.com")
    services.deliver_due()
    [message] = outbox
    assert message["Bcc"] is None
    assert "\n" not in message["Subject"]


def test_development_mail_page_lists_and_shows_written_mails(tmp_path):
    from marketplace import create_app
    from marketplace.config import TestConfig

    app = create_app(TestConfig, DEBUG=True, MAIL_BACKEND="file", MAIL_FILE_DIR=str(tmp_path))
    with app.app_context():
        db.create_all()
        services.queue_email(key="dev:1", to="a@example.com", template="test_message", name="Åsa")
        db.session.commit()
        services.deliver_due()
        client = app.test_client()
        listing = client.get("/dev/e-post/").get_data(as_text=True)
        assert "Hej Åsa" in listing and "a@example.com" in listing
        [eml] = list(tmp_path.glob("*.eml"))
        assert "Hej Åsa" in client.get(f"/dev/e-post/{eml.stem}").get_data(as_text=True)
        db.drop_all()


def test_the_development_mail_page_does_not_exist_in_production(client):
    assert client.get("/dev/e-post/").status_code == 404


def test_no_header_of_a_queued_mail_can_carry_another_header(app, outbox):
    services.queue_email(
        key="test:headers",
        to="someone@example.com",
        template="test_message",
        headers={"List-Unsubscribe": "<http://localhost/x>\r\nBcc: victim@example.com"},
        name="Åsa",
    )
    db.session.commit()
    services.deliver_due()
    [message] = outbox
    assert message["Bcc"] is None
    assert message["List-Unsubscribe"] == "<http://localhost/x> Bcc: victim@example.com"


def test_every_attempt_at_one_mail_carries_the_same_message_id(app, outbox, smtp_server):
    _queue()
    app.config["MAIL_PORT"] = 1  # the first attempt fails
    services.deliver_due()
    row = db.session.scalar(sa.select(OutboxEmail))
    row.next_attempt_at = row.created_at
    db.session.commit()
    app.config["MAIL_PORT"] = smtp_server.port
    services.deliver_due()
    _queue(key="test:2")
    services.deliver_due()
    first, second = outbox
    assert first["Message-ID"] == message_id(row)
    assert first["Message-ID"] != second["Message-ID"]


def test_a_worker_whose_claim_runs_out_sends_nothing_more_and_gives_the_mail_back(
    app, outbox, monkeypatch
):
    _queue()
    monkeypatch.setattr(services, "CLAIM_SECONDS", services.CLAIM_MARGIN)  # no time left
    assert services.deliver_due() == 0
    assert outbox == []
    row = db.session.scalar(sa.select(OutboxEmail))
    assert row.status is OutboxStatus.PENDING and row.claimed_until is None and row.attempts == 0
    monkeypatch.undo()
    assert services.deliver_due() == 1
    assert len(outbox) == 1


def test_a_deferred_job_whose_writer_fails_is_retried_and_leaves_nothing_half_written(
    app, outbox, monkeypatch
):
    calls = []

    def write_greetings(names: list[str]) -> int:
        calls.append(names)
        for name in names:
            services.queue_email(
                key=f"greeting:{name}", to=f"{name}@example.com", template="test_message", name=name
            )
        if len(calls) == 1:
            raise RuntimeError("the worker stumbled half-way")
        return len(names)

    monkeypatch.setitem(services._writers, "test.greetings", write_greetings)
    services.defer_emails("test.greetings", names=["asa", "bo"])
    db.session.commit()

    services.dispatch()
    assert outbox == []
    job = db.session.scalar(sa.select(OutboxJob))
    assert job.attempts == 1 and "half-way" in job.last_error
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 0

    job.next_attempt_at = job.created_at  # the back-off has passed
    db.session.commit()
    services.dispatch()
    assert sorted(message["To"] for message in outbox) == ["asa@example.com", "bo@example.com"]
    assert db.session.scalar(sa.select(OutboxJob)) is None
