"""The one place where text becomes matching terms, and how much each term says.

An ad's words reach matching through the Swedish analysis (marketplace.language) of its title,
body and organisation name, the same analysis the search uses, worked out here from the texts
(never from what the search index stores). An ad's `Terms` are three groups of lemmas:

    exact    the lemmas of its words ("tolkar" -> tolk, "böckerna" -> bok)
    parts    the lemmas of its compounds' parts ("läxhjälpsgruppen" -> läxhjälp, läxa, hjälp)
    related  the curated synonyms of both ("tolk" -> språkstöd, tolkning, översättare …)

without Swedish function words, everyday verbs and place names (geography has a component of
its own), which never connect two ads. scoring.py weighs a word both ads write above one that
is part of the other's compound, above a synonym. A written word that can be read more than
one way ("tolkar": tolk or tolka) gives all its readings to `exact`, and `alternatives` ties
them together, so that scoring counts the word once (with the mean weight of its readings).

- `terms_of(...)`: an ad's Terms, kept per ad version (its id and a hash of its texts), so an
  edited ad is analysed again and an unchanged one once per process;
- `TermStats` / `term_stats()`: how many ads hold each lemma and the inverse document frequency
  it gives, idf = ln((1 + N) / (1 + df)) + 1, counted on the newest DF_SAMPLE ads;
- `written_forms()`: the words as an ad writes them for some lemmas (for the reasons).

Swedish word forms, compounds and synonyms belong here and in marketplace.language: scoring,
candidates and wording only ever see the terms this module gives them.
"""

from __future__ import annotations

import math
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache

import sqlalchemy as sa
from flask import current_app

from marketplace import language, reference
from marketplace.ads.models import Ad, open_ads_condition
from marketplace.extensions import db
from marketplace.language import synonyms
from marketplace.language.lexicon import lexicon
from marketplace.language.normalise import MAX_WORD_LENGTH, normalise, words
from marketplace.organisations.models import Organisation
from marketplace.search import text as search_text

TERMS_KEPT = 10_000  # analysed ads kept per process (about 3 KB each)
DF_SAMPLE = 2_000  # the newest ads whose lemmas are counted for the document frequencies
TITLE_WEIGHT = 2.0  # a lemma of the title weighs this much more than one of the body alone
COMMON_FROM = 3.5  # general_weight: zipf from which a lemma weighs less ...
GENERAL_ZERO = 6.5  # ... on a line that would reach 0 here ...
GENERAL_FLOOR = 0.2  # ... but never less than this

