"""Match notices ("Ny matchning för er annons"): the organisations behind a new ad's best
matches are told.

Publishing records a job (notify_matches_later); the worker finds the new ad's matches and
queues one e-mail per organisation and member (write_match_emails -> notify_matches). The
MatchNotice ledger makes sure a pair of ads is announced once.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from marketplace.ads.models import Ad
from marketplace.extensions import db
from marketplace.matching.models import MatchNotice
from marketplace.matching.services import Match, find_matches, score_pair
from marketplace.notifications import services as notifications
from marketplace.urls import ad_url

# A new ad is announced to the organisations behind its best matches (at most NOTIFY_TOP ads)
# with at least this score.
NOTIFY_THRESHOLD = 0.8
NOTIFY_TEXT = 0.7  # ... and at least this text component: they write about the same thing
NOTIFY_TOP = 10

NEW_MATCH_EMAILS = "matching.new_ad"  # the outbox job of notify_matches_later


def notify_matches_later(new_ad: Ad) -> None:
    """In the publishing transaction (ads.events.ad_published): have the worker notify_matches.

    Finding an ad's matches takes tens of milliseconds at 100,000 ads (make bench), and the new
    ad reaches the search index the candidates come from through the worker: not for the
    request. The job commits or rolls back with the ad; the worker finds the matches, records
    them and queues the e-mails in one transaction (write_match_emails), so they are written
    exactly once even if it dies half-way.
    """
    notifications.defer_emails(NEW_MATCH_EMAILS, ad=new_ad.id)


@notifications.email_writer(NEW_MATCH_EMAILS)
def write_match_emails(ad: int) -> int:
    """In the worker: notify_matches for a published ad (nothing if it was deleted since)."""
    new_ad = db.session.get(Ad, ad)
    return 0 if new_ad is None else notify_matches(new_ad)


def notify_matches(
    new_ad: Ad, *, threshold: float = NOTIFY_THRESHOLD, min_text: float = NOTIFY_TEXT
) -> int:
    """Queue "Ny matchning för er annons" for a just-published ad; returns the e-mails queued.

    Runs in the worker for a published ad (notify_matches_later) and does not commit. The
    organisations behind the new ad's best matches (score >= NOTIFY_THRESHOLD and a text
    component >= NOTIFY_TEXT, top NOTIFY_TOP) get ONE e-mail each, to each member in their own
    language, listing all their ads that matched. The MatchNotice ledger (unique per pair) makes sure a pair is announced once.
    The demo data (marketplace.demo) passes lower thresholds: a hundred hand-written ads share
    far fewer words than a site full of them.
    """
    matches = [
        match
        for match in find_matches(new_ad, limit=NOTIFY_TOP)
        if match.score >= threshold and match.components["text"] >= min_text
    ]
    if not matches:
        return 0
    ids = [match.ad.id for match in matches]
    told = set(
        db.session.execute(
            sa.select(MatchNotice.ad_id, MatchNotice.matched_ad_id).where(
                sa.or_(
                    sa.and_(MatchNotice.matched_ad_id == new_ad.id, MatchNotice.ad_id.in_(ids)),
                    sa.and_(MatchNotice.ad_id == new_ad.id, MatchNotice.matched_ad_id.in_(ids)),
                )
            )
        ).all()
    )
    by_organisation: dict[int, list[Match]] = defaultdict(list)
    for match in matches:
        if (match.ad.id, new_ad.id) in told or (new_ad.id, match.ad.id) in told:
            continue
        db.session.add(MatchNotice(ad_id=match.ad.id, matched_ad_id=new_ad.id, score=match.score))
        by_organisation[match.ad.organisation_id].append(score_pair(match.ad, new_ad))
    queued = 0
    new_ad_url = ad_url(new_ad, external=True)
    for organisation_id, theirs in by_organisation.items():
        links = {match.source.id: ad_url(match.source, external=True) for match in theirs}
        queued += notifications.email_members(
            organisation_id,
            key=f"match:{new_ad.id}:{organisation_id}",
            template="match_found",
            headers=notifications.AUTOMATIC,
            new_ad=new_ad,
            new_ad_url=new_ad_url,
            matches=theirs,
            links=links,
            organisation=theirs[0].source.organisation,
        )
    return queued
