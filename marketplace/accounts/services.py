"""Account use cases: register, confirm, log in, reset and change password, change e-mail.

Services take explicit arguments and never touch the request, the session or current_user;
the views do the logging in and out. Every e-mail is queued before the commit and dispatched
after it (marketplace.notifications.services).

Who learns whether an address has an account: log-in, forgotten password and registration
never tell. Log-in has one error for both mistakes; the reset request does all its work in the
worker (an OutboxJob, the same row and the same time for any address); registering a taken
address answers like a new registration (the same hashing time, one job for the worker, and
neither logs in) and mails the address's owner instead ("you already have an account"), so
the person who forgot they had one learns it in their inbox. The e-mail change still says "taken", to a logged-in
person who typed their password, rate-limited per account.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from marketplace.accounts import passwords, tokens
from marketplace.accounts.models import LoginSession, User, new_session_token
from marketplace.accounts.tokens import LinkInvalid
from marketplace.clock import utcnow
from marketplace.extensions import db
from marketplace.notifications import services as notifications
from marketplace.urls import external_url


class EmailTaken(Exception):
    """Another account already has this address."""

    def __init__(self) -> None:
        super().__init__(_("Det finns redan ett konto med den e-postadressen."))


class SameEmail(Exception):
    """The 'new' address is the one the account already has."""

    def __init__(self) -> None:
        super().__init__(_("Det är redan din e-postadress."))


class WrongPassword(Exception):
    """The current password given to confirm a change was wrong."""

    def __init__(self) -> None:
        super().__init__(_("Lösenordet stämmer inte. Skriv ditt nuvarande lösenord."))


class WrongAccount(Exception):
    """A genuine link for one account opened while logged in as another."""


class AccountSuspended(Exception):
    """Right address and password, but a site administrator has suspended the account."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "Ditt konto är avstängt av Samverkanstorgets administratörer, så du kan inte "
                "logga in. Vi har skickat skälet till din e-postadress. Tycker du att det är fel? "
                "Skriv till moderering@samverkanstorget.se."
            )
        )


def normalise_email(email: str) -> str:
    """Addresses are stored and compared trimmed and lower-cased."""
    return (email or "").strip().lower()


def find_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def _email_taken(email: str, *, except_user: User | None = None) -> bool:
    query = sa.select(User.id).where(User.email == normalise_email(email))
    if except_user is not None:
        query = query.where(User.id != except_user.id)
    return db.session.scalar(query) is not None


def _commit_or_email_taken() -> None:
    """Commit; a concurrent request that took the same address first loses with EmailTaken."""
    try:
        db.session.commit()
    except sa.exc.IntegrityError as error:
        db.session.rollback()
        raise EmailTaken from error


# --- Registration and confirmation -----------------------------------------------------------


def register(
    *, name: str, email: str, password: str, locale: str, address_proven: bool = False
) -> User | None:
    """Create an account and have the worker mail its confirmation link; None when the address
    has an account.

    A taken address (also when a concurrent request took it a moment ago: a double click)
    creates nothing and has the worker mail the owner instead. Both cases hash the password and
    record one job for the worker, so the request takes as long either way and its answer (the
    view's) can be the same. Neither logs anyone in: the address is proven by its link, the
    password by the log-in that follows.

    `address_proven`: the person reached us through a link mailed to this address (an
    invitation); the account starts confirmed and no confirmation link is sent.
    """
    email = normalise_email(email)
    password_hash = passwords.hash_password(password)
    if not _email_taken(email):
        user = User(name=name.strip(), email=email, password_hash=password_hash, locale=locale)
        if address_proven:
            user.email_confirmed_at = utcnow()
        db.session.add(user)
        try:
            db.session.flush()  # a concurrent twin fails here
            if not address_proven:
                notifications.defer_emails("confirm_registration", user_id=user.id)
            db.session.commit()
        except sa.exc.IntegrityError:
            db.session.rollback()
        else:
            notifications.dispatch()
            return user
    if not address_proven:  # (with a proven address the person at the mailbox is told at once)
        notifications.defer_emails("account_exists", email=email)
        db.session.commit()
        notifications.dispatch()
    return None


@notifications.email_writer("confirm_registration")
def _write_registration_confirmation(user_id: int) -> int:
    """The worker: the confirmation link of a new account (none once the address is confirmed)."""
    user = db.session.get(User, user_id)
    if user is None or user.is_confirmed:
        return 0
    return int(_queue_confirmation(user) is not None)


@notifications.email_writer("account_exists")
def _write_account_exists(email: str) -> int:
    """The worker: tell the owner of `email` that someone tried to register it again (once an
    hour at most)."""
    user = find_by_email(email)
    if user is None:
        return 0
    row = notifications.queue_email(
        key=f"account-exists:{user.id}:{utcnow():%Y-%m-%dT%H}",
        to=user.email,
        template="account_exists",
        locale=user.locale,
        name=user.name,
        login_link=external_url("accounts.login"),
        reset_link=external_url("accounts.forgot_password"),
    )
    return int(row is not None)


