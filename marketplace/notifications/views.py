"""Development only: read the e-mails the file backend wrote under instance/mail/."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

from flask import Blueprint, abort, current_app

from marketplace.htmx import render_page

bp = Blueprint("dev_mail", __name__, url_prefix="/dev/e-post")


def _folder() -> Path:
    return Path(current_app.config["MAIL_FILE_DIR"])


def _read(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


@bp.get("/")
def index():
    files = sorted(_folder().glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True)[:200]
    messages = [(path.stem, _read(path)) for path in files]
    return render_page("notifications/dev_index.html", messages=messages)


@bp.get("/<name>")
def detail(name: str):
    path = _folder() / f"{name}.eml"
    if "/" in name or "\\" in name or not path.is_file():
        abort(404)
    message = _read(path)
    text = message.get_body(("plain",))
    return render_page(
        "notifications/dev_detail.html", message=message, text=text.get_content() if text else ""
    )
