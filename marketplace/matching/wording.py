"""A match's reasons in the reader's language: the sentences under each match, and the shared
words as the other ad writes them.

Scoring gives reasons as data (scoring.Reason: a code and values); this module words them,
for the pages (the reader's language) and the e-mails (the recipient's), naming both
organisations or, when the reader speaks for one of the ads, saying "Ni".
"""

from __future__ import annotations

from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace import reference
from marketplace.ads.models import Ad, AdKind
from marketplace.matching.scoring import Reason
from marketplace.matching.terms import written_forms
from marketplace.organisations.labels import SECTOR_LABELS
from marketplace.organisations.models import LegalForm, Organisation, Sector

SHOWN_WORDS = 5  # shared words named in a reason
SHOWN_SIMILAR = 3  # pairs of similar words named in a reason

_KIND_VERBS = {
    AdKind.NEED: _l("söker"),
    AdKind.OFFER: _l("erbjuder"),
    AdKind.IDEA: _l("har en idé"),
}

# "Språkbron är en ideell förening": the legal form as a predicate, with the right article.
_IS_A = {
    LegalForm.NONPROFIT_ASSOCIATION: _l("är en ideell förening"),
    LegalForm.COOPERATIVE: _l("är en ekonomisk förening"),
    LegalForm.FOUNDATION: _l("är en stiftelse"),
    LegalForm.FAITH_COMMUNITY: _l("är ett trossamfund"),
    LegalForm.REGION: _l("är en region"),
    LegalForm.MUNICIPALITY: _l("är en kommun"),
    LegalForm.STATE_AGENCY: _l("är en statlig myndighet"),
    LegalForm.LIMITED_COMPANY: _l("är ett aktiebolag"),
}


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def sector_phrase(sector: Sector) -> str:
    return lower_first(str(SECTOR_LABELS[sector]))


def is_a(organisation: Organisation) -> str:
    phrase = _IS_A.get(organisation.legal_form)
    if phrase is None:  # "Annan": say the sector instead
        return _("hör till %(sector)s", sector=sector_phrase(organisation.sector))
    return str(phrase)


def join(items: list[str]) -> str:
    locale = get_locale()
    return format_list(items, locale=str(locale) if locale else "sv")


def describe(reasons: list[Reason], ours: Ad, theirs: Ad, own: bool = False) -> list[str]:
    """The reasons `theirs` matches `ours` in words: `own` when the reader speaks for `ours`
    ("Ni söker"), else both organisations are named."""
    return [reason_text(reason, ours, theirs, own) for reason in reasons]


def reason_text(reason: Reason, ours: Ad, theirs: Ad, own: bool) -> str:
    our_name = ours.organisation.name
    their_name = theirs.organisation.name
    code, values = reason.code, reason.values
    if code == "kinds":
        if own:
            return _(
                "Ni %(ours)s – de %(theirs)s",
                ours=_KIND_VERBS[ours.kind],
                theirs=_KIND_VERBS[theirs.kind],
            )
        return _(
            "%(first)s %(ours)s – %(second)s %(theirs)s",
            first=our_name,
            ours=_KIND_VERBS[ours.kind],
            second=their_name,
            theirs=_KIND_VERBS[theirs.kind],
        )
    if code == "challenges":
        names = [
            lower_first(reference.challenges()[slug].name)
            for slug in values
            if slug in reference.challenges()
        ]
        return _("Båda arbetar med %(challenges)s", challenges=join(names))
    if code == "municipality":
        return _("Samma kommun: %(name)s", name=reference.municipality_name(values[0]))
    if code == "county":
        return _("Samma län: %(name)s", name=reference.county_name(values[0]))
    if code == "neighbour":
        return _(
            "Grannlän: %(ours)s och %(theirs)s",
            ours=reference.county_name(values[0]),
            theirs=reference.county_name(values[1]),
        )
    if code == "nationwide":
        if values[0] == "theirs":
            return _("Hela Sverige: annonsen från %(name)s gäller i hela landet", name=their_name)
        if own:
            return _("Hela Sverige: er annons gäller i hela landet")
        return _("Hela Sverige: annonsen från %(name)s gäller i hela landet", name=our_name)
    if code == "we_seek":
        return _(
            "%(seeker)s söker %(sector)s — %(name)s %(is_a)s",
            seeker=_("Ni") if own else our_name,
            sector=sector_phrase(theirs.organisation.sector),
            name=their_name,
            is_a=is_a(theirs.organisation),
        )
    if code == "they_seek":
        return _(
            "%(seeker)s söker %(sector)s — %(name)s %(is_a)s",
            seeker=their_name,
            sector=sector_phrase(ours.organisation.sector),
            name=_("ni") if own else our_name,
            is_a=is_a(ours.organisation),
        )
    if code == "words":
        return _(
            "Gemensamma ord: %(words)s",
            words=", ".join(shared_word(word, compound) for word, compound in values),
        )
    if code == "similar":
        return _("Liknande ord: %(words)s", words=similar_words(values))
    raise ValueError(f"unknown reason {code!r}")


