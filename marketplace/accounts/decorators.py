"""Access rules for views: who may see or change what, and the account behind the request."""

from __future__ import annotations

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user

from marketplace.accounts.models import User
from marketplace.extensions import login_manager
from marketplace.htmx import is_partial_request, see_other


def current_account() -> User:
    """The logged-in account itself, not Flask-Login's proxy: for services and login_user."""
    return current_user._get_current_object()


def viewer() -> User | None:
    """The logged-in account, or None for an anonymous visitor."""
    return current_account() if current_user.is_authenticated else None


def confirmed_required(view):
    """Logged in *and* e-mail confirmed; unconfirmed users are sent to the page that explains why.

    :raise: redirect to log-in for anonymous users (via Flask-Login).
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_confirmed:
            return see_other(url_for("accounts.unconfirmed"))
        return view(*args, **kwargs)

    return wrapper


def site_admin_required(view):
    """Only site administrators; everyone else gets 403 (anonymous users are asked to log in)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_site_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


@login_manager.unauthorized_handler
def ask_to_log_in():
    """Send anonymous users to the log-in page as a whole page, even from an htmx request."""
    if is_partial_request():  # a fragment URL is no page to come back to
        return see_other(url_for("accounts.login"))
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