# Words that tell nothing about what two ads have in common, as a person writes them (each
# stands for its lemma, so one form is enough): function words, everyday verbs, numbers,
# months, weekdays and times of day (TIME_WORDS), time and contact phrases, and the words that
# only say which kind an ad is or that it is about collaboration. With many ads the idf would
# push most of them down anyway; a young site with few ads needs the list, and none of them is
# ever shown as a shared word.
_STOPWORDS = """
    och att det som en ett i på är av för med till den de dem deras har hade inte om vi ni man
    kan så men var vara varit bli sig sin sitt sina från eller när hur all alla även också
    vilja då där här denna detta dessa under efter över mellan genom utan mot vid hos varje
    många mer mest fler flera andra annan annat egen eget egna bara redan nu sedan ska skall
    skulle måste få göra finnas ha vilken vilket vilka ut upp in ner ur per samt både än några
    något någon inget ingen inga helt mycket gärna ex t bl etc ca kl oss mig dig du jag han
    hon hans hennes er era ert vår vårt våra hej tack åt fram bort hem hit dit tillbaka
    hålla kunna gå ta ge komma se stå veta tro tycka bruka börja fortsätta passa känna höra
    undra gälla innebära handla ske ingå använda önska tänka planera hitta starta leda ordna
    dela arbeta jobba gång del sätt person människa möjlighet
    samarbete samarbeta samverkan samverka partner verksamhet förening organisation
    klockan omkring cirka ungefär minst högst bland inom kring runt utifrån hel bra god
    viktig olika samma själv just först sist nästa senaste ibland alltid ofta aldrig antingen
    varken dock därför eftersom medan innan inför ju nog dessutom tillsammans ny stor liten
    lilla små kunde kommer vill gör tar ger går får
    två tre fyra fem sex sju åtta nio tio elva tolv tjugo trettio hundra tusen
    första andra tredje fjärde
    mejl mejla mail maila epost e-post post kontakta kontakt ringa telefon anmäla anmälan
    intresse intresserad välkommen
    söka sökes erbjuda erbjudande behöva behov idé
"""
# When, not what: "fredagskvällar" and "kvällstid", compounds made only of these, are left out
# too ("dagverksamhet" is not).
_TIME_WORDS = """
    måndag tisdag onsdag torsdag fredag lördag söndag helg helger vardag vardagar morgon
    förmiddag eftermiddag kväll natt dag vecka månad år tid dagtid kvällstid
    januari februari mars april maj juni juli augusti september oktober november december
    vår höst vinter sommar
"""
TIME_WORDS = frozenset(_TIME_WORDS.split())
STOPWORDS = frozenset(_STOPWORDS.split()) | TIME_WORDS
# Words in place names that are also everyday words: kept as text ("Mark", "Lilla Edet").
_PLACE_WORDS_KEPT = frozenset(
    [
        "mark",
        "berg",
        "bro",
        "lilla",
        "vara",
        "boden",
        "kil",
        "ale",
        "ed",
        "salem",
        "nora",
        "sala",
        "mora",
    ]
)
_EXTRA_PLACE_WORDS = ("län", "kommun", "region", "sverige")
_STOP_LEMMAS_KEPT = frozenset(("bar", "bor", "rund", "mod"))  # "bara", "bort", "runt", "mot"


@cache
def time_lemmas() -> frozenset[str]:
    """The lemmas of TIME_WORDS."""
    return frozenset(lemma for word in TIME_WORDS for lemma in language.analyze_word(word).lemmas)


@cache
def excluded() -> tuple[frozenset[str], frozenset[str]]:
    """What never counts as shared content: (written forms, left out whatever they stand for;
    lemmas, left out in any form). The stop words' lemmas ("finns" -> finna), but a few that
    are content words too ("bara" -> bar); of place names only those that are no other word
    ("Malmö", not "Klippan" -> klippa)."""
    forms: set[str] = set()
    lemmas: set[str] = set()
    for word in STOPWORDS | set(_EXTRA_PLACE_WORDS):
        for form in words(word):
            forms.add(form)
            lemmas.update(language.analyze_word(form).lemmas)
    lemmas -= _STOP_LEMMAS_KEPT
    names = [m.name for m in reference.municipalities().values()]
    names += [c.name_sv for c in reference.counties().values()]
    names += [c.name_short for c in reference.counties().values()]
    for name in names:
        for word in words(name):
            if word in _PLACE_WORDS_KEPT:
                continue
            for form in (word, word + "s"):  # "Halmstads kommun"
                forms.add(form)
                analysed = language.analyze_word(form)
                if form in analysed.lemmas:
                    lemmas.add(form)
                elif analysed.how == "unknown":  # a name: its stem
                    lemmas.update(analysed.lemmas)
    return frozenset(forms), frozenset(lemmas)


def _content(term: str, stop: frozenset[str]) -> bool:
    return len(term) > 1 and not term.isdigit() and term not in stop


_NOTHING: frozenset[str] = frozenset()
_NO_ALTERNATIVES: dict[str, frozenset[str]] = {}


def _terms_of_words(tokens: set[str]) -> tuple[set[str], set[str], set[str]]:
    """The union of these normalised words' word_terms."""
    found = list(map(word_terms, tokens))
    return (
        set().union(*[item[0] for item in found]),
        set().union(*[item[1] for item in found]),
        set().union(*[item[2] for item in found]),
    )


WordTerms = tuple[frozenset[str], frozenset[str], frozenset[str]]