# What each sector is, as the object of "söker": "Ni söker idéburna organisationer".
_SECTOR_SOUGHT = {
    Sector.PUBLIC: _l("offentliga aktörer"),
    Sector.CIVIL: _l("idéburna organisationer"),
    Sector.BUSINESS: _l("företag"),
}


def summary(reasons: list[Reason], ours: Ad, theirs: Ad, own: bool = False) -> str:
    """The reasons as a short paragraph a person might write, in at most three sentences:
    topic and place ("Båda arbetar med integration i Kalmar."), the words ("Båda skriver om
    arabiska och läxhjälp; liknande ord: tolk ≈ språkstöd."), and who seeks whom ("Ni söker
    idéburna organisationer – Språkbron är en ideell förening."). The kinds are left to the
    match's badge; `describe` lists every reason on its own."""
    found = {reason.code: reason for reason in reasons}
    our_name, their_name = ours.organisation.name, theirs.organisation.name
    sentences = []
    challenges = found.get("challenges")
    topic = ""
    if challenges:
        topic = join(
            [
                lower_first(reference.challenges()[slug].name)
                for slug in challenges.values
                if slug in reference.challenges()
            ]
        )
    place = _place_phrase(found)
    if topic and place:
        sentences.append(
            _("Båda arbetar med %(challenges)s %(place)s.", challenges=topic, place=place)
        )
    elif topic:
        sentences.append(_("Båda arbetar med %(challenges)s.", challenges=topic))
    elif place:
        sentences.append(_("Båda finns %(place)s.", place=place))
    nationwide = found.get("nationwide")
    if nationwide:
        if nationwide.values[0] == "theirs":
            sentences.append(_("Annonsen från %(name)s gäller hela Sverige.", name=their_name))
        elif own:
            sentences.append(_("Er annons gäller hela Sverige."))
        else:
            sentences.append(_("Annonsen från %(name)s gäller hela Sverige.", name=our_name))
    words, similar = found.get("words"), found.get("similar")
    if words:
        shared = join([shared_word(word, compound) for word, compound in words.values])
        if similar:
            sentences.append(
                _(
                    "Båda skriver om %(words)s; liknande ord: %(similar)s.",
                    words=shared,
                    similar=similar_words(similar.values),
                )
            )
        else:
            sentences.append(_("Båda skriver om %(words)s.", words=shared))
    elif similar:
        sentences.append(_("Liknande ord: %(similar)s.", similar=similar_words(similar.values)))
    we_seek, they_seek = "we_seek" in found, "they_seek" in found
    seeker = _("Ni") if own else our_name
    if we_seek and they_seek:
        values = {
            "seeker": seeker,
            "sector": _SECTOR_SOUGHT[theirs.organisation.sector],
            "name": their_name,
            "our_sector": _SECTOR_SOUGHT[ours.organisation.sector],
        }
        if own:
            text = _("Ni söker %(sector)s och %(name)s söker %(our_sector)s: ni passar varandra.")
        else:
            text = _(
                "%(seeker)s söker %(sector)s och %(name)s söker %(our_sector)s: de passar varandra."
            )
        sentences.append(text % values)
    elif we_seek:
        sentences.append(
            _(
                "%(seeker)s söker %(sector)s – %(name)s %(is_a)s.",
                seeker=seeker,
                sector=_SECTOR_SOUGHT[theirs.organisation.sector],
                name=their_name,
                is_a=is_a(theirs.organisation),
            )
        )
    elif they_seek:
        sentences.append(
            _(
                "%(seeker)s söker %(sector)s – %(name)s %(is_a)s.",
                seeker=their_name,
                sector=_SECTOR_SOUGHT[ours.organisation.sector],
                name=_("ni") if own else our_name,
                is_a=is_a(ours.organisation),
            )
        )
    return " ".join(sentences)


