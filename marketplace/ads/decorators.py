"""Access rules for ad pages, also used by other domains' pages about an ad (its matches, its
"Visa intresse" form, its outcome question)."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from marketplace.ads import services
from marketplace.ads.models import Ad
from marketplace.moderation import services as moderation
from marketplace.moderation.models import ContentKind


def own_ad_or_403(ad_id: int) -> Ad:
    """The ad, for a member of its organisation.

    :raise 404: no such ad.
    :raise 403: the user is not a member of the ad's organisation.
    """
    ad = services.get_ad(ad_id)
    if ad is None:
        abort(404)
    if not services.can_manage(current_user, ad):
        abort(403)
    return ad


def visible_ad_or_404(ad_id: int) -> Ad:
    """The ad, unless a moderator hid it from this visitor (its people and moderators still see it).

    :raise 404: no such ad, or hidden from this visitor (its title stays unsaid).
    """
    ad = services.get_ad(ad_id)
    if ad is None or (
        ad.is_hidden and not moderation.can_see_hidden(current_user, ContentKind.AD, ad)
    ):
        abort(404)
    return ad
