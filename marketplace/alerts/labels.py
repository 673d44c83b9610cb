"""Swedish (translatable) names for how often a saved search mails, for the form and the pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.alerts.models import Rhythm

RHYTHM_LABELS = {
    Rhythm.IMMEDIATE: _l("Direkt"),
    Rhythm.DAILY: _l("Dagligen"),
    Rhythm.WEEKLY: _l("Veckovis"),
}

RHYTHM_CHOICE_LABELS = {
    Rhythm.IMMEDIATE: _l("Direkt – ett e-postmeddelande så fort en matchande annons publiceras"),
    Rhythm.DAILY: _l("Dagligen – en sammanställning varje morgon kl. 7"),
    Rhythm.WEEKLY: _l("Veckovis – en sammanställning varje måndag kl. 7"),
}


def rhythm_label(rhythm: Rhythm | str) -> str:
    return str(RHYTHM_LABELS[Rhythm(rhythm)])