def _place_phrase(found: dict[str, Reason]) -> str:
    """ "i Kalmar", "i Kalmar län", "i grannlänen Kalmar län och Kronobergs län", or ""."""
    if "municipality" in found:
        return _("i %(name)s", name=reference.municipality_name(found["municipality"].values[0]))
    if "county" in found:
        return _("i %(name)s", name=reference.county_name(found["county"].values[0]))
    if "neighbour" in found:
        values = found["neighbour"].values
        return _(
            "i grannlänen %(ours)s och %(theirs)s",
            ours=reference.county_name(values[0]),
            theirs=reference.county_name(values[1]),
        )
    return ""


def word_reasons(ours: Ad, theirs: Ad, connections: list[tuple[str, str, str]]) -> list[Reason]:
    """The reasons in the ads' words, strongest first: "words" (each a word both write, as the
    other ad writes it, or a word of one ad with the other's compound it is part of) and
    "similar" (our word, their word that means nearly the same)."""
    if not connections:
        return []
    our_texts = _texts(ours)
    their_texts = _texts(theirs)
    our_word, our_compound = written_forms(our_texts, (c[1] for c in connections))
    their_word, their_compound = written_forms(their_texts, (c[2] for c in connections))
    shared: list[tuple[str, str]] = []
    similar: list[tuple[str, str]] = []
    seen: set[str] = set()

    def add(target: list, limit: int, pair: tuple[str, str]) -> None:
        key = " ".join(pair).lower()
        if len(target) < limit and key not in seen:
            seen.add(key)
            target.append(pair)

    for kind, our, their in connections:
        if kind == "same":
            word = their_word.get(their) or our_word.get(our)
            if word:
                add(shared, SHOWN_WORDS, (word, ""))
        elif kind == "part":
            if our in our_word and our in their_compound:
                add(shared, SHOWN_WORDS, (our_word[our], their_compound[our]))
            elif their in their_word and their in our_compound:
                add(shared, SHOWN_WORDS, (their_word[their], our_compound[their]))
        else:
            first = our_word.get(our) or our_compound.get(our)
            second = their_word.get(their) or their_compound.get(their)
            named = {word.lower() for pair in shared for word in pair if word}
            if first and second and not named & {first.lower(), second.lower()}:
                add(similar, SHOWN_SIMILAR, (first, second))
    reasons = []
    if shared:
        reasons.append(Reason("words", tuple(shared)))
    if similar:
        reasons.append(Reason("similar", tuple(similar)))
    return reasons


def _texts(ad: Ad) -> tuple[str | None, ...]:
    return (ad.title, ad.body, ad.organisation.name if ad.organisation else None)


def shared_word(word: str, compound: str) -> str:
    """ "arabiska", or "läxhjälp (i läxhjälpsgruppen)" for a word inside the other's compound."""
    if not compound:
        return word
    return _("%(word)s (i %(compound)s)", word=word, compound=compound)


def similar_words(pairs) -> str:
    return ", ".join(f"{first} ≈ {second}" for first, second in pairs)
