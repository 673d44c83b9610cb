"""Account use cases."""

from __future__ import annotations

from marketplace.accounts.models import User
from marketplace.extensions import db


def set_locale(user: User, language: str) -> None:
    """Remember the language the user reads the site in, for the e-mails we send them."""
    user.locale = language
    db.session.commit()