@lru_cache(maxsize=50_000)
def word_terms(word: str) -> WordTerms:
    """One normalised word's content lemmas, the lemmas of its compound parts, and their
    curated one-word synonyms."""
    forms, stop = excluded()
    if word in forms:
        return _NOTHING, _NOTHING, _NOTHING
    analysed = language.analyze_word(word)
    if analysed.split and all(set(part) & time_lemmas() for part in analysed.split):
        return _NOTHING, _NOTHING, _NOTHING  # a compound of time words: "fredagskvällar"
    exact = frozenset(sys.intern(t) for t in analysed.lemmas if _content(t, stop))
    parts = frozenset(sys.intern(t) for t in analysed.parts if _content(t, stop)) - exact
    index = synonyms.related_index()
    related = {other for term in exact | parts for other in index.get(term, ())}
    related = {sys.intern(t) for t in related if _content(t, stop)}
    return exact or _NOTHING, parts or _NOTHING, frozenset(related) or _NOTHING


def _alternatives(readings: Iterable[frozenset[str]]) -> dict[str, frozenset[str]]:
    """lemma -> all the lemmas it is one reading of, for the lemmas of words that can be read
    more than one way ("tolkar": tolk or tolka), joined when two words share a reading (the
    ad's "tolk" and "tolkar" are one word). Unambiguous lemmas are left out."""
    merged: dict[str, frozenset[str]] = {}
    for lemmas in readings:
        if len(lemmas) < 2 and not any(lemma in merged for lemma in lemmas):
            continue
        group = set(lemmas)
        for lemma in lemmas:
            group |= merged.get(lemma, frozenset())
        joined = frozenset(group)
        for lemma in joined:
            merged[lemma] = joined
    return merged


class Terms:
    """An ad's content lemmas in three groups (see the module's docstring), those of them that
    its title says (`title`: a title says what an ad is about, so its words weigh more), and
    the readings of its ambiguous words (`alternatives`: lemma -> the lemmas one written word
    can be; scoring counts such a word once, not once per reading)."""

    __slots__ = ("_norm", "_norm_of", "alternatives", "exact", "parts", "related", "title")

    def __init__(
        self,
        exact: frozenset[str],
        parts: frozenset[str],
        related: frozenset[str],
        title: frozenset[str] = frozenset(),
        alternatives: dict[str, frozenset[str]] | None = None,
    ) -> None:
        self.exact, self.parts, self.related, self.title = exact, parts, related, title
        self.alternatives = alternatives or _NO_ALTERNATIVES
        self._norm = 0.0
        self._norm_of: TermStats | None = None

    def boost(self, term: str) -> float:
        """How much more a lemma weighs for where the ad says it: TITLE_WEIGHT in the title."""
        return TITLE_WEIGHT if term in self.title else 1.0

    def word(self, term: str) -> str | frozenset[str]:
        """The written word an exact lemma stands for: the lemma itself, or all the readings
        of an ambiguous word (a frozenset)."""
        return self.alternatives.get(term, term)

    def word_boost(self, word: str | frozenset[str]) -> float:
        """`boost` of a word (Terms.word): TITLE_WEIGHT if the title has any of its readings."""
        if isinstance(word, str):
            return self.boost(word)
        return TITLE_WEIGHT if word & self.title else 1.0

    def words(self) -> set[str | frozenset[str]]:
        """The ad's written words as Terms.word gives them (each once)."""
        alternatives = self.alternatives
        return {alternatives.get(term, term) for term in self.exact}

    @classmethod
    def of(cls, title: str | None, *texts: str | None) -> Terms:
        """The Terms of an ad's title and its other texts (body, organisation name)."""
        title_tokens = set(words(title)) if title else set()
        tokens = set(title_tokens)
        for text in texts:
            if text:
                tokens.update(words(text))
        readings = [word_terms(token)[0] for token in tokens]
        exact, parts, related = _terms_of_words(tokens)
        parts -= exact
        lemmas = exact | parts
        stop = excluded()[1]
        for group in synonyms.phrases_in(lemmas, synonyms.group_phrases()):
            related.update(term for term in group if _content(term, stop))  # "psykisk ohälsa"
        related -= lemmas
        in_title = set().union(*_terms_of_words(title_tokens)) if title_tokens else ()
        return cls(
            frozenset(exact),
            frozenset(parts),
            frozenset(related),
            frozenset(in_title),
            _alternatives(readings),
        )

    @property
    def terms(self) -> frozenset[str]:
        """The lemmas of the ad's own words (what the search index finds it by, analysed)."""
        return self.exact

    def norm(self, stats: TermStats) -> float:
        """Length of the ad's weighted vector of written words under this table (one dimension
        per word, its weight TermStats.word_squared times `boost`)."""
        if self._norm_of is not stats:
            squared = stats.word_squared
            boost = self.word_boost
            self._norm = math.sqrt(sum(squared(word) * boost(word) ** 2 for word in self.words()))
            self._norm_of = stats
        return self._norm


