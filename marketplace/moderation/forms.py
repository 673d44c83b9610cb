"""Forms: a report, a moderator's decision, suspensions and county moderator assignments."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    RadioField,
    SelectChoice,
    SelectField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length

from marketplace.forms import county_choices, strip
from marketplace.moderation import services
from marketplace.moderation.labels import REASON_LABELS, REPORT_REASONS
from marketplace.moderation.services import Decision

DECISION_LABELS = {
    Decision.HIDE: _l("Dölj innehållet (de som rapporterat och de som publicerat får veta det)"),
    Decision.RESTORE: _l("Återställ innehållet (det blir synligt igen)"),
    Decision.DISMISS: _l("Avvisa rapporterna (innehållet bryter inte mot reglerna)"),
    Decision.KEEP_HIDDEN: _l(
        "Behåll innehållet dolt (den som begärde omprövning får veta det och läser motiveringen)"
    ),
}


def _reason_field(label, hint) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[
            DataRequired(_l("Skriv en motivering.")),
            Length(
                max=services.REASON_MAX_LENGTH,
                message=_l("Motiveringen får vara högst %(max)d tecken."),
            ),
        ],
        filters=[strip],
        description=hint,
        render_kw={"rows": 4},
    )


class ReportForm(FlaskForm):
    reason = RadioField(
        _l("Vad är problemet?"),
        choices=[SelectChoice(reason.value, REASON_LABELS[reason]) for reason in REPORT_REASONS],
        validators=[InputRequired(_l("Välj vad problemet är."))],
    )
    text = TextAreaField(
        _l("Beskriv problemet"),
        validators=[
            DataRequired(_l("Beskriv kort vad som är fel.")),
            Length(
                max=services.REPORT_TEXT_MAX_LENGTH,
                message=_l("Beskrivningen får vara högst %(max)d tecken."),
            ),
        ],
        filters=[strip],
        description=_l(
            "Högst 2 000 tecken. Bara moderatorerna läser det; den du rapporterar får inte veta "
            "vem du är."
        ),
        render_kw={"rows": 5},
    )


class AppealForm(FlaskForm):
    text = TextAreaField(
        _l("Varför ska beslutet ändras?"),
        validators=[
            DataRequired(_l("Skriv varför du vill att beslutet omprövas.")),
            Length(
                max=services.APPEAL_TEXT_MAX_LENGTH,
                message=_l("Texten får vara högst %(max)d tecken."),
            ),
        ],
        filters=[strip],
        description=_l(
            "Högst 2 000 tecken. Berätta gärna vad ni har ändrat eller vad moderatorn kan ha "
            "missförstått. Moderatorerna läser det."
        ),
        render_kw={"rows": 6},
    )


class DecisionForm(FlaskForm):
    decision = RadioField(_l("Beslut"), validators=[InputRequired(_l("Välj ett beslut."))])
    reason = _reason_field(
        _l("Motivering"),
        _l(
            "Sparas i moderationsloggen. Om innehållet döljs får de som publicerade det läsa "
            "motiveringen, och vid en omprövning den som begärde den."
        ),
    )

    def __init__(self, *args, decisions: list[str], **kwargs) -> None:
        kwargs.setdefault("prefix", "decision")
        super().__init__(*args, **kwargs)
        self.decision.choices = [SelectChoice(value, DECISION_LABELS[value]) for value in decisions]


class SuspendForm(FlaskForm):
    """Suspend one of the people behind reported content (site administrators)."""

    user_id = RadioField(_l("Vems konto?"), validators=[InputRequired(_l("Välj ett konto."))])
    reason = _reason_field(
        _l("Motivering"), _l("Sparas i moderationsloggen och skickas till kontots e-postadress.")
    )

    def __init__(self, *args, people: list, **kwargs) -> None:
        kwargs.setdefault("prefix", "suspend")
        super().__init__(*args, **kwargs)
        self.user_id.choices = [
            SelectChoice(str(person.id), f"{person.name} ({person.email})") for person in people
        ]


class SuspendByEmailForm(FlaskForm):
    email = EmailField(
        _l("Kontots e-postadress"),
        validators=[
            DataRequired(_l("Skriv kontots e-postadress.")),
            Email(_l("Skriv en giltig e-postadress, till exempel namn@exempel.se.")),
        ],
        filters=[strip],
    )
    reason = _reason_field(
        _l("Motivering"), _l("Sparas i moderationsloggen och skickas till kontots e-postadress.")
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("prefix", "suspend")
        super().__init__(*args, **kwargs)


class ReinstateForm(FlaskForm):
    """One per suspended account on the accounts page (prefix "reinstate-<user id>")."""

    reason = _reason_field(_l("Motivering"), _l("Sparas i moderationsloggen."))


class ModeratorForm(FlaskForm):
    email = EmailField(
        _l("E-postadress"),
        validators=[
            DataRequired(_l("Skriv e-postadressen till personens konto.")),
            Email(_l("Skriv en giltig e-postadress, till exempel namn@exempel.se.")),
        ],
        filters=[strip],
        description=_l("Personen måste ha ett bekräftat konto på Samverkanstorget."),
    )
    county = SelectField(_l("Län"), validators=[DataRequired(_l("Välj ett län."))])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.county.choices = county_choices(_l("Välj län"))
