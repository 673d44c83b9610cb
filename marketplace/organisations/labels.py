"""Swedish (translatable) names for the organisation enums, shared by forms, pages and other domains."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.organisations.models import LegalForm, Role, Sector

SECTOR_LABELS = {
    Sector.PUBLIC: _l("Offentlig sektor"),
    Sector.CIVIL: _l("Idéburen sektor"),
    Sector.BUSINESS: _l("Näringsliv"),
}

LEGAL_FORM_LABELS = {
    LegalForm.NONPROFIT_ASSOCIATION: _l("Ideell förening"),
    LegalForm.COOPERATIVE: _l("Ekonomisk förening/kooperativ"),
    LegalForm.FOUNDATION: _l("Stiftelse"),
    LegalForm.FAITH_COMMUNITY: _l("Trossamfund"),
    LegalForm.REGION: _l("Region"),
    LegalForm.MUNICIPALITY: _l("Kommun"),
    LegalForm.STATE_AGENCY: _l("Statlig myndighet/länsstyrelse"),
    LegalForm.LIMITED_COMPANY: _l("Aktiebolag"),
    LegalForm.OTHER: _l("Annan"),
}

ROLE_LABELS = {
    Role.ADMIN: _l("Administratör"),
    Role.MEMBER: _l("Medlem"),
}


def sector_label(sector: Sector | str | None) -> str:
    """The sector in words; accepts the enum or its stored value ('civil')."""
    if sector is None or sector == "":
        return ""
    return str(SECTOR_LABELS[Sector(sector)])


def legal_form_label(legal_form: LegalForm | str | None) -> str:
    """The legal form in words; accepts the enum or its stored value ('stiftelse')."""
    if legal_form is None or legal_form == "":
        return ""
    return str(LEGAL_FORM_LABELS[LegalForm(legal_form)])


def role_label(role: Role | str) -> str:
    return str(ROLE_LABELS[Role(role)])


def verified_how(organisation) -> str:
    """How the organisation was verified, in words ('' when it is not)."""
    if organisation.verified_at is None:
        return ""
    if organisation.verified_via == "domain" and organisation.verified_domain:
        return str(_l("Verifierad via e-postdomän %(domain)s", domain=organisation.verified_domain))
    return str(_l("Verifierad efter granskning av Samverkanstorget"))


def trust_line(organisation) -> str:
    """The badge as words, for e-mails and feeds: how it is verified, or that it is not."""
    if organisation.verified_at is not None:
        return verified_how(organisation)
    if organisation.sector is Sector.PUBLIC:
        return str(_l("Ej verifierad offentlig organisation"))
    return str(_l("Inte verifierad"))