_KEPT: dict[tuple[int, int], Terms] = {}


def terms_of(ad_id: int, title: str | None, body: str | None, organisation: str | None) -> Terms:
    """An ad's Terms, analysed once per version of its texts (kept for TERMS_KEPT ads)."""
    key = (ad_id, hash((title, body, organisation)))
    found = _KEPT.get(key)
    if found is None:
        if len(_KEPT) >= TERMS_KEPT:
            _KEPT.clear()  # rarely: a fresh start is cheaper than tracking use
        found = _KEPT[key] = Terms.of(title, body, organisation)
    return found


def ad_terms(ad: Ad) -> Terms:
    """terms_of for a loaded ad."""
    name = ad.organisation.name if ad.organisation else None
    return terms_of(ad.id, ad.title, ad.body, name)


def texts_statement() -> sa.Select:
    """(id, title, body, organisation name) of ads: what terms_of reads."""
    return sa.select(Ad.id, Ad.title, Ad.body, Organisation.name).join(
        Organisation, Organisation.id == Ad.organisation_id
    )


def terms_of_open(ids: list[int]) -> dict[int, Terms]:
    """The Terms of those of these ads that are still open.

    The snapshot behind the candidates may be a few minutes old when another process wrote
    (without a shared cache): an ad closed or hidden since is left out here, so never matched.
    """
    rows = db.session.execute(texts_statement().where(Ad.id.in_(ids), open_ads_condition()))
    return {row[0]: terms_of(*row) for row in rows}


class _Weights(dict):
    """term -> f(term), computed on first use (a dict lookup afterwards)."""

    def __init__(self, weigh) -> None:
        super().__init__()
        self._weigh = weigh

    def __missing__(self, term: str) -> float:
        value = self[term] = self._weigh(term)
        return value


@dataclass
class TermStats:
    """Document frequencies of lemmas in the ads (exact or part), and the idf they give."""

    documents: int
    df: dict[str, float]  # estimated for all `documents` from the sample
    built_at: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.weights = _Weights(
            lambda term: (
                (math.log((1 + self.documents) / (1 + self.df.get(term, 0))) + 1.0)
                * general_weight(term)
            )
        )
        self.squared = _Weights(lambda term: self.weights[term] ** 2)
        self._word_squared = _Weights(
            lambda word: sum(self.squared[term] for term in word) / len(word)
        )

    def idf(self, term: str) -> float:
        return self.weights[term]

    def word_squared(self, word: str | frozenset[str]) -> float:
        """The squared weight of a written word (Terms.word): its lemma's, or for a word with
        several readings their mean (which reading the ad means is not known)."""
        if isinstance(word, str):
            return self.squared[word]
        return self._word_squared[word]


_STATS: dict[str, TermStats] = {}


def general_weight(term: str) -> float:
    """How much a lemma can say, by how common it is in Swedish at large (wordfreq's zipf in
    the word data): 1 for words rarer than zipf COMMON_FROM ("tolk", "läxhjälp", and every
    compound the dictionary lacks), falling to GENERAL_FLOOR for everyday words ("barn",
    "prata", "ny"). A site's own counts say the same only once it has many ads."""
    zipf = lexicon().zipf(term)
    return min(1.0, max(GENERAL_FLOOR, (GENERAL_ZERO - zipf) / (GENERAL_ZERO - COMMON_FROM)))


