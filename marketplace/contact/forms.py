"""The message form, used both to show interest in an ad and to reply in a conversation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, ValidationError

from marketplace.contact import services


class MessageForm(FlaskForm):
    message = TextAreaField(
        _l("Meddelande"),
        validators=[InputRequired(message=_l("Skriv ett meddelande."))],
        render_kw={"rows": 8},
    )
    # Honeypot for bots: hidden from sight and screen readers, skipped by the Tab key. A filled
    # one means a bot; the view then answers as if the message were sent, and sends nothing.
    website = StringField(
        _l("Lämna det här fältet tomt"),
        render_kw={"tabindex": "-1", "autocomplete": "off"},
    )

    @property
    def is_bot(self) -> bool:
        return bool(self.website.data)

    def validate_message(self, field) -> None:
        try:
            services.check_message(field.data)  # the same rule the service enforces
        except services.InvalidMessage as error:
            raise ValidationError(str(error)) from error
