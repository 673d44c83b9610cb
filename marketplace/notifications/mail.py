"""E-mail transport with swappable backends: file (development), smtp, memory (tests).

Messages are written as bytes here rather than through `email.message.EmailMessage`: that
API parses and refolds every header and picks a transfer encoding per part, about 6 ms a message
before smtplib flattens it once more, which alone held delivery under 200 messages a second
(make bench). The message is always the same shape (multipart/alternative: plain text, then
HTML; UTF-8, quoted-printable), so it is composed directly; tests read it back with the
standard parser.
"""

from __future__ import annotations

import binascii
import contextlib
import email
import email.policy
import functools
import hashlib
import queue
import secrets
import smtplib
import ssl
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr
from pathlib import Path
from typing import Protocol

from flask import current_app

CRLF = "\r\n"
MESSAGE_ID_DOMAIN = "samverkanstorget.se"
MAX_PLAIN_HEADER = 900  # longer values are folded (SMTP allows 998 characters a line)


class OutboxRow(Protocol):
    """What a message is made from: an OutboxEmail, or a row of its columns."""

    id: int
    key: str
    recipient: str
    subject: str
    text_body: str
    html_body: str
    headers: dict | None


@dataclass(frozen=True)
class Message:
    """One e-mail ready for the wire: the envelope and the RFC 5322 bytes (CRLF line ends)."""

    sender: str  # envelope sender (MAIL FROM)
    recipient: str  # envelope recipient (RCPT TO)
    message_id: str
    data: bytes

    def parsed(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


def _header(name: str, value: str) -> str:
    """One header line. CR and LF never reach the message: whitespace runs become one space.

    Non-ASCII text is RFC 2047-encoded (and long text folded).
    """
    value = " ".join(str(value).split())
    if value.isascii() and len(value) <= MAX_PLAIN_HEADER:
        return f"{name}: {value}"
    return f"{name}: {Header(value, 'utf-8', header_name=name).encode(linesep=CRLF)}"


@functools.lru_cache(maxsize=64)
def _address(name: str, value: str) -> tuple[str, str]:
    """From or To as a header line, and the bare address for the envelope.

    A non-ASCII name is encoded; a non-ASCII address goes as UTF-8 (RFC 6532, sent with
    SMTPUTF8). Cached: the sender is the same for every message.
    """
    value = " ".join(value.split())
    display, address = parseaddr(value)
    if not address.isascii():
        return f"{name}: {value}", address
    return f"{name}: {formataddr((display, address))}", address


def _recipient(address: str) -> tuple[str, str]:
    address = " ".join(address.split())
    if address.isascii() and " " not in address and "<" not in address:
        return f"To: {address}", address  # the outbox stores bare addresses: no parsing
    return _address("To", address)


def _quoted_printable(text: str) -> str:
    """UTF-8 text as quoted-printable with CRLF line ends (binascii does it in C)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n")
    encoded = binascii.b2a_qp(lines.encode("utf-8"), istext=True).decode("ascii")
    return encoded.replace("\n", CRLF)  # soft line breaks too (given LF, it writes LF)


def _text_part(subtype: str, body: str) -> list[str]:
    return [
        f'Content-Type: text/{subtype}; charset="utf-8"',
        "Content-Transfer-Encoding: quoted-printable",
        "",
        _quoted_printable(body),
    ]


def message_id(row: OutboxRow) -> str:
    """The same for every attempt at one outbox row: a re-sent message can be recognised."""
    digest = hashlib.sha256(row.key.encode()).hexdigest()[:16]
    return f"<outbox.{row.id}.{digest}@{MESSAGE_ID_DOMAIN}>"


def build_message(row: OutboxRow, sender: str | None = None) -> Message:
    """A multipart/alternative message (plain text first, then HTML) from an outbox row."""
    sender = sender or current_app.config["MAIL_DEFAULT_SENDER"]
    identifier = message_id(row)
    from_line, sender_address = _address("From", sender)
    to_line, recipient = _recipient(row.recipient)
    lines = [
        from_line,
        to_line,
        _header("Subject", row.subject),
        f"Date: {formatdate(usegmt=True)}",
        f"Message-ID: {identifier}",
        *(_header(name, value) for name, value in (row.headers or {}).items()),
        "MIME-Version: 1.0",
    ]
    if row.html_body:
        # "=_" never occurs in quoted-printable text, so no body can contain the boundary.
        boundary = f"=_{secrets.token_hex(12)}"
        lines += [
            f'Content-Type: multipart/alternative; boundary="{boundary}"',
            "",
            f"--{boundary}",
            *_text_part("plain", row.text_body),
            f"--{boundary}",
            *_text_part("html", row.html_body),
            f"--{boundary}--",
            "",
        ]
    else:
        lines += _text_part("plain", row.text_body)
    return Message(
        sender=sender_address,
        recipient=recipient,
        message_id=identifier,
        data=CRLF.join(lines).encode("utf-8"),
    )


class Transport:
    """Sends messages; one SMTP connection is reused for a whole batch."""

    def __init__(self) -> None:
        self.backend = current_app.config["MAIL_BACKEND"]
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Quit the SMTP connection, if any (after a failure: a broken one is not reused)."""
        if self._smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._smtp.quit()
            self._smtp = None

    def send(self, message: Message) -> None:
        if self.backend == "memory":
            current_app.extensions.setdefault("mail_outbox", []).append(message.parsed())
        elif self.backend == "file":
            self._write_file(message)
        elif self.backend == "smtp":
            international = not (message.sender.isascii() and message.recipient.isascii())
            self._connection().sendmail(
                message.sender,
                [message.recipient],
                message.data,
                mail_options=("SMTPUTF8",) if international else (),
            )
        else:
            raise ValueError(f"unknown MAIL_BACKEND {self.backend!r}")

    def _write_file(self, message: Message) -> None:
        folder = Path(current_app.config["MAIL_FILE_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        stamp = message.message_id.strip("<>").split("@")[0]
        (folder / f"{stamp}.eml").write_bytes(message.data)

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


_FINISHED = object()


def send_all(
    rows: Sequence[OutboxRow], *, connections: int = 1, stop_at: float | None = None
) -> Iterator[tuple[OutboxRow, Exception | None]]:
    """Send every row's message over up to `connections` connections at once.

    Yields each row as soon as its message was handed over, with None, or with the error that
    kept it from going (its connection is then closed: a broken one is not reused). Rows not
    tried by `stop_at` (time.monotonic()) are not yielded; neither are rows left when the caller
    stops reading. Each connection is a thread of its own: most of an SMTP exchange is waiting
    for the server's reply, and others can send meanwhile (a remote server answers each of a
    message's four commands after a network round trip).
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    sender = app.config["MAIL_DEFAULT_SENDER"]
    waiting: queue.SimpleQueue = queue.SimpleQueue()
    for row in rows:
        waiting.put(row)
    finished: queue.SimpleQueue = queue.SimpleQueue()
    stop = threading.Event()

    def work() -> None:
        try:
            with app.app_context(), Transport() as transport:
                while not stop.is_set() and (stop_at is None or time.monotonic() < stop_at):
                    try:
                        row = waiting.get_nowait()
                    except queue.Empty:
                        return
                    try:
                        transport.send(build_message(row, sender))
                    except Exception as error:  # noqa: BLE001  reported to the caller
                        transport.close()
                        finished.put((row, error))
                    else:
                        finished.put((row, None))
        finally:
            finished.put(_FINISHED)

    threads = [
        threading.Thread(target=work, name=f"mail-{number}", daemon=True)
        for number in range(max(1, min(connections, len(rows))))
    ]
    for thread in threads:
        thread.start()
    try:
        running = len(threads)
        while running:
            item = finished.get()
            if item is _FINISHED:
                running -= 1
            else:
                yield item
    finally:
        stop.set()
        for thread in threads:
            thread.join()
