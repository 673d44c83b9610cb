"""Account pages under /konto: register, confirm, log in and out, forgotten password, settings."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from marketplace.accounts import services
from marketplace.accounts.decorators import (  # also registers the log-in page's handler
    current_account,
    viewer,
)
from marketplace.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
)
from marketplace.accounts.models import User
from marketplace.accounts.tokens import LinkExpired, LinkInvalid
from marketplace.extensions import db, limiter, login_manager
from marketplace.htmx import render_page, see_other
from marketplace.i18n import current_language
from marketplace.security import safe_next

bp = Blueprint("accounts", __name__, url_prefix="/konto")

# Endpoints whose URL carries a secret token: it must not leak in a Referer header.
_TOKEN_ENDPOINTS = {
    "accounts.confirm_email",
    "accounts.reset_password",
    "accounts.confirm_email_change",
}


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    # A suspended account has no session (suspending also replaces its token).
    return db.session.scalar(
        sa.select(User).where(User.session_token == session_token, User.suspended_at.is_(None))
    )


@bp.after_request
def no_referrer_on_token_pages(response):
    if request.endpoint in _TOKEN_ENDPOINTS:
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _status(form) -> int:
    """Reaching a render after a POST means the form was invalid."""
    return 422 if form.is_submitted() else 200


def _start_session(user: User, *, remember: bool = False) -> None:
    """Log in on a fresh session: nothing from before (session data, CSRF token) carries over."""
    session.clear()
    login_user(user, remember=remember)


def _submitted_email() -> str:
    return "account:" + services.normalise_email(request.form.get("email", ""))


def _login_failed(response) -> bool:
    return response.status_code == 422


def _config(name: str):
    return lambda: current_app.config[name]


# --- Registration and confirmation -----------------------------------------------------------


@bp.route("/registrera", methods=["GET", "POST"])
# Per IP, the log-in allowance: enough for a family or an office, too little to try addresses.
@limiter.limit(_config("RATELIMIT_LOGIN"), methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("pages.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        if form.website.data:  # honeypot filled in: a bot. Answer as if it worked, create nothing.
            flash(_("Välkommen! Ditt konto är skapat."), "success")
            return see_other(url_for("accounts.unconfirmed"))
        try:
            user = services.register(
                name=form.name.data,
                email=form.email.data,
                password=form.password.data,
                locale=current_language(),
            )
        except services.EmailTaken as error:
            form.email.errors.append(str(error))
        else:
            _start_session(user)
            flash(_("Välkommen! Ditt konto är skapat."), "success")
            return see_other(url_for("accounts.unconfirmed"))
    return render_page("accounts/register.html", fragment="register_form", form=form), _status(form)


@bp.get("/bekrafta/<token>")
def confirm_email(token: str):
    try:
        user = services.confirm_email(token, viewer=viewer())
    except (LinkExpired, LinkInvalid, services.WrongAccount) as error:
        return _link_problem("confirm", error)
    flash(_("Tack! Din e-postadress %(email)s är bekräftad.", email=user.email), "success")
    if current_user.is_authenticated:  # Mina sidor: the next steps, ticked off as they are done
        return redirect(url_for("home.index"))
    return redirect(url_for("accounts.login"))


@bp.post("/bekrafta/skicka-igen")
@login_required
@limiter.limit(
    _config("RATELIMIT_RESET"), key_func=lambda: f"resend:{current_user.id}", methods=["POST"]
)
def resend_confirmation():
    if services.resend_confirmation(current_account()):
        flash(_("Vi har skickat en ny länk till %(email)s.", email=current_user.email), "success")
    else:
        flash(_("Din e-postadress är redan bekräftad."), "info")
    return see_other(url_for("accounts.unconfirmed"))


@bp.get("/bekrafta/skicka-igen")
def resend_confirmation_page():
    """A GET here (typed or bookmarked) would otherwise be read as a broken link: show the button."""
    return redirect(url_for("accounts.unconfirmed"))


@bp.get("/obekraftad")
@login_required
def unconfirmed():
    if current_user.is_confirmed:
        return redirect(url_for("pages.index"))
    return render_page("accounts/unconfirmed.html")


# --- Log-in and log-out ---------------------------------------------------------------------


@bp.route("/logga-in", methods=["GET", "POST"])
@limiter.limit(_config("RATELIMIT_LOGIN"), methods=["POST"])  # per IP address
@limiter.limit(
    _config("RATELIMIT_LOGIN_ACCOUNT"),
    key_func=_submitted_email,  # per account, whichever addresses the guesses come from
    methods=["POST"],
    deduct_when=_login_failed,
)
def login():
    next_url = safe_next(url_for("home.index"))  # Mina sidor, unless they came from a page
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url)
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except services.AccountSuspended as error:
            form.form_errors.append(str(error))
        else:
            if user is not None:
                _start_session(user, remember=form.remember.data)
                return see_other(next_url)
            form.form_errors.append(
                _("Fel e-postadress eller lösenord. Kontrollera stavningen och försök igen.")
            )
    return render_page(
        "accounts/login.html",
        fragment="login_form",
        form=form,
        next_url=_next_param(),
        remember_days=_remember_days(),
    ), _status(form)


def _remember_days() -> int:
    duration = current_app.config["REMEMBER_COOKIE_DURATION"]
    seconds = duration.total_seconds() if isinstance(duration, timedelta) else duration
    return int(seconds // 86400)


def _next_param() -> str | None:
    """`next` to carry through the log-in form, only when it is a same-site path."""
    target = safe_next("")
    return target or None


@bp.post("/logga-ut")
def logout():
    session.clear()
    logout_user()  # after clear(): it marks the remember-me cookie for deletion
    flash(_("Du är utloggad."), "info")
    return see_other(url_for("pages.index"))


# --- Forgotten password ---------------------------------------------------------------------


@bp.route("/glomt-losenord", methods=["GET", "POST"])
@limiter.limit(_config("RATELIMIT_RESET"), methods=["POST"])  # per IP address
@limiter.limit(
    _config("RATELIMIT_RESET"),
    key_func=lambda: "reset:" + services.normalise_email(request.form.get("email", "")),
    methods=["POST"],
)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        return see_other(url_for("accounts.reset_sent"))  # the same answer, known address or not
    return render_page(
        "accounts/forgot_password.html", fragment="forgot_password_form", form=form
    ), _status(form)


@bp.get("/glomt-losenord/skickat")
def reset_sent():
    return render_page(
        "accounts/reset_sent.html", minutes=current_app.config["RESET_TOKEN_MAX_AGE"] // 60
    )


@bp.route("/aterstall/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        user = services.user_for_reset(token)
    except (LinkExpired, LinkInvalid) as error:
        return _link_problem("reset", error)
    form = ResetPasswordForm(user=user)
    if form.validate_on_submit():
        try:
            user = services.reset_password(token, form.password.data)
        except (LinkExpired, LinkInvalid) as error:
            return _link_problem("reset", error)
        if user.is_suspended:  # a new password does not lift a suspension
            flash(str(services.AccountSuspended()), "error")
            return see_other(url_for("accounts.login"))
        _start_session(user)
        flash(_("Ditt lösenord är bytt och du är inloggad."), "success")
        return see_other(url_for("pages.index"))
    return render_page(
        "accounts/reset_password.html", fragment="reset_password_form", form=form, token=token
    ), _status(form)


# --- Settings -------------------------------------------------------------------------------


def _settings_page(password_form=None, email_form=None, fragment=None):
    """The settings page with both forms; the one that was posted keeps its input and errors."""
    return render_page(
        "accounts/settings.html",
        fragment=fragment,
        password_form=password_form or ChangePasswordForm(user=current_account(), formdata=None),
        email_form=email_form or ChangeEmailForm(user=current_account(), formdata=None),
    )


@bp.get("/installningar")
@login_required
def settings():
    return _settings_page()


@bp.post("/installningar/losenord")
@login_required
def change_password():
    form = ChangePasswordForm(user=current_account())
    if form.validate_on_submit():
        try:
            services.change_password(
                current_account(),
                current_password=form.current_password.data,
                new_password=form.new_password.data,
            )
        except services.WrongPassword as error:
            form.current_password.errors.append(str(error))
        else:
            # The session token changed: log this browser in again so only the others end.
            login_user(current_account(), remember=_has_remember_cookie())
            flash(_("Ditt lösenord är bytt. Andra inloggningar har loggats ut."), "success")
            return see_other(url_for("accounts.settings"))
    return _settings_page(password_form=form, fragment="password_form"), 422


def _has_remember_cookie() -> bool:
    return current_app.config["REMEMBER_COOKIE_NAME"] in request.cookies


@bp.post("/installningar/e-post")
@login_required
@limiter.limit(
    _config("RATELIMIT_RESET"), key_func=lambda: f"change-email:{current_user.id}", methods=["POST"]
)
def change_email():
    form = ChangeEmailForm(user=current_account())
    if form.validate_on_submit():
        try:
            new_email = services.request_email_change(
                current_account(), new_email=form.new_email.data, password=form.password.data
            )
        except services.WrongPassword as error:
            form.password.errors.append(str(error))
        except (services.SameEmail, services.EmailTaken) as error:
            form.new_email.errors.append(str(error))
        else:
            flash(
                _(
                    "Vi har skickat en länk till %(email)s. Din e-postadress byts när du öppnar "
                    "länken.",
                    email=new_email,
                ),
                "success",
            )
            return see_other(url_for("accounts.settings"))
    return _settings_page(email_form=form, fragment="email_form"), 422


@bp.get("/byt-epost/<token>")
def confirm_email_change(token: str):
    try:
        user = services.confirm_email_change(token, viewer=viewer())
    except (LinkExpired, LinkInvalid, services.WrongAccount, services.EmailTaken) as error:
        return _link_problem("change_email", error)
    flash(_("Din e-postadress är nu %(email)s.", email=user.email), "success")
    if current_user.is_authenticated:
        return redirect(url_for("accounts.settings"))
    return redirect(url_for("accounts.login"))


# --- Links that do not work -------------------------------------------------------------------


def _link_problem(purpose: str, error: Exception):
    """A page that says what is wrong with a link and how to get a new one (never a 500)."""
    if isinstance(error, LinkExpired):
        problem = "expired"
    elif isinstance(error, services.WrongAccount):
        problem = "wrong_account"
    elif isinstance(error, services.EmailTaken):
        problem = "email_taken"
    else:
        problem = "invalid"
    return render_page(
        "accounts/link_problem.html",
        purpose=purpose,
        problem=problem,
        hours=current_app.config["CONFIRM_TOKEN_MAX_AGE"] // 3600,
        minutes=current_app.config["RESET_TOKEN_MAX_AGE"] // 60,
    ), 400
