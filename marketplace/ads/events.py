"""What else happens when an ad is published: each domain adds its reaction here.

`ad_published` runs inside publish_ad's transaction (after a flush, so the ad has an id and is
in the full-text index, before the commit). What it records (the saved searches to alert, and
outbox jobs for the worker to write the e-mails) commits or rolls back with the ad; publish_ad
calls notifications.dispatch() after the commit.
"""

from __future__ import annotations

from marketplace.ads.models import Ad
from marketplace.alerts import services as alerts
from marketplace.matching import notices as matching


def ad_published(ad: Ad) -> None:
    """Record the e-mails a new ad causes (matches for other ads, saved-search alerts)."""
    matching.notify_matches_later(ad)  # "Ny matchning för er annons" to the organisations it fits
    alerts.alert_new_ad(ad)  # saved searches with the rhythm "Direkt" that find the new ad
