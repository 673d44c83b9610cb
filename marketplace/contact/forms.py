"""The message form, used both to show interest in an ad and to reply in a conversation, and the
"Visa intresse" panel of the ad page and the interest page."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, ValidationError

from marketplace.accounts.models import User
from marketplace.ads.models import Ad
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


@dataclass
class InterestPanel:
    """What the "Visa intresse" part of an ad page shows: the state, and the form if it applies."""

    state: services.InterestState
    form: MessageForm | None  # None for anonymous visitors, who are asked to log in


def interest_panel(viewer: User | None, ad: Ad, form: MessageForm | None = None) -> InterestPanel:
    """May this visitor show interest in the ad (and if not, why), with the form to do it.

    An anonymous visitor gets no form: its CSRF token would give them a session, and the ad's
    page could no longer be cached (marketplace/httpcache.py)."""
    if form is None and viewer is not None:
        form = MessageForm(formdata=None)
    return InterestPanel(services.interest_state(viewer, ad), form)
