"""Swedish (translatable) names for collaboration forms and statistics periods."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.insights.models import CollaborationForm

FORM_LABELS = {
    CollaborationForm.IOP: _l("IOP – idéburet offentligt partnerskap"),
    CollaborationForm.PROJECT: _l("Projekt"),
    CollaborationForm.VOLUNTEERING: _l("Volontärinsats"),
    CollaborationForm.GRANT: _l("Bidrag"),
    CollaborationForm.PROCUREMENT: _l("Upphandling"),
    CollaborationForm.OTHER: _l("Annat"),
}

# The statistics bar for answers that no collaboration came of it.
NO_COLLABORATION_LABEL = _l("Ledde inte till samverkan")

# Periods on /statistik: number of calendar months up to and including this one.
PERIOD_LABELS = {
    3: _l("3 senaste månaderna"),
    6: _l("6 senaste månaderna"),
    12: _l("12 senaste månaderna"),
    24: _l("24 senaste månaderna"),
}


def form_label(form: CollaborationForm | str | None) -> str:
    """The form in words; accepts the enum or its stored value ('iop'); '' for none."""
    if form is None or form == "":
        return ""
    return str(FORM_LABELS[CollaborationForm(form)])
