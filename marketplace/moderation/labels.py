"""Swedish (translatable) words for reports and moderation decisions, and the URL words for content."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l

from marketplace.moderation.models import ActionKind, ContentKind, ReportReason, ReportStatus

REASON_LABELS = {
    ReportReason.SPAM: _l("Spam eller reklam"),
    ReportReason.OFFENSIVE: _l("Olämpligt eller kränkande innehåll"),
    ReportReason.INACCURATE: _l("Felaktiga uppgifter"),
    ReportReason.OTHER: _l("Annat"),
    ReportReason.APPEAL: _l("Begäran om omprövning"),
}

# What someone reporting content may choose (an appeal is not a report).
REPORT_REASONS = [reason for reason in REASON_LABELS if reason is not ReportReason.APPEAL]

KIND_LABELS = {
    ContentKind.AD: _l("Annons"),
    ContentKind.ORGANISATION: _l("Organisation"),
    ContentKind.MESSAGE: _l("Meddelande"),
}

# "the ad", "the organisation", "the message": how the kind reads inside a sentence.
KIND_NOUNS = {
    ContentKind.AD: _l("annonsen"),
    ContentKind.ORGANISATION: _l("organisationen"),
    ContentKind.MESSAGE: _l("meddelandet"),
}

STATUS_LABELS = {
    ReportStatus.OPEN: _l("Öppen"),
    ReportStatus.ACTIONED: _l("Innehållet doldes"),
    ReportStatus.DISMISSED: _l("Avvisad"),
    ReportStatus.RESTORED: _l("Innehållet återställdes"),
}

ACTION_LABELS = {
    ActionKind.HIDE: _l("Dolde innehåll"),
    ActionKind.RESTORE: _l("Återställde innehåll"),
    ActionKind.DISMISS: _l("Avvisade rapporter"),
    ActionKind.KEEP_HIDDEN: _l("Behöll innehållet dolt efter omprövning"),
    ActionKind.SUSPEND: _l("Stängde av konto"),
    ActionKind.REINSTATE: _l("Återaktiverade konto"),
    ActionKind.ASSIGN_MODERATOR: _l("Utsåg länsmoderator"),
    ActionKind.REMOVE_MODERATOR: _l("Tog bort länsmoderator"),
    ActionKind.DECLARE_CRISIS: _l("Utlyste kris"),
    ActionKind.EXTEND_CRISIS: _l("Förlängde kris"),
    ActionKind.END_CRISIS: _l("Avslutade kris"),
    ActionKind.TAG_CRISIS: _l("Kopplade annons till kris"),
    ActionKind.UNTAG_CRISIS: _l("Tog bort annons från kris"),
    ActionKind.VERIFY: _l("Verifierade organisation"),
    ActionKind.REJECT_VERIFICATION: _l("Avslog ansökan om verifiering"),
    ActionKind.REVOKE_VERIFICATION: _l("Tog bort verifiering"),
}

# The word in /rapportera/<word>/<id> and /omprovning/<word>/<id>.
KIND_SLUGS = {
    ContentKind.AD: "annons",
    ContentKind.ORGANISATION: "organisation",
    ContentKind.MESSAGE: "meddelande",
}
KIND_BY_SLUG = {slug: kind for kind, slug in KIND_SLUGS.items()}


def reason_label(reason: ReportReason) -> str:
    return str(REASON_LABELS[reason])


def kind_label(kind: ContentKind) -> str:
    return str(KIND_LABELS[kind])


def status_label(status: ReportStatus) -> str:
    return str(STATUS_LABELS[status])


def action_label(action: ActionKind) -> str:
    return str(ACTION_LABELS[action])


def kind_noun(kind: ContentKind | str) -> str:
    """'annonsen', 'organisationen', 'meddelandet' (accepts the stored value too, for e-mails)."""
    return str(KIND_NOUNS[ContentKind(kind) if isinstance(kind, str) else kind])


def report_url(kind: ContentKind | str, content_id: int) -> str:
    """The "Rapportera" link for an ad, an organisation or a message."""
    return url_for(
        "moderation.report", kind_slug=KIND_SLUGS[ContentKind(kind)], target_id=content_id
    )
