"""A match's reasons in the reader's language: the sentences under each match, and the shared
words as the other ad writes them.

Scoring gives reasons as data (scoring.Reason: a code and values); this module words them,
for the pages (the reader's language) and the e-mails (the recipient's), naming both
organisations or, when the reader speaks for one of the ads, saying "Ni".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace import reference
from marketplace.ads.models import Ad, AdKind
from marketplace.matching.scoring import Reason
from marketplace.matching.terms import stems_of_written
from marketplace.organisations.labels import SECTOR_LABELS
from marketplace.organisations.models import LegalForm, Organisation, Sector

SHOWN_WORDS = 5  # shared words named in a reason

_WORD = re.compile(r"[^\W_]+", re.UNICODE)

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
        return _("Gemensamma ord: %(words)s", words=", ".join(values))
    raise ValueError(f"unknown reason {code!r}")


_SENTENCE_ENDS = frozenset(".!?:;")
_DASHES = frozenset("–—-")


def _starts_sentence(text: str, start: int) -> bool:
    """Whether the word at `start` begins a sentence: the text's first, or after . ! ? : ; or
    a line break (spaces may follow), or after a dash and a space. Looks back over the spaces
    only, so a long text costs no more per word than a short one."""
    if start == 0:
        return True
    end = start
    while end > 0 and text[end - 1].isspace():
        end -= 1
    if "\n" in text[end:start]:
        return True
    return end > 0 and (
        text[end - 1] in _SENTENCE_ENDS or (text[end - 1] in _DASHES and end < start)
    )


def _written_forms(texts: tuple[str, ...], stems: Iterable[str]) -> dict[str, str]:
    """Stem -> the word as written in these texts, for these stems.

    A capital that only ever starts a sentence is not part of the word ("Arbetar" -> "arbetar");
    one in mid-sentence is (a name such as "Norrliden" stays as it is).
    """
    wanted = frozenset(stems)
    written: dict[str, str] = {}
    for text in texts:
        text = text or ""
        for found in _WORD.finditer(text):
            word = found.group()
            of_word = stems_of_written(word)
            if wanted.isdisjoint(of_word):
                continue
            capital = word[:1].isupper() and not word.isupper()
            if capital and _starts_sentence(text, found.start()):
                word = word[:1].lower() + word[1:]
            for stem in wanted.intersection(of_word):
                known = written.get(stem)
                if known is None or (known[:1].islower() and word[:1].isupper()):
                    written[stem] = word  # a mid-sentence capital marks a name
    return written


def surface_words(ad: Ad, stems: list[str]) -> tuple[str, ...]:
    """The other ad's own words (as written) for the shared stems, rarest first."""
    texts = (ad.title, ad.body, ad.organisation.name if ad.organisation else "")
    written = _written_forms(texts, stems)
    shown: list[str] = []
    for stem in stems:
        word = written.get(stem)
        if word and word.lower() not in (w.lower() for w in shown):
            shown.append(word)
        if len(shown) == SHOWN_WORDS:
            break
    return tuple(shown)
