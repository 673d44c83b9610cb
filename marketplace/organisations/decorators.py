"""Access rules for organisation pages, also used by other domains (e.g. ads of an organisation)."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from marketplace.extensions import db, login_manager
from marketplace.organisations import services
from marketplace.organisations.models import Membership, Organisation


def member_of_or_403(organisation_id: int, *, admin: bool = False) -> Membership:
    """The current user's membership in the organisation (an administrator's when admin=True).

    :raise 404: there is no such organisation.
    :raise 403: the user is not a member (or not an administrator when admin=True).
    :raise: redirect to log-in for anonymous users.
    """
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    db.get_or_404(Organisation, organisation_id)
    membership = services.membership_of(current_user, organisation_id)
    if membership is None or (admin and not membership.is_admin):
        abort(403)
    return membership
