"""The rules for tagging an ad to a crisis, shared by posting (ads), the API and the import.

Kept apart from crises.services so that ads.services can apply them without importing the
crisis use cases (which use the ads' services themselves).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.ads.models import Ad, open_ads_condition
from marketplace.crises.models import Crisis, active_crisis_condition
from marketplace.extensions import db


def crisis_by_slug(slug: str) -> Crisis | None:
    return db.session.scalar(sa.select(Crisis).where(Crisis.slug == (slug or "").strip()))


def all_crises() -> list[Crisis]:
    """Every crisis, newest first (active and ended)."""
    return list(
        db.session.scalars(sa.select(Crisis).order_by(Crisis.starts_on.desc(), Crisis.id.desc()))
    )


def active_crises(today: date, county_code: str | None = None) -> list[Crisis]:
    """The active crises, newest first; with a county, those covering it (or all of Sweden)."""
    crises = db.session.scalars(
        sa.select(Crisis)
        .where(active_crisis_condition(today))
        .order_by(Crisis.starts_on.desc(), Crisis.id.desc())
    ).all()
    if county_code is None:
        return list(crises)
    return [crisis for crisis in crises if crisis.covers(county_code)]


def tag_error(crisis: Crisis, county_code: str | None, today: date) -> str | None:
    """Why an ad for this county may not be tagged to the crisis now, or None when it may."""
    if not crisis.is_active(today):
        return _("Krisen ”%(name)s” pågår inte längre.", name=crisis.name)
    if not crisis.covers(county_code):
        if county_code is None:
            return _(
                "Krisen ”%(name)s” gäller vissa län. Välj annonsens län för att koppla den.",
                name=crisis.name,
            )
        return _("Krisen ”%(name)s” gäller inte annonsens län.", name=crisis.name)
    return None


def capped_expiry(crisis: Crisis | None, expires_on: date) -> tuple[date, bool]:
    """A crisis ad is shown at most until the crisis's end + 14 days; True when that cut it."""
    if crisis is None:
        return expires_on, False
    cap = crisis.ad_expiry_cap()
    if expires_on > cap:
        return cap, True
    return expires_on, False


def crisis_ad_ids(today: date, county_code: str | None) -> list[int]:
    """Open ads tagged to active crises covering the county: a search for it lists them first."""
    from_crises = [crisis.id for crisis in active_crises(today, county_code)] if county_code else []
    if not from_crises:
        return []
    return list(
        db.session.scalars(
            sa.select(Ad.id).where(Ad.crisis_id.in_(from_crises), open_ads_condition())
        )
    )
