"""E-mail transport with swappable backends: file (development), smtp, memory (tests)."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app

from marketplace.notifications.models import OutboxEmail


def build_message(row: OutboxEmail) -> EmailMessage:
    """A multipart/alternative message (plain text first, then HTML) from an outbox row."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="samverkanstorget.se")
    for name, value in (row.headers or {}).items():
        message[name] = value
    message.set_content(row.text_body)
    if row.html_body:
        message.add_alternative(row.html_body, subtype="html")
    return message


class Transport:
    """Sends messages; one SMTP connection is reused for a whole batch."""

    def __init__(self) -> None:
        self.backend = current_app.config["MAIL_BACKEND"]
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc_info) -> None:
        if self._smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._smtp.quit()
            self._smtp = None

    def send(self, message: EmailMessage) -> None:
        if self.backend == "memory":
            current_app.extensions.setdefault("mail_outbox", []).append(message)
        elif self.backend == "file":
            self._write_file(message)
        elif self.backend == "smtp":
            self._connection().send_message(message)
        else:
            raise ValueError(f"unknown MAIL_BACKEND {self.backend!r}")

    def _write_file(self, message: EmailMessage) -> None:
        folder = Path(current_app.config["MAIL_FILE_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        stamp = message["Message-ID"].strip("<>").split("@")[0]
        (folder / f"{stamp}.eml").write_bytes(bytes(message))

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            config = current_app.config
            timeout = config["MAIL_TIMEOUT"]
            if config["MAIL_USE_SSL"]:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    config["MAIL_SERVER"],
                    config["MAIL_PORT"],
                    timeout=timeout,
                    context=ssl.create_default_context(),
                )
            else:
                smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout)
                if config["MAIL_USE_TLS"]:
                    smtp.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            self._smtp = smtp
        return self._smtp
