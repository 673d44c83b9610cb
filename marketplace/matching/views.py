"""Match pages: an ad's matches (the ad page's block, also a page) and an organisation's matches."""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import current_user

from marketplace.ads import services as ad_services
from marketplace.ads.decorators import visible_ad_or_404
from marketplace.htmx import render_page
from marketplace.matching import services
from marketplace.organisations.decorators import member_of_or_403

bp = Blueprint("matching", __name__)


@bp.get("/annonser/<int:ad_id>/matchningar")
def ad_matches(ad_id: int):
    """The ad page loads this block with htmx; without JavaScript it is a page of its own.
    The good matches come first; ?alla=1 also shows the weaker ones."""
    ad = visible_ad_or_404(ad_id)  # hidden: as gone as its page (its members see a notice)
    own = ad_services.can_manage(current_user, ad)
    everything = request.args.get("alla") == "1"
    return render_page(
        "matching/ad.html",
        fragment="matches",
        ad=ad,
        own=own,
        result=services.matches_for_ad(ad, own=own, everything=everything),
    )


@bp.get("/organisationer/<int:organisation_id>/matchningar")
def organisation_matches(organisation_id: int):
    """Members only: the best matches for each of the organisation's open ads."""
    membership = member_of_or_403(organisation_id)
    return render_page(
        "matching/organisation.html",
        organisation=membership.organisation,
        ads=services.organisation_matches(membership.organisation),
    )
