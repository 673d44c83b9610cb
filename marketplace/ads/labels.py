"""Swedish (translatable) names for ad kinds and statuses, in one place for forms, pages, feed and API."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.ads.models import AdKind, AdStatus
from marketplace.organisations.labels import SECTOR_LABELS, sector_label  # noqa: F401  re-exported

KIND_LABELS = {
    AdKind.NEED: _l("Söker"),
    AdKind.OFFER: _l("Erbjuder"),
    AdKind.IDEA: _l("Idé"),
}

# How the kind reads in a sentence or a heading ("Behov", not "Söker").
KIND_NOUNS = {
    AdKind.NEED: _l("Behov"),
    AdKind.OFFER: _l("Erbjudande"),
    AdKind.IDEA: _l("Idé"),
}

STATUS_LABELS = {
    AdStatus.OPEN: _l("Öppen"),
    AdStatus.PARTNER_FOUND: _l("Stängd – partner hittad"),
    AdStatus.NOT_CURRENT: _l("Stängd – inte längre aktuell"),
}

# The two ways to close an ad, as the member chooses them.
CLOSE_REASON_LABELS = {
    AdStatus.PARTNER_FOUND: _l("Partner hittad"),
    AdStatus.NOT_CURRENT: _l("Inte längre aktuell"),
}

EXPIRED_LABEL = _l("Utgången")


def kind_label(kind: AdKind | str) -> str:
    """The kind in words; accepts the enum or its stored value ('need')."""
    return str(KIND_LABELS[AdKind(kind)])


def status_label(status: AdStatus | str) -> str:
    return str(STATUS_LABELS[AdStatus(status)])