def _queue_confirmation(user: User):
    token = tokens.make(tokens.CONFIRM, {"id": user.id, "email": user.email})
    return notifications.queue_email(
        key=f"confirm:{user.id}:{token[-16:]}",
        to=user.email,
        template="confirm_email",
        locale=user.locale,
        name=user.name,
        link=external_url("accounts.confirm_email", token=token),
        hours=current_app.config["CONFIRM_TOKEN_MAX_AGE"] // 3600,
    )


def resend_confirmation(user: User) -> bool:
    """Send a new confirmation link; False (and no e-mail) when the address is confirmed already."""
    if user.is_confirmed:
        return False
    _queue_confirmation(user)
    db.session.commit()
    notifications.dispatch()
    return True


def confirm_email(token: str, *, viewer: User | None) -> User:
    """Mark the address in the link as confirmed (again is fine) and return its account.

    :raise LinkExpired, LinkInvalid: the link is too old, altered, or the address has changed since.
    :raise WrongAccount: someone is logged in, but as another account.
    """
    payload = tokens.read(tokens.CONFIRM, token, current_app.config["CONFIRM_TOKEN_MAX_AGE"])
    user = _user_from(payload)
    if viewer is not None and viewer.id != user.id:
        raise WrongAccount
    if user.email != payload.get("email"):
        raise LinkInvalid  # sent to an address the account no longer has
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        db.session.commit()
    return user


def _user_from(payload: dict) -> User:
    user_id = payload.get("id")
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None:
        raise LinkInvalid  # the account was deleted
    return user


# --- Log-in ---------------------------------------------------------------------------------


def authenticate(email: str, password: str) -> User | None:
    """The account when address and password match, else None (which of the two is not told).

    A successful check also records the log-in and upgrades an outdated password hash.
    :raise AccountSuspended: address and password match, but the account is suspended (told
      only to someone who knows the password).
    """
    user = find_by_email(email)
    if user is None:
        passwords.spend_verification_time(password)
        return None
    if not passwords.verify_password(user.password_hash, password):
        return None
    if user.is_suspended:
        raise AccountSuspended
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = utcnow()
    db.session.commit()
    return user


# --- Log-ins on devices --------------------------------------------------------------------


def login_lifetime() -> timedelta:
    duration = current_app.config["REMEMBER_COOKIE_DURATION"]
    return duration if isinstance(duration, timedelta) else timedelta(seconds=duration)


def start_login(user: User) -> str:
    """Record a log-in on this device; its id for Flask-Login ("<account token>.<device token>").

    Log-ins older than the remember-me cookie's lifetime are forgotten on the way (they end).
    """
    db.session.execute(
        sa.delete(LoginSession).where(
            LoginSession.user_id == user.id, LoginSession.created_at < utcnow() - login_lifetime()
        )
    )
    login = LoginSession(user_id=user.id)
    db.session.add(login)
    db.session.commit()
    user.login_id = f"{user.session_token}.{login.token}"
    return user.login_id


def user_for_login(login_id: str) -> User | None:
    """The account a session or remember-me cookie's id stands for, while that log-in lasts.

    An id without a device part (sessions from before log-ins were recorded) is the account's
    token alone: it lasts until the account logs out, everywhere or here.
    """
    account_token, _dot, device_token = (login_id or "").partition(".")
    query = sa.select(User).where(User.session_token == account_token, User.suspended_at.is_(None))
    if device_token:
        query = query.join(LoginSession, LoginSession.user_id == User.id).where(
            LoginSession.token == device_token
        )
    user = db.session.scalar(query)
    if user is not None and device_token:
        user.login_id = login_id
    return user


def end_login(user: User, login_id: str) -> None:
    """Log out this device: its log-in is deleted, so its captured cookies open nothing."""
    _account_token, _dot, device_token = (login_id or "").partition(".")
    if device_token:
        db.session.execute(
            sa.delete(LoginSession).where(
                LoginSession.user_id == user.id, LoginSession.token == device_token
            )
        )
    else:  # an id from before device log-ins: only a new account token ends it
        user.session_token = new_session_token()
    db.session.commit()


def _end_every_login(user: User) -> None:
    user.session_token = new_session_token()  # every session and remember-me cookie ends
    db.session.execute(sa.delete(LoginSession).where(LoginSession.user_id == user.id))


def end_all_logins(user: User) -> None:
    """Log out everywhere ("Logga ut överallt"): every device's log-in ends."""
    _end_every_login(user)
    db.session.commit()


# --- Forgotten password ---------------------------------------------------------------------


def _reset_fingerprint(user: User) -> str:
    # A new password (a new hash, even for the same password) or a new address kills the link.
    return tokens.fingerprint(user.password_hash, user.email)


