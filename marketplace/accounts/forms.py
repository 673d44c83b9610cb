"""Account forms: registration, log-in, forgotten and reset password, and the settings page.

Password fields never render their value, so a password is never echoed back after an error.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from marketplace.accounts.models import User
from marketplace.accounts.passwords import password_problem
from marketplace.forms import strip

EMAIL_REQUIRED = _l("Skriv din e-postadress.")
EMAIL_INVALID = _l("Skriv en giltig e-postadress, till exempel namn@exempel.se.")
PASSWORD_REQUIRED = _l("Skriv ditt lösenord.")
NEW_PASSWORD_REQUIRED = _l("Välj ett lösenord.")
PASSWORD_HINT = _l(
    "Minst 10 tecken. En fras med flera ord, till exempel tre ord du kommer ihåg, "
    "är lätt att minnas och svår att gissa."
)


def _email_field(label, autocomplete: str = "email", *, check_format: bool = True) -> EmailField:
    validators = [DataRequired(message=EMAIL_REQUIRED), Length(max=254, message=EMAIL_INVALID)]
    if check_format:
        validators.append(Email(message=EMAIL_INVALID))
    return EmailField(
        label,
        validators=validators,
        filters=[strip],
        render_kw={"autocomplete": autocomplete, "spellcheck": "false"},
    )


def _current_password_field(label) -> PasswordField:
    return PasswordField(
        label,
        validators=[DataRequired(message=PASSWORD_REQUIRED)],
        render_kw={"autocomplete": "current-password"},
    )


def _new_password_field(label) -> PasswordField:
    return PasswordField(
        label,
        validators=[DataRequired(message=NEW_PASSWORD_REQUIRED), PasswordRules()],
        description=PASSWORD_HINT,
        render_kw={"autocomplete": "new-password"},
    )


class PasswordRules:
    """A new password must be long enough and hard to guess (accounts.passwords.password_problem).

    The form's `password_user_inputs()` gives the person's name and address, which the password
    must not lean on.
    """

    def __call__(self, form, field) -> None:
        inputs = form.password_user_inputs() if hasattr(form, "password_user_inputs") else []
        problem = password_problem(field.data or "", inputs)
        if problem:
            raise ValidationError(problem)


class _ForUser(FlaskForm):
    """A form about an existing account, whose name and address the password rules know."""

    def __init__(self, *args, user: User, **kwargs) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def password_user_inputs(self) -> list[str]:
        return [self.user.email, self.user.name]


class RegisterForm(FlaskForm):
    name = StringField(
        _l("Namn"),
        validators=[
            DataRequired(message=_l("Skriv ditt namn.")),
            Length(max=120, message=_l("Namnet får ha högst %(max)d tecken.")),
        ],
        filters=[strip],
        render_kw={"autocomplete": "name"},
    )
    email = _email_field(_l("E-postadress"))
    password = _new_password_field(_l("Lösenord"))
    # Honeypot: hidden from people (visually and from screen readers); bots fill it in.
    website = StringField(
        _l("Lämna det här fältet tomt"),
        render_kw={"tabindex": "-1", "autocomplete": "off"},
    )

    def password_user_inputs(self) -> list[str]:
        return [self.email.data or "", self.name.data or ""]


class LoginForm(FlaskForm):
    # No format check: any mistake gets the same answer as a wrong password.
    email = _email_field(_l("E-postadress"), check_format=False)
    password = _current_password_field(_l("Lösenord"))
    remember = BooleanField(_l("Kom ihåg mig"))


class ForgotPasswordForm(FlaskForm):
    email = _email_field(_l("E-postadress"))


class ResetPasswordForm(_ForUser):
    password = _new_password_field(_l("Nytt lösenord"))


class ChangePasswordForm(_ForUser):
    current_password = _current_password_field(_l("Nuvarande lösenord"))
    new_password = _new_password_field(_l("Nytt lösenord"))

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("prefix", "password")  # the settings page has two forms
        super().__init__(*args, **kwargs)


class ChangeEmailForm(_ForUser):
    new_email = _email_field(_l("Ny e-postadress"))
    password = _current_password_field(_l("Ditt lösenord"))

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("prefix", "email")
        super().__init__(*args, **kwargs)
