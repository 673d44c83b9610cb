"""Account pages under /konto: register, confirm, log in and out, forgotten password, settings."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from itsdangerous import BadSignature, URLSafeSerializer

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
from marketplace.extensions import limiter, login_manager
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
def load_user(login_id: str) -> User | None:
    # A log-in that ended (logged out, new password, suspended) opens nothing.
    return services.user_for_login(login_id)


@bp.after_request
def no_referrer_on_token_pages(response):
    if request.endpoint in _TOKEN_ENDPOINTS:
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _status(form) -> int:
    """Reaching a render after a POST means the form was invalid."""
    return 422 if form.is_submitted() else 200


def start_session(user: User, *, remember: bool = False) -> None:
    """Log in on a fresh session: nothing from before (session data, CSRF token) carries over.

    The log-in is recorded (services.start_login), and this browser is remembered as one the
    account has logged in from (see _known_device).
    """
    session.clear()
    services.start_login(user)
    login_user(user, remember=remember)
    g.known_device_email = user.email


KNOWN_DEVICE_COOKIE = "known_device"
KNOWN_DEVICE_DAYS = 365


def _known_devices() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="known-device")


def _known_device() -> bool:
    """The log-in form's address has logged in from this browser before (or reset its password
    here): a signed cookie set at every log-in names the address.

    Such a log-in is not held back by the per-account limit, so ten wrong guesses from
    elsewhere cannot lock the owner out; the per-IP limit still applies to everyone.
    """
    value = request.cookies.get(KNOWN_DEVICE_COOKIE, "")
    try:
        email = _known_devices().loads(value) if value else None
    except BadSignature:
        return False
    return bool(email) and email == services.normalise_email(request.form.get("email", ""))


@bp.after_app_request
def remember_known_device(response):
    email = g.get("known_device_email")
    if email:
        response.set_cookie(
            KNOWN_DEVICE_COOKIE,
            _known_devices().dumps(email),
            max_age=KNOWN_DEVICE_DAYS * 86400,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


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
    """Both a new and a taken address get the same answer: nobody is logged in, the browser
    lands on "check your e-mail" and the mail (a confirmation link, or "you already have an
    account" to the owner) is written by the worker. The person logs in once the link has
    proven the address (see confirm_email)."""
    if current_user.is_authenticated:
        return redirect(url_for("pages.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        if not form.website.data:  # honeypot filled in: a bot. Answer as if it worked.
            services.register(
                name=form.name.data,
                email=form.email.data,
                password=form.password.data,
                locale=current_language(),
            )
        session["registered_email"] = services.normalise_email(form.email.data)
        flash(_("Nästan klart! Bekräfta din e-postadress för att kunna logga in."), "success")
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
    # The link proves the address, not who opened it: the password still has to (someone else
    # may have registered the address before its owner). The form comes with the address.
    session["login_email"] = user.email
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
def unconfirmed():
    if not current_user.is_authenticated:
        # After registering (a new address, or one that has an account and whose owner was
        # mailed instead: the same page either way), without the buttons that need a log-in.
        email = session.get("registered_email")
        if not email:
            return login_manager.unauthorized()
        return render_page("accounts/unconfirmed.html", email=email)
    if current_user.is_confirmed:
        return redirect(url_for("pages.index"))
    return render_page("accounts/unconfirmed.html", email=current_user.email)


# --- Log-in and log-out ---------------------------------------------------------------------


@bp.route("/logga-in", methods=["GET", "POST"])
@limiter.limit(_config("RATELIMIT_LOGIN"), methods=["POST"])  # per IP address
@limiter.limit(
    _config("RATELIMIT_LOGIN_ACCOUNT"),
    key_func=_submitted_email,  # per account, whichever addresses the guesses come from
    methods=["POST"],
    deduct_when=_login_failed,  # only failures count
    exempt_when=_known_device,  # the owner's own browser is never locked out by others' guesses
)
def login():
    next_url = safe_next(url_for("home.index"))  # Mina sidor, unless they came from a page
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url)
    form = LoginForm()
    if request.method == "GET" and "login_email" in session:  # just confirmed (confirm_email)
        form.email.data = session.pop("login_email")
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except services.AccountSuspended as error:
            form.form_errors.append(str(error))
        else:
            if user is not None:
                start_session(user, remember=form.remember.data)
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
    """Log out this browser: its log-in ends on the server too, so a copied session or
    remember-me cookie no longer opens the account."""
    if current_user.is_authenticated:
        services.end_login(current_account(), current_user.get_id())
    session.clear()
    logout_user()  # after clear(): it marks the remember-me cookie for deletion
    flash(_("Du är utloggad."), "info")
    return see_other(url_for("pages.index"))


@bp.post("/logga-ut-overallt")
@login_required
def logout_everywhere():
    """Log out on every device (a lost phone, a shared computer)."""
    services.end_all_logins(current_account())
    session.clear()
    logout_user()
    flash(_("Du är utloggad på alla enheter."), "info")
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
        start_session(user)
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
            # Every log-in ended: log this browser in again so only the others end.
            services.start_login(current_account())
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
