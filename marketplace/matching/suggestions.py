"""Organisations to contact for a public body's open need: whether or not they have an open ad.

A region or municipality that needs something often does not wait for an ad that offers it:
the ad page shows its own organisation the organisations of the sectors it seeks that work on
its challenges near its area (`suggest_organisations`), with reasons in words.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from marketplace import reference
from marketplace.ads.models import Ad, AdKind
from marketplace.clock import today
from marketplace.extensions import db
from marketplace.matching.scoring import GEOGRAPHY
from marketplace.matching.wording import is_a, join, lower_first, sector_phrase
from marketplace.organisations.models import Organisation, OrganisationChallenge, Sector

SUGGESTION_CAP = 200  # organisations read before the best are picked in Python


@dataclass
class Suggestion:
    """An organisation (with or without open ads) that fits an ad's challenges and area."""

    organisation: Organisation
    score: float
    reasons: list[str]

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def _organisation_place(ad: Ad, organisation: Organisation) -> tuple[float, str | None]:
    if ad.county_code is None:
        return GEOGRAPHY["nationwide"], _("Er annons gäller i hela Sverige")
    if ad.municipality_code and organisation.municipality_code == ad.municipality_code:
        return GEOGRAPHY["municipality"], _(
            "Finns i %(name)s", name=reference.municipality_name(organisation.municipality_code)
        )
    if organisation.county_code == ad.county_code:
        return GEOGRAPHY["county"], _(
            "Finns i %(name)s", name=reference.county_name(organisation.county_code)
        )
    if organisation.county_code in reference.county_neighbours().get(ad.county_code, ()):
        return GEOGRAPHY["neighbour"], _(
            "Grannlän: %(ours)s och %(theirs)s",
            ours=reference.county_name(ad.county_code),
            theirs=reference.county_name(organisation.county_code),
        )
    return GEOGRAPHY["far"], None


def suggest_organisations(ad: Ad, limit: int = 5) -> list[Suggestion]:
    """Organisations of the sectors the ad seeks that work on its challenges near its area.

    For public bodies' needs: organisations count whether or not they have an open ad.
    Score: 0.6 × shared challenges (Jaccard) + 0.4 × place (the ad-to-ad geography levels).
    """
    slugs = ad.challenge_slugs
    if not slugs or limit < 1:
        return []
    shared = (
        sa.select(OrganisationChallenge.organisation_id, sa.func.count().label("shared"))
        .where(OrganisationChallenge.challenge.in_(slugs))
        .group_by(OrganisationChallenge.organisation_id)
        .subquery("shared_challenges")
    )
    if ad.county_code is None:
        place = sa.literal(2)
    else:
        whens = []
        if ad.municipality_code:
            whens.append((Organisation.municipality_code == ad.municipality_code, 3))
        whens.append((Organisation.county_code == ad.county_code, 2))
        neighbours = sorted(reference.county_neighbours().get(ad.county_code, ()))
        if neighbours:
            whens.append((Organisation.county_code.in_(neighbours), 1))
        place = sa.case(*whens, else_=0)
    statement = (
        sa.select(Organisation)
        .join(shared, shared.c.organisation_id == Organisation.id)
        .where(Organisation.id != ad.organisation_id, Organisation.hidden_at.is_(None))
        .order_by((shared.c.shared * 2 + place).desc(), Organisation.id.desc())
        .limit(SUGGESTION_CAP)
        .options(so.selectinload(Organisation.challenge_links))
    )
    if ad.seeking:
        statement = statement.where(Organisation.sector.in_(ad.seeking))
    wanted = set(slugs)
    order = list(reference.challenges())
    suggestions = []
    for organisation in db.session.scalars(statement):
        theirs = set(organisation.challenge_slugs)
        both = sorted(wanted & theirs, key=lambda s: order.index(s) if s in order else 99)
        jaccard = len(both) / len(wanted | theirs)
        place_score, place_reason = _organisation_place(ad, organisation)
        names = [lower_first(reference.challenges()[s].name) for s in both if s in order]
        reasons = [_("Arbetar med %(challenges)s", challenges=join(names))]
        if place_reason:
            reasons.append(place_reason)
        if organisation.sector in ad.seeking:
            reasons.append(
                _(
                    "%(seeker)s söker %(sector)s — %(name)s %(is_a)s",
                    seeker=_("Ni"),
                    sector=sector_phrase(organisation.sector),
                    name=organisation.name,
                    is_a=is_a(organisation),
                )
            )
        suggestions.append(Suggestion(organisation, 0.6 * jaccard + 0.4 * place_score, reasons))
    suggestions.sort(key=lambda s: (-s.score, -s.organisation.id))
    return suggestions[:limit]


def wants_suggestions(ad: Ad) -> bool:
    """Public bodies' open needs also get organisations to contact."""
    return (
        ad.kind is AdKind.NEED and ad.organisation.sector is Sector.PUBLIC and ad.is_open(today())
    )