def request_password_reset(email: str) -> None:
    """Have the worker mail a reset link when an account has this address.

    The request does the same for any address (one OutboxJob row): whether the address has an
    account is looked up in the worker, so the answer takes as long either way.
    """
    notifications.defer_emails("password_reset", email=normalise_email(email))
    db.session.commit()
    notifications.dispatch()


@notifications.email_writer("password_reset")
def _write_password_reset(email: str) -> int:
    """The worker: queue the reset link for the account with this address, if any."""
    user = find_by_email(email)
    if user is None:
        return 0
    token = tokens.make(tokens.RESET, {"id": user.id, "fp": _reset_fingerprint(user)})
    notifications.queue_email(
        key=f"reset:{user.id}:{token[-16:]}",
        to=user.email,
        template="reset_password",
        locale=user.locale,
        name=user.name,
        link=external_url("accounts.reset_password", token=token),
        minutes=current_app.config["RESET_TOKEN_MAX_AGE"] // 60,
    )
    return 1


def user_for_reset(token: str) -> User:
    """The account a reset link is for, while the link is fresh and unused.

    :raise LinkExpired, LinkInvalid: too old, altered, or already used (the password changed).
    """
    payload = tokens.read(tokens.RESET, token, current_app.config["RESET_TOKEN_MAX_AGE"])
    user = _user_from(payload)
    if payload.get("fp") != _reset_fingerprint(user):
        raise LinkInvalid
    return user


def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a reset link: other sessions end, the address counts as confirmed.

    :raise LinkExpired, LinkInvalid: as user_for_reset.
    """
    user = user_for_reset(token)
    _replace_password(user, new_password)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()  # the link reached them: they own the address
    db.session.commit()
    notifications.dispatch()
    return user


def _replace_password(user: User, new_password: str) -> None:
    user.password_hash = passwords.hash_password(new_password)
    _end_every_login(user)  # every other session and remember-me cookie ends
    notifications.queue_email(
        key=f"password-changed:{user.id}:{utcnow().isoformat()}",
        to=user.email,
        template="password_changed",
        locale=user.locale,
        name=user.name,
        reset_link=external_url("accounts.forgot_password"),
    )


# --- Settings -------------------------------------------------------------------------------


def change_password(user: User, *, current_password: str, new_password: str) -> None:
    """Replace the password after checking the current one; other sessions end.

    :raise WrongPassword: `current_password` is not the account's password.
    """
    if not passwords.verify_password(user.password_hash, current_password):
        raise WrongPassword
    _replace_password(user, new_password)
    db.session.commit()
    notifications.dispatch()


def request_email_change(user: User, *, new_email: str, password: str) -> str:
    """Send a link to the new address; the address changes only when that link is opened.

    Returns the normalised new address.
    :raise WrongPassword: the password is not the account's.
    :raise SameEmail: the account has this address already.
    :raise EmailTaken: another account has it.
    """
    if not passwords.verify_password(user.password_hash, password):
        raise WrongPassword
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise SameEmail
    if _email_taken(new_email, except_user=user):
        raise EmailTaken
    token = tokens.make(tokens.CHANGE_EMAIL, {"id": user.id, "from": user.email, "to": new_email})
    notifications.queue_email(
        key=f"change-email:{user.id}:{token[-16:]}",
        to=new_email,
        template="change_email",
        locale=user.locale,
        name=user.name,
        new_email=new_email,
        link=external_url("accounts.confirm_email_change", token=token),
        hours=current_app.config["CONFIRM_TOKEN_MAX_AGE"] // 3600,
    )
    db.session.commit()
    notifications.dispatch()
    return new_email


def confirm_email_change(token: str, *, viewer: User | None) -> User:
    """Switch the account to the address the link was sent to, and tell the old address.

    :raise LinkExpired, LinkInvalid: too old, altered, or used (the address changed since).
    :raise WrongAccount: someone is logged in, but as another account.
    :raise EmailTaken: another account took the new address in the meantime.
    """
    payload = tokens.read(tokens.CHANGE_EMAIL, token, current_app.config["CONFIRM_TOKEN_MAX_AGE"])
    user = _user_from(payload)
    if viewer is not None and viewer.id != user.id:
        raise WrongAccount
    old_email, new_email = payload.get("from"), payload.get("to")
    if not isinstance(new_email, str) or user.email != old_email:
        raise LinkInvalid  # used already, or the address has changed another way since
    if _email_taken(new_email, except_user=user):
        raise EmailTaken
    user.email = new_email
    user.email_confirmed_at = utcnow()  # the link reached the new address
    notifications.queue_email(
        key=f"email-changed:{user.id}:{token[-16:]}",
        to=old_email,
        template="email_changed",
        locale=user.locale,
        name=user.name,
        new_email=new_email,
        help_link=external_url("pages.about"),
    )
    _commit_or_email_taken()
    notifications.dispatch()
    return user


def set_locale(user: User, language: str) -> None:
    """Remember the language the user reads the site in, for the e-mails we send them."""
    user.locale = language
    db.session.commit()
