"""The account deletion form: the password proves it is the account holder."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        _l("Ditt lösenord"),
        validators=[DataRequired(_l("Skriv ditt lösenord för att ta bort kontot."))],
        render_kw={"autocomplete": "current-password"},
    )
