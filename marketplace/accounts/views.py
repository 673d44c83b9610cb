"""Account pages (placeholder until the accounts work lands)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint

from marketplace.accounts import decorators  # noqa: F401  registers the unauthorized handler
from marketplace.accounts.models import User
from marketplace.extensions import db, login_manager

bp = Blueprint("accounts", __name__, url_prefix="/konto")


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.session_token == session_token))


@bp.get("/logga-in")
def login():
    return "login"


@bp.get("/registrera")
def register():
    return "register"


@bp.post("/logga-ut")
def logout():
    return "logout"


@bp.get("/installningar")
def settings():
    return "settings"


@bp.post("/bekrafta/skicka-igen")
def resend_confirmation():
    return "resend"


@bp.get("/obekraftad")
def unconfirmed():
    return "confirm your e-mail first"