def _build_term_stats() -> TermStats:
    """Document frequencies from the newest DF_SAMPLE ads (all of them on a smaller site),
    scaled to the number of ads, open or not: a word's rarity hardly changes with the rest.
    The same rows on either database, so the same numbers. Warms terms_of's cache."""
    documents = db.session.scalar(sa.select(sa.func.count(Ad.id))) or 0
    rows = db.session.execute(texts_statement().order_by(Ad.id.desc()).limit(DF_SAMPLE))
    counts: Counter[str] = Counter()
    sampled = 0
    for ad_id, title, body, name in rows:
        terms = terms_of(ad_id, title, body, name)
        counts.update(terms.exact)
        counts.update(terms.parts)
        sampled += 1
    scale = documents / sampled if sampled else 1.0
    df = {term: count * scale for term, count in counts.items()} if scale != 1 else counts
    return TermStats(documents=documents, df=dict(df))


def term_stats() -> TermStats:
    """The document-frequency table, rebuilt when older than MATCHING_DF_MAX_AGE seconds."""
    max_age = current_app.config["MATCHING_DF_MAX_AGE"]
    key = str(db.engine.url)
    stats = _STATS.get(key)
    if stats is None or time.monotonic() - stats.built_at >= max_age:
        stats = _build_term_stats()
        _STATS[key] = stats
    return stats


def index_terms(ad: Ad, lemmas: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """lemma -> the terms the search index holds for the ad's words with that lemma (so the
    index can be asked which other ads have them)."""
    wanted = frozenset(lemmas)
    found: dict[str, dict[str, None]] = {}
    for text in (ad.title, ad.body, ad.organisation.name if ad.organisation else None):
        for word in words(text or ""):
            hits = wanted & word_terms(word)[0]
            if not hits:
                continue
            stems = tuple(
                stem for folded in search_text.words(word) for stem in search_text.variants(folded)
            )
            for lemma in hits:
                found.setdefault(lemma, {}).update(dict.fromkeys(stems))
    return {lemma: tuple(stems) for lemma, stems in found.items()}


_WORD = re.compile(r"[^\W_]+")
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


@lru_cache(maxsize=256)
def _written_words(text: str) -> tuple[tuple[str, frozenset[str], frozenset[str]], ...]:
    """Each distinct word of a text as shown (a capital that only starts a sentence dropped),
    with its lemmas and parts, in order: what written_forms looks through (kept, because an
    ad's own text is looked through once for each of its matches)."""
    found = []
    seen: set[str] = set()
    for match in _WORD.finditer(text):
        word = match.group()
        capital = word[:1].isupper() and not word.isupper()
        if capital and _starts_sentence(text, match.start()):
            word = word[:1].lower() + word[1:]
        if word in seen:
            continue
        seen.add(word)
        exact, parts, _related = word_terms(normalise(word)[:MAX_WORD_LENGTH])
        if exact or parts:
            found.append((word, exact, parts))
    return tuple(found)


def written_forms(
    texts: Iterable[str | None], lemmas: Iterable[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """The words these texts write for these lemmas: (lemma -> a word that is the lemma,
    lemma -> a compound that has it as a part), the first such word of each.

    A capital that only ever starts a sentence is not part of the word ("Arbetar" -> "arbetar");
    one in mid-sentence is (a name such as "Norrliden" stays as it is).
    """
    wanted = frozenset(lemmas)
    as_word: dict[str, str] = {}
    in_compound: dict[str, str] = {}
    for text in texts:
        for word, exact, parts in _written_words(text or ""):
            for target, lemmas_here in ((as_word, wanted & exact), (in_compound, wanted & parts)):
                for lemma in lemmas_here:
                    known = target.get(lemma)
                    if known is None or (known[:1].islower() and word[:1].isupper()):
                        target[lemma] = word  # a mid-sentence capital marks a name
    return as_word, in_compound
