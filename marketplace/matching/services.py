"""Matchmaking: rank the open ads of other organisations that complement an ad, and say why.

SCORE. `score_pair(a, b)` is a weighted sum of five components, each between 0 and 1, so the
score is between 0 and 1 too. It is symmetric: score(a, b) == score(b, a).

    component   weight  1.0 means                                  less
    text         0.40   many shared rare words                     1 - exp(-cosine / 0.15) of
                                                                   the IDF-weighted term vectors
    challenges   0.20   every challenge of the ad with fewer is    shared / fewer (overlap
                        also the other's                           coefficient)
    geography    0.15   the same municipality                      same county, or either ad
                                                                   for all of Sweden 0.7;
                                                                   neighbouring county 0.4;
                                                                   farther 0
    sector       0.15   each seeks the other's sector              one way 0.5, neither 0
    kinds        0.10   need with offer                            an idea with a need or an
                                                                   offer 0.6; other pairs are
                                                                   never matched

Text weighs most on purpose: two ads in the same town about the same challenge are common, and
only their words tell a room to rent from Arabic-speaking homework helpers. Without a single
shared word a pair scores at most 0.60. Every component that adds to the score adds a reason.

TEXT. Terms are the stemmed, accent-folded terms of marketplace.search.text, the ones the search
index holds in `Ad.search_terms` (title, body, organisation name), without Swedish function words
and place names (geography has its own component). Each term weighs its inverse document
frequency, idf = ln((1 + N) / (1 + df)) + 1, so "läxhjälp" counts far more than "barn". Swedish
compounds: a term of 5+ letters that begins the other ad's term ("senior" in "seniordans",
"arabisk" in "arabisktalande") counts half.

DOCUMENT FREQUENCIES (`term_stats`) come from the full-text index in one aggregate query: the
FTS5 vocabulary table fts_ad_vocab on SQLite, the same stored terms split with
string_to_array() on PostgreSQL. Both count every ad in the index, open or closed (neither
database can count only open ads cheaply, and a word's rarity hardly changes when ads close),
so both give the same numbers and the same ranking. The table is kept in the process for
MATCHING_DF_MAX_AGE seconds (default 3600: rarity changes slowly, and at 100,000 ads a rebuild
takes about a second; 0 in tests, so each test sees its own data).

CANDIDATES come from indexed filters, never from scoring every ad in Python: open, not expired,
another organisation, a complementary kind, and either a shared challenge or one of the ad's
rarer terms (the full-text index). With more than NEAR_ONLY_ABOVE ads, an ad sharing only a
challenge must also be near (same or neighbouring county, or all of Sweden); ads sharing rare
words come from anywhere. An integer pre-score (the weights above in whole points) keeps the
best CANDIDATE_CAP, the newer ad on equal points. The filters and the pre-score work on
bitsets of the open ads' filter values (search.facets keeps them per process, rebuilt when the
data changes; candidates.py does the arithmetic), so a lookup is a few dozen operations on
100,000-bit integers instead of a query that sorts every ad sharing a challenge; the same
bitsets on either database give the same candidates.

SCORING the candidates reads their kind, place, sectors and challenges from lists kept with
those bitsets (candidates.attributes), and their words only while the text can still change
the top list: without the text a score is at most the other components plus 0.40, so
candidates are taken best bound first and the rest are never read (_best; exact, not a
heuristic). Only the shown matches are loaded as whole ads. The pages keep an ad's ranking
until the data changes (marketplace.caching); the API and the match e-mails rank afresh.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import re
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache, cached_property, lru_cache

import sqlalchemy as sa
import sqlalchemy.orm as so
from babel.lists import format_list
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace import reference
from marketplace.ads.models import Ad, AdKind, open_ads_condition
from marketplace.caching import cached
from marketplace.clock import today as swedish_today
from marketplace.extensions import db
from marketplace.matching import candidates
from marketplace.matching.models import MatchNotice
from marketplace.notifications import services as notifications
from marketplace.organisations.labels import SECTOR_LABELS
from marketplace.organisations.models import (
    LegalForm,
    Organisation,
    OrganisationChallenge,
    Sector,
)
from marketplace.search import facets
from marketplace.search import text as search_text
from marketplace.urls import ad_url

WEIGHTS = {"text": 0.40, "challenges": 0.20, "geography": 0.15, "sector": 0.15, "kinds": 0.10}

# Which kinds complement which, and how well (the relation is symmetric).
COMPLEMENTS: dict[AdKind, dict[AdKind, float]] = {
    AdKind.NEED: {AdKind.OFFER: 1.0, AdKind.IDEA: 0.6},
    AdKind.OFFER: {AdKind.NEED: 1.0, AdKind.IDEA: 0.6},
    AdKind.IDEA: {AdKind.NEED: 0.6, AdKind.OFFER: 0.6},
}

GEOGRAPHY = {"municipality": 1.0, "county": 0.7, "nationwide": 0.7, "neighbour": 0.4, "far": 0.0}

TEXT_SCALE = 0.15  # text = 1 - exp(-cosine / TEXT_SCALE): 0.05 -> 0.28, 0.15 -> 0.63, 0.35 -> 0.90
COMPOUND_MIN = 5  # letters a term needs before it may count as the head of a compound
COMPOUND_SHARE = 0.5  # a compound match counts half an exact one
MIN_SCORE = 0.2  # weaker pairs are not shown as matches

CANDIDATE_CAP = 500  # most candidates scored in Python per ad
TEXT_BATCH = 150  # candidates whose words are read at a time (most ads need one batch)
TERMS_KEPT = 10_000  # parsed ads kept per process (TermStats.terms): about 2.5 KB each
NEAR_ONLY_ABOVE = 20_000  # with more ads than this, a shared challenge alone must be near
RARE_TERMS = 8  # the ad's rarest terms that may bring in candidates without a shared challenge
RARE_SHARE = 0.02  # ... if no more than this share of open ads has them (at least RARE_FLOOR)
RARE_FLOOR = 20

SHOWN_WORDS = 5  # shared words named in a reason

# "Ny matchning för er annons": a new ad is announced to the organisations behind its best
# matches (at most NOTIFY_TOP ads) with at least this score.
NOTIFY_THRESHOLD = 0.8
NOTIFY_TEXT = 0.7  # ... and at least this text component: they write about the same thing
NOTIFY_TOP = 10

REMINDER_DAYS = 7  # the expiry reminder goes out this many days before an ad's last day

SUGGESTION_CAP = 200

# Words that tell nothing about what two ads have in common (folded, as search.text folds them):
# Swedish function words, everyday verbs, numbers, months, time and contact phrases, and the
# words that only say which kind an ad is or that it is about collaboration. With many ads the
# idf would push most of them down anyway; a young site with few ads needs the list.
_STOPWORDS = """
    och att det som en ett i pa ar av for med till den de dem deras har hade inte om vi ni man
    kan sa men var vara varit blir bli blev sig sin sina sitt fran eller nar hur alla aven ocksa
    vill ville da dar denna detta dessa under efter over mellan genom utan mot vid hos varje
    manga mer mest fler flera andra annan annat egen eget egna bara redan nu sedan ska skall
    skulle maste far fick fa gora gor gjorde gjort finns fanns ha haft vilka vilken vilket ut upp
    in ner per samt bade an nagra nagot nagon inget ingen inga helt mycket garna ex t bl etc ca
    kl oss mig dig du jag han hon hans hennes er era ert vart vare ers hej tack
    haller halla kunna kunde gar ga gick gatt tar ta tog tagit ger ge gav gett givit kommer komma kom kommit
    ser se sag sett star sta stod vet veta visste tror tycker brukar borjar borja fortsatter
    passar passa kanner hor hora undrar galler innebar handlar sker ingar anvands anvanda
    anvander onskar tanker planerar vet hitta hittar startar starta leds ordna ordnar delar dela
    arbetar arbeta jobbar jobba gang ganger aret ar dag dagar dagen vecka veckan veckor manad
    manaden manader tid tiden tider del satt person personer manniskor mojlighet
    mojligheter samarbete samarbeta samverkan samverka samverkar partner partners
    verksamhet verksamheten verksamheter forening foreningen foreningar foreningens
    organisation organisationen organisationer organisationens klockan omkring cirka ungefar
    minst hogst bland inom kring runt utifran hela bra gott god goda viktig viktigt viktiga
    olika samma sjalva just forst sist nasta senaste ibland alltid ofta aldrig antingen varken
    dock darfor eftersom medan innan infor ju nog dessutom tillsammans nytt nya ny stor stora
    stort liten litet lilla sma
    tva tre fyra fem sex sju atta nio tio elva tolv tjugo trettio hundra tusen
    forsta tredje fjarde
    januari februari mars april maj juni juli augusti september oktober november december
    var host vinter sommar varen hosten vintern sommaren
    mejl mejla mail maila epost post kontakta kontakt kontakten ring ringa telefon anmal
    anmalan intresse intresserad intresserade valkommen valkomna
    soker soka sokes sokte erbjuder erbjuda erbjuds erbjod erbjudande behover behov behovs
    ide ideer ideen
"""
STOPWORDS = frozenset(_STOPWORDS.split())
# Words in place names that are also everyday words: kept as text ("Mark", "Lilla Edet").
_PLACE_WORDS_KEPT = frozenset(
    (
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
    )
)
_EXTRA_PLACE_WORDS = ("lan", "kommun", "region", "regionen", "sverige", "sveriges", "hela")

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


# Terms and document frequencies


@cache
def _excluded_terms() -> frozenset[str]:
    """Stems that never count as shared content: function words and place names."""
    words = set(STOPWORDS) | set(_EXTRA_PLACE_WORDS)
    names = [m.name for m in reference.municipalities().values()]
    names += [c.name_sv for c in reference.counties().values()]
    names += [c.name_short for c in reference.counties().values()]
    for name in names:
        for word in search_text.words(name):
            if word not in _PLACE_WORDS_KEPT:
                words.update((word, word + "s"))  # "Halmstads kommun", "Kalmars skolor"
    stems: set[str] = set()
    for word in words:
        stems.update(search_text.variants(word))
    return frozenset(stems)


class _ContentTerms(dict):
    """search term -> the term (interned) if it counts as content, else "": one lookup per word.

    Interned, because the same words recur in the thousands of ads TermStats.terms keeps.
    """

    def __missing__(self, term: str) -> str:
        if len(self) > 200_000:  # a vocabulary this size has junk in it: start afresh
            self.clear()
        content = len(term) > 1 and not term.isdigit() and term not in _excluded_terms()
        value = self[term] = sys.intern(term) if content else ""
        return value


_CONTENT = _ContentTerms()


class Terms:
    """An ad's content terms (from its stored search terms) and the length of their vector."""

    __slots__ = ("_norm", "terms")

    def __init__(self, search_terms: str) -> None:
        self.terms = frozenset(filter(None, map(_CONTENT.__getitem__, search_terms.split())))
        self._norm: float | None = None

    def norm(self, stats: TermStats) -> float:
        """Length of the ad's idf-weighted term vector (under the one table it is used with)."""
        if self._norm is None:
            self._norm = math.sqrt(sum(map(stats.squared.__getitem__, self.terms)))
        return self._norm


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
    """Document frequencies of terms in the ads, and the idf they give."""

    documents: int
    df: dict[str, int]
    built_at: float = field(default_factory=time.monotonic)
    # search terms -> Terms, kept with the table because their norms depend on it. An ad's text
    # only changes on edit, so most of a page's candidates were already parsed by earlier calls.
    parsed: dict[str, Terms] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.weights = _Weights(
            lambda term: math.log((1 + self.documents) / (1 + self.df.get(term, 0))) + 1.0
        )
        self.squared = _Weights(lambda term: self.weights[term] ** 2)

    def idf(self, term: str) -> float:
        return self.weights[term]

    @cached_property
    def vocabulary(self) -> frozenset[str]:
        return frozenset(self.df)

    @cached_property
    def _sorted(self) -> list[str]:
        return sorted(self.df)

    def extensions(self, term: str) -> list[str]:
        """The longer terms of the table that begin with `term` ("senior": "seniordans")."""
        found = []
        terms = self._sorted
        for index in range(bisect.bisect_right(terms, term), len(terms)):
            if not terms[index].startswith(term):
                break
            found.append(terms[index])
        return found

    def terms(self, search_terms: str) -> Terms:
        """The Terms of an ad's stored search terms, parsed once while this table lives."""
        found = self.parsed.get(search_terms)
        if found is None:
            if len(self.parsed) >= TERMS_KEPT:
                self.parsed.clear()  # rarely: a fresh start is cheaper than tracking use
            found = self.parsed[search_terms] = Terms(search_terms)
        return found


_STATS: dict[str, TermStats] = {}


def _build_term_stats() -> TermStats:
    """Document frequencies of all ads' search terms: one aggregate query on either database.

    SQLite reads the FTS5 vocabulary of the search index (fts_ad_vocab); PostgreSQL splits the
    same stored terms. Both count every ad, open or not: neither can count only open ads
    cheaply, and a word's rarity hardly changes when ads close.
    """
    documents = db.session.scalar(sa.select(sa.func.count(Ad.id))) or 0
    if db.session.get_bind().dialect.name == "postgresql":
        query = (
            "SELECT term, count(*) FROM ad, unnest(string_to_array(search_terms, ' ')) AS term "
            "GROUP BY term"
        )
    else:
        query = "SELECT term, doc FROM fts_ad_vocab"
    rows = db.session.execute(sa.text(query))
    return TermStats(documents=documents, df=dict(rows.all()))  # type: ignore[arg-type]


def term_stats() -> TermStats:
    """The document-frequency table, rebuilt when older than MATCHING_DF_MAX_AGE seconds."""
    max_age = current_app.config.get("MATCHING_DF_MAX_AGE", 0 if current_app.testing else 3600)
    key = str(db.engine.url)
    stats = _STATS.get(key)
    if stats is None or time.monotonic() - stats.built_at >= max_age:
        stats = _build_term_stats()
        _STATS[key] = stats
    return stats


def _rarest_first(terms: set[str], stats: TermStats) -> list[str]:
    idf = stats.weights
    return sorted(terms, key=lambda t: (-idf[t], t))


# Reasons


@dataclass(frozen=True)
class Reason:
    """One thing that made two ads match; worded by `Match.describe` in the reader's language."""

    code: str
    values: tuple = ()


@dataclass
class Match:
    """`ad` (another organisation's) matches `source` with `score` (0..1) for these reasons."""

    source: Ad
    ad: Ad
    score: float
    components: dict[str, float]
    reasons: list[Reason]

    @property
    def percent(self) -> int:
        return round(self.score * 100)

    def describe(self, own: bool = False) -> list[str]:
        """The reasons in words: `own` when the reader speaks for the source ad ("Ni söker")."""
        return [_reason_text(reason, self, own) for reason in self.reasons]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _sector_phrase(sector: Sector) -> str:
    return _lower_first(str(SECTOR_LABELS[sector]))


def _is_a(organisation: Organisation) -> str:
    phrase = _IS_A.get(organisation.legal_form)
    if phrase is None:  # "Annan": say the sector instead
        return _("hör till %(sector)s", sector=_sector_phrase(organisation.sector))
    return str(phrase)


def _join(items: list[str]) -> str:
    locale = get_locale()
    return format_list(items, locale=str(locale) if locale else "sv")


def _reason_text(reason: Reason, match: Match, own: bool) -> str:
    ours, theirs = match.source, match.ad
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
            _lower_first(reference.challenges()[slug].name)
            for slug in values
            if slug in reference.challenges()
        ]
        return _("Båda arbetar med %(challenges)s", challenges=_join(names))
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
            sector=_sector_phrase(theirs.organisation.sector),
            name=their_name,
            is_a=_is_a(theirs.organisation),
        )
    if code == "they_seek":
        return _(
            "%(seeker)s söker %(sector)s — %(name)s %(is_a)s",
            seeker=their_name,
            sector=_sector_phrase(ours.organisation.sector),
            name=_("ni") if own else our_name,
            is_a=_is_a(ours.organisation),
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


@lru_cache(maxsize=50_000)
def _stems_of_written(word: str) -> tuple[str, ...]:
    """The stems a written word stands for; none if folding makes it more (or less) than one."""
    folded = search_text.words(word)
    return search_text.variants(folded[0]) if len(folded) == 1 else ()


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
            of_word = _stems_of_written(word)
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


def _surface_words(ad: Ad, stems: list[str]) -> tuple[str, ...]:
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


# Scoring one pair


@dataclass
class Profile:
    """What scoring needs of an ad: loaded cheaply for hundreds of candidates at a time."""

    id: int
    kind: AdKind
    county_code: str | None
    municipality_code: str | None
    seeking: tuple[Sector, ...]
    sector: Sector  # the organisation's
    challenges: frozenset[str]

    @classmethod
    def of(cls, ad: Ad) -> Profile:
        return cls(
            id=ad.id,
            kind=ad.kind,
            county_code=ad.county_code,
            municipality_code=ad.municipality_code,
            seeking=tuple(ad.seeking),
            sector=ad.organisation.sector,
            challenges=frozenset(ad.challenge_slugs),
        )


def _level(
    our_county: str | None,
    our_municipality: str | None,
    their_county: str | None,
    their_municipality: str | None,
) -> str:
    """The geography level (a key of GEOGRAPHY) of two ads' places."""
    if their_county is None or our_county is None:
        return "nationwide"
    if our_municipality and our_municipality == their_municipality:
        return "municipality"
    if our_county == their_county:
        return "county"
    if their_county in reference.county_neighbours().get(our_county, ()):
        return "neighbour"
    return "far"


def _place(ours: Profile, theirs: Profile) -> str:
    return _level(
        ours.county_code, ours.municipality_code, theirs.county_code, theirs.municipality_code
    )


def _place_reason(ours: Profile, theirs: Profile) -> Reason | None:
    level = _place(ours, theirs)
    if level == "nationwide":
        return Reason("nationwide", ("theirs",) if theirs.county_code is None else ("ours",))
    if level == "municipality":
        return Reason("municipality", (ours.municipality_code,))
    if level == "county":
        return Reason("county", (ours.county_code,))
    if level == "neighbour":
        return Reason("neighbour", (ours.county_code, theirs.county_code))
    return None


@dataclass
class _Scored:
    score: float
    components: dict[str, float]
    reasons: list[Reason]  # words not yet looked up
    shared_terms: list[str]


class _Scorer:
    """Scores other ads against one ad; what depends on that ad alone is worked out once.

    Compound pairs ("senior" ~ "seniordans") are looked up, not searched for: `partners` holds
    every term another ad may have that pairs with one of ours: the beginnings of our terms,
    and the longer terms of the document-frequency table that begin with one of ours. Only
    another ad's terms the table does not know yet (written since it was built) are compared
    letter by letter.
    """

    def __init__(self, ours: Profile, terms: Terms, stats: TermStats) -> None:
        self.ours, self.terms, self.stats = ours, terms, stats
        # the other ads' attributes come as stored values (candidates.Attributes)
        self.kinds = {kind.value: weight for kind, weight in COMPLEMENTS[ours.kind].items()}
        self.seeking = tuple(sector.value for sector in ours.seeking)
        self.sector = ours.sector.value
        our_terms = self.terms.terms
        self.long = frozenset(t for t in our_terms if len(t) >= COMPOUND_MIN)
        partners: dict[str, list[str]] = defaultdict(list)
        for term in self.long:
            for length in range(COMPOUND_MIN, len(term)):
                partners[term[:length]].append(term)  # theirs is the head of our compound
            for longer in stats.extensions(term):
                partners[longer].append(term)  # theirs is a compound of our head
        # a term both ads have is shared, never a compound partner
        self.partners = {
            term: tuple(ours) for term, ours in partners.items() if term not in our_terms
        }
        self.partner_terms = frozenset(self.partners)

    def components(self, theirs: Profile, terms: Terms) -> tuple[dict[str, float], set[str]]:
        """The five components (each 0..1) and the shared terms: all that ranking needs."""
        components = self.without_text(theirs)
        return components, self.add_text(components, terms)

    def add_text(self, components: dict[str, float], theirs: Terms) -> set[str]:
        """Add the text component (summed last) to the others; returns the shared terms."""
        similarity, shared = self.text_similarity(theirs)
        components["text"] = 1.0 - math.exp(-similarity / TEXT_SCALE)  # as _best does
        return shared

    def without_text(self, theirs: Profile) -> dict[str, float]:
        """The components but the text, in the order they are summed."""
        parts = self.parts(
            theirs.kind.value,
            theirs.county_code,
            theirs.municipality_code,
            tuple(sector.value for sector in theirs.seeking),
            theirs.sector.value,
            theirs.challenges,
        )
        return dict(zip(_NOT_TEXT, parts, strict=True))

    def parts(
        self,
        kind: str,
        county_code: str | None,
        municipality_code: str | None,
        seeking: tuple[str, ...],
        sector: str,
        challenges: frozenset[str],
    ) -> tuple[float, float, float, float]:
        """The components but the text (in _NOT_TEXT's order) of an ad with these values."""
        ours = self.ours
        fewer = min(len(ours.challenges), len(challenges))
        level = _level(ours.county_code, ours.municipality_code, county_code, municipality_code)
        return (
            self.kinds.get(kind, 0.0),
            len(ours.challenges & challenges) / fewer if fewer else 0.0,
            GEOGRAPHY[level],
            ((sector in self.seeking) + (self.sector in seeking)) / 2,
        )

    def text_similarity(self, theirs: Terms) -> tuple[float, set[str]]:
        """IDF-weighted cosine of the two ads' terms (compound pairs count half), and the shared
        terms (`_rarest_first` orders them for a reason). Symmetric: the same pairs are found
        from either side."""
        ours, stats = self.terms, self.stats
        if not ours.terms or not theirs.terms:
            return 0.0, set()
        idf, squared = stats.weights, stats.squared
        their_terms = theirs.terms
        shared = ours.terms & their_terms
        dot = sum(map(squared.__getitem__, shared))
        matched = set(shared)
        for term in their_terms & self.partner_terms:
            for other in self.partners[term]:
                if other not in their_terms:  # else the other is shared
                    dot += COMPOUND_SHARE * idf[term] * idf[other]
                    matched.add(term)
        for term in their_terms - stats.vocabulary:  # not in the table: no partner listed yet
            if term in ours.terms:
                continue
            for length in range(COMPOUND_MIN, len(term)):
                other = term[:length]
                if other in self.long and other not in their_terms:
                    dot += COMPOUND_SHARE * idf[term] * idf[other]
                    matched.add(term)
        if dot == 0:
            return 0.0, set()
        similarity = dot / (ours.norm(stats) * theirs.norm(stats))
        return min(1.0, similarity), matched


_NOT_TEXT = ("kinds", "challenges", "geography", "sector")


def _without_text(parts: tuple[float, float, float, float]) -> float:
    """The weighted sum of the components but the text (in _NOT_TEXT's order)."""
    kinds, challenges, geography, sector = parts
    return (
        WEIGHTS["kinds"] * kinds
        + WEIGHTS["challenges"] * challenges
        + WEIGHTS["geography"] * geography
        + WEIGHTS["sector"] * sector
    )


def _total(components: dict[str, float]) -> float:
    """The score: the weighted components, summed in this one order, the text last (a bound
    without the text is then summed exactly as the score is: see _best)."""
    parts = (components[name] for name in _NOT_TEXT)
    return _without_text(tuple(parts)) + WEIGHTS["text"] * components["text"]


def _reasons(ours: Profile, theirs: Profile) -> list[Reason]:
    """Every component that adds to the score, but the shared words (looked up last)."""
    reasons: list[Reason] = []
    if COMPLEMENTS[ours.kind].get(theirs.kind):
        reasons.append(Reason("kinds"))
    both = ours.challenges & theirs.challenges
    if both:
        order = list(reference.challenges())
        reasons.append(
            Reason(
                "challenges",
                tuple(sorted(both, key=lambda s: order.index(s) if s in order else 99)),
            )
        )
    place = _place_reason(ours, theirs)
    if place is not None:
        reasons.append(place)
    if theirs.sector in ours.seeking:
        reasons.append(Reason("we_seek"))
    if ours.sector in theirs.seeking:
        reasons.append(Reason("they_seek"))
    return reasons


def _match(ours: Ad, theirs: Ad, scored: _Scored) -> Match:
    """A Match for the page: the shared words as the other ad writes them."""
    reasons = list(scored.reasons)
    words = _surface_words(theirs, scored.shared_terms) if scored.shared_terms else ()
    if words:
        reasons.append(Reason("words", words))
    return Match(
        source=ours, ad=theirs, score=scored.score, components=scored.components, reasons=reasons
    )


def score_pair(ours: Ad, theirs: Ad) -> Match:
    """How well `theirs` complements `ours`, with every reason (no filters applied)."""
    stats = term_stats()
    our_profile, their_profile = Profile.of(ours), Profile.of(theirs)
    scorer = _Scorer(our_profile, stats.terms(ours.search_terms), stats)
    components, shared = scorer.components(their_profile, stats.terms(theirs.search_terms))
    scored = _Scored(
        score=_total(components),
        components=components,
        reasons=_reasons(our_profile, their_profile),
        shared_terms=_rarest_first(shared, stats),
    )
    return _match(ours, theirs, scored)


# Finding candidates


def _rare_terms(terms: Terms, stats: TermStats) -> list[str]:
    """The ad's rarest terms that some other ad has too (not the very common ones)."""
    most = max(RARE_FLOOR, int(stats.documents * RARE_SHARE))
    usable = [t for t in terms.terms if 2 <= stats.df.get(t, 0) <= most]
    return sorted(usable, key=lambda t: (stats.df[t], t))[:RARE_TERMS]


def _candidate_ids(ad: Ad, terms: Terms, stats: TermStats, snap: facets.Snapshot) -> list[int]:
    """At most CANDIDATE_CAP ids of open ads that may match: those with the best pre-score.

    Pre-score, in whole points: the score's weights rounded: shared challenges 10 in all, place
    6/4/4/2, sector 3 each way, kind 4 or 2, the ad's rare terms 14 in all (a rarer term weighs
    more). Ties go to the newer ad (the higher id). Summed for every open ad at once on the
    open ads' bitsets (candidates.Tally), so neither database sorts tens of thousands of rows.
    """
    kinds = COMPLEMENTS[ad.kind]
    own = facets.bits(
        db.session.scalars(sa.select(Ad.id).where(Ad.organisation_id == ad.organisation_id))
    )
    tally = candidates.Tally()
    for kind, weight in kinds.items():
        tally.add(4 if weight == 1.0 else 2, snap.kind.get(kind.value, 0))
    eligible = facets.any_of(snap.kind, [kind.value for kind in kinds]) & ~own

    slugs = ad.challenge_slugs
    per_challenge = max(1, round(10 / max(1, len(slugs))))
    for slug in slugs:
        tally.add(per_challenge, snap.challenge.get(slug, 0))
    shares_challenge = facets.any_of(snap.challenge, slugs)
    nationwide = snap.county.get(None, 0)
    if ad.county_code is None:
        tally.add(4, eligible)
    else:
        neighbours = reference.county_neighbours().get(ad.county_code, ())
        same_municipality = (
            snap.municipality.get(ad.municipality_code, 0) if ad.municipality_code else 0
        )
        same_county = (snap.county.get(ad.county_code, 0) | nationwide) & ~same_municipality
        neighbouring = facets.any_of(snap.county, neighbours) & ~same_municipality & ~same_county
        tally.add(6, same_municipality)
        tally.add(4, same_county)
        tally.add(2, neighbouring)
        if stats.documents > NEAR_ONLY_ABOVE:
            # At national scale the pre-score's place points decide among the thousands of ads
            # sharing a challenge anyway; those farther away still come in through shared words.
            near = (
                snap.county.get(ad.county_code, 0)
                | facets.any_of(snap.county, neighbours)
                | nationwide
            )
            shares_challenge &= near
    tally.add(3, snap.seeking.get(ad.organisation.sector.value, 0))
    tally.add(3, facets.any_of(snap.sector, [sector.value for sector in ad.seeking]))

    reach = shares_challenge
    rare = _rare_terms(terms, stats)
    if rare:
        total = sum(stats.idf(t) for t in rare)
        hits = candidates.term_hits(rare, snap)
        for term in rare:
            tally.add(max(1, round(14 * stats.idf(term) / total)), hits[term])
            reach |= hits[term]
    return facets.ids(tally.best(CANDIDATE_CAP, eligible & reach))


def is_matchable(ad: Ad, today: date | None = None) -> bool:
    """Only open, unexpired ads are matched (and matched against)."""
    return ad.is_open(today or swedish_today())


# Sector values sought (candidates.Attributes) -> the sectors
_SEEKING = {
    tuple(sector.value for sector in chosen): chosen
    for size in range(len(Sector) + 1)
    for chosen in itertools.combinations(tuple(Sector), size)
}
_KINDS = {kind.value: kind for kind in AdKind}
_SECTORS = {sector.value: sector for sector in Sector}


def _profiles(ids: list[int], known: candidates.Attributes) -> list[Profile]:
    """Profiles of these open ads from the open ads' attributes (no query)."""
    return [
        Profile(
            id=ad_id,
            kind=_KINDS[known.kind[ad_id]],
            county_code=known.county[ad_id],
            municipality_code=known.municipality[ad_id],
            seeking=_SEEKING[known.seeking[ad_id]],
            sector=_SECTORS[known.sector[ad_id]],
            challenges=known.challenges[ad_id],
        )
        for ad_id in ids
    ]


def _search_terms(ids: list[int]) -> dict[int, str]:
    """The stored search terms of those of these ads that are still open.

    The snapshot behind the candidates may be a few minutes old when another process wrote
    (without a shared cache): an ad closed or hidden since is left out here, so never matched.
    """
    statement = sa.select(Ad.id, Ad.search_terms).where(Ad.id.in_(ids), open_ads_condition())
    return dict(db.session.execute(statement).all())  # type: ignore[arg-type]


def find_matches(ad: Ad, limit: int = 10) -> list[Match]:
    """The open ads of other organisations that best complement `ad`, best first, with reasons.

    Closed or expired ads get no matches; the ad's own organisation never appears.
    """
    return _shown(ad, _ranked(ad, limit))


def _page_matches(ad: Ad, limit: int) -> list[Match]:
    """find_matches for the pages: the ranking is kept until the data changes, so a page seen
    again (or the organisation's page after the ad's own) costs one load of the shown ads."""
    if not is_matchable(ad) or limit < 1:
        return []
    return _shown(ad, _kept_ranking(ad.id, limit))


@cached("match_ranking", tables={"ad", "ad_challenge", "organisation"})
def _kept_ranking(ad_id: int, limit: int) -> list[tuple]:
    ad = db.session.get(Ad, ad_id)
    return [] if ad is None else _ranked(ad, limit)


def _ranked(ad: Ad, limit: int) -> list[tuple]:
    """The best matches as plain values, best first: (ad id, score, components, reasons as
    (code, values) but the words, shared stems rarest first). Nothing here depends on the
    language or on who asks."""
    if not is_matchable(ad) or limit < 1:
        return []
    stats = term_stats()
    ours, terms = Profile.of(ad), stats.terms(ad.search_terms)
    snap = facets.snapshot()  # one for the whole ranking (another thread may replace it)
    known = candidates.attributes(snap)
    ids = _candidate_ids(ad, terms, stats, snap)
    if not ids:
        return []
    best = _best(_Scorer(ours, terms, stats), ids, limit, known)
    profiles = {profile.id: profile for profile in _profiles([item[1] for item in best], known)}
    return [
        (
            ad_id,
            score,
            {**dict(zip(_NOT_TEXT, parts, strict=True)), "text": text},
            [(reason.code, reason.values) for reason in _reasons(ours, profiles[ad_id])],
            _rarest_first(shared, stats),
        )
        for score, ad_id, parts, text, shared in best
    ]


def _shown(ad: Ad, ranked: list[tuple]) -> list[Match]:
    """The ranked matches as Matches: only what is shown is loaded whole (with its organisation
    and challenges) and worded."""
    if not ranked:
        return []
    shown = {
        other.id: other
        for other in db.session.scalars(
            sa.select(Ad)
            .where(Ad.id.in_([item[0] for item in ranked]))
            .options(so.joinedload(Ad.organisation), so.selectinload(Ad.challenge_links))
        )
    }
    return [
        _match(
            ad,
            shown[ad_id],
            _Scored(
                score=score,
                components=dict(components),
                reasons=[Reason(code, tuple(values)) for code, values in reasons],
                shared_terms=list(shared),
            ),
        )
        for ad_id, score, components, reasons, shared in ranked
        if ad_id in shown  # deleted since the ranking was kept
    ]


def _best(scorer: _Scorer, ids: list[int], limit: int, known: candidates.Attributes) -> list[tuple]:
    """The `limit` best (score, id, other components, text component, shared terms) with at
    least MIN_SCORE, best first (the newer ad first on equal scores).

    The text, the one component that needs an ad's words, is worked out best bound first and
    only while it can still change the list: without it a score is at most the other
    components' sum plus the text weight (the text component is at most 1, and rounding is
    monotonic, so the bound holds for the floating-point sums too). The words are read
    TEXT_BATCH ads at a time, as they are needed; most candidates' are never read.
    """
    stats, parts_of = scorer.stats, scorer.parts
    bounded = []
    for ad_id in ids:
        parts = parts_of(
            known.kind[ad_id],  # type: ignore[arg-type]
            known.county[ad_id],
            known.municipality[ad_id],
            known.seeking[ad_id],
            known.sector[ad_id],  # type: ignore[arg-type]
            known.challenges[ad_id],
        )
        bounded.append((_without_text(parts), ad_id, parts))
    bounded.sort(key=lambda item: (item[0], item[1]), reverse=True)
    text_weight = WEIGHTS["text"]
    kept: list[tuple] = []  # a heap: the worst kept first
    texts: dict[int, str | None] = {}
    for index, (partial, ad_id, parts) in enumerate(bounded):
        bound = partial + text_weight
        if bound < MIN_SCORE or (len(kept) == limit and bound < kept[0][0]):
            break  # so are all that follow
        if ad_id not in texts:
            batch = [item[1] for item in bounded[index : index + TEXT_BATCH]]
            texts.update(dict.fromkeys(batch))  # None: no longer open
            texts.update(_search_terms(batch))
        words = texts[ad_id]
        if words is None:
            continue
        similarity, shared = scorer.text_similarity(stats.terms(words))
        text = 1.0 - math.exp(-similarity / TEXT_SCALE)
        score = partial + text_weight * text  # as _total sums it
        if score < MIN_SCORE:
            continue
        item = (score, ad_id, parts, text, shared)
        if len(kept) < limit:
            heapq.heappush(kept, item)
        elif item[:2] > kept[0][:2]:
            heapq.heapreplace(kept, item)
    return sorted(kept, key=lambda item: (item[0], item[1]), reverse=True)


# Organisations to contact (public bodies' needs)


@dataclass
class Suggestion:
    """An organisation (with or without open ads) that fits an ad's challenges and area."""

    organisation: Organisation
    score: float
    reasons: list[str]

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def _organisation_place(ad: Ad, organisation: Organisation) -> tuple[float, str | None]:
    if ad.county_code is None:
        return GEOGRAPHY["nationwide"], _("Er annons gäller i hela Sverige")
    if ad.municipality_code and organisation.municipality_code == ad.municipality_code:
        return GEOGRAPHY["municipality"], _(
            "Finns i %(name)s", name=reference.municipality_name(organisation.municipality_code)
        )
    if organisation.county_code == ad.county_code:
        return GEOGRAPHY["county"], _(
            "Finns i %(name)s", name=reference.county_name(organisation.county_code)
        )
    if organisation.county_code in reference.county_neighbours().get(ad.county_code, ()):
        return GEOGRAPHY["neighbour"], _(
            "Grannlän: %(ours)s och %(theirs)s",
            ours=reference.county_name(ad.county_code),
            theirs=reference.county_name(organisation.county_code),
        )
    return GEOGRAPHY["far"], None


def suggest_organisations(ad: Ad, limit: int = 5) -> list[Suggestion]:
    """Organisations of the sectors the ad seeks that work on its challenges near its area.

    For public bodies' needs: organisations count whether or not they have an open ad.
    Score: 0.6 × shared challenges (Jaccard) + 0.4 × place (the ad-to-ad geography levels).
    """
    slugs = ad.challenge_slugs
    if not slugs or limit < 1:
        return []
    shared = (
        sa.select(OrganisationChallenge.organisation_id, sa.func.count().label("shared"))
        .where(OrganisationChallenge.challenge.in_(slugs))
        .group_by(OrganisationChallenge.organisation_id)
        .subquery("shared_challenges")
    )
    if ad.county_code is None:
        place = sa.literal(2)
    else:
        whens = []
        if ad.municipality_code:
            whens.append((Organisation.municipality_code == ad.municipality_code, 3))
        whens.append((Organisation.county_code == ad.county_code, 2))
        neighbours = sorted(reference.county_neighbours().get(ad.county_code, ()))
        if neighbours:
            whens.append((Organisation.county_code.in_(neighbours), 1))
        place = sa.case(*whens, else_=0)
    statement = (
        sa.select(Organisation)
        .join(shared, shared.c.organisation_id == Organisation.id)
        .where(Organisation.id != ad.organisation_id, Organisation.hidden_at.is_(None))
        .order_by((shared.c.shared * 2 + place).desc(), Organisation.id.desc())
        .limit(SUGGESTION_CAP)
        .options(so.selectinload(Organisation.challenge_links))
    )
    if ad.seeking:
        statement = statement.where(Organisation.sector.in_(ad.seeking))
    wanted = set(slugs)
    order = list(reference.challenges())
    suggestions = []
    for organisation in db.session.scalars(statement):
        theirs = set(organisation.challenge_slugs)
        both = sorted(wanted & theirs, key=lambda s: order.index(s) if s in order else 99)
        jaccard = len(both) / len(wanted | theirs)
        place_score, place_reason = _organisation_place(ad, organisation)
        names = [_lower_first(reference.challenges()[s].name) for s in both if s in order]
        reasons = [_("Arbetar med %(challenges)s", challenges=_join(names))]
        if place_reason:
            reasons.append(place_reason)
        if organisation.sector in ad.seeking:
            reasons.append(
                _(
                    "%(seeker)s söker %(sector)s — %(name)s %(is_a)s",
                    seeker=_("Ni"),
                    sector=_sector_phrase(organisation.sector),
                    name=organisation.name,
                    is_a=_is_a(organisation),
                )
            )
        suggestions.append(Suggestion(organisation, 0.6 * jaccard + 0.4 * place_score, reasons))
    suggestions.sort(key=lambda s: (-s.score, -s.organisation.id))
    return suggestions[:limit]


def wants_suggestions(ad: Ad) -> bool:
    """Public bodies' open needs also get organisations to contact."""
    return ad.kind is AdKind.NEED and ad.organisation.sector is Sector.PUBLIC and is_matchable(ad)


# Pages


@dataclass
class AdMatches:
    """What the ad page's matches block shows."""

    ad: Ad
    open: bool
    matches: list[Match]
    suggestions: list[Suggestion]


def matches_for_ad(ad: Ad, *, own: bool, limit: int = 10) -> AdMatches:
    """Matches for the ad page; its own organisation also gets organisations to contact."""
    return AdMatches(
        ad=ad,
        open=is_matchable(ad),
        matches=_page_matches(ad, limit),
        suggestions=suggest_organisations(ad) if own and wants_suggestions(ad) else [],
    )


@dataclass
class AdWithMatches:
    ad: Ad
    matches: list[Match]


def organisation_matches(organisation: Organisation, per_ad: int = 5) -> list[AdWithMatches]:
    """Every open ad of the organisation with its best matches (newest ad first)."""
    ads = db.session.scalars(
        sa.select(Ad)
        .where(Ad.organisation_id == organisation.id, open_ads_condition())
        .options(so.selectinload(Ad.organisation), so.selectinload(Ad.challenge_links))
        .order_by(Ad.published_at.desc(), Ad.id.desc())
    ).all()
    return [AdWithMatches(ad=ad, matches=_page_matches(ad, per_ad)) for ad in ads]


# E-mail


NEW_MATCH_EMAILS = "matching.new_ad"  # the outbox job of notify_matches_later


def notify_matches_later(new_ad: Ad) -> None:
    """In the publishing transaction (ads.events.ad_published): have the worker notify_matches.

    Finding an ad's matches reads the open ads' snapshot, and every published ad makes the next
    search rebuild it (a second and more of CPU at 100,000 ads, make bench): too slow for the
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
        for user in notifications.members_to_email(organisation_id):
            row = notifications.queue_email(
                key=f"match:{new_ad.id}:{organisation_id}:{user.id}",
                to=user.email,
                template="match_found",
                locale=user.locale,
                headers={"Auto-Submitted": "auto-generated"},
                new_ad=new_ad,
                new_ad_url=new_ad_url,
                matches=theirs,
                links=links,
                organisation=theirs[0].source.organisation,
            )
            queued += row is not None
    return queued


def send_expiry_reminders(today: date | None = None) -> int:
    """Remind members REMINDER_DAYS before an open ad's last day; returns the e-mails queued.

    Once per ad, expiry date and member (the outbox key). A missed day is caught up, as long as
    the ad was published at least REMINDER_DAYS before its last day (a three-day ad needs none).
    """
    day = today or swedish_today()
    ads = db.session.scalars(
        sa.select(Ad)
        .where(
            open_ads_condition(),  # open, and not hidden by a moderator
            Ad.expires_on > day,
            Ad.expires_on <= day + timedelta(days=REMINDER_DAYS),
        )
        .options(so.selectinload(Ad.organisation))
        .order_by(Ad.expires_on, Ad.id)
    ).all()
    queued = 0
    for ad in ads:
        if ad.published_at.date() > ad.expires_on - timedelta(days=REMINDER_DAYS):
            continue
        url = ad_url(ad, external=True)
        for user in notifications.members_to_email(ad.organisation_id):
            row = notifications.queue_email(
                key=f"expiry:{ad.id}:{ad.expires_on.isoformat()}:{user.id}",
                to=user.email,
                template="ad_expiring",
                locale=user.locale,
                headers={"Auto-Submitted": "auto-generated"},
                ad=ad,
                ad_url=url,
                days_left=(ad.expires_on - day).days,
            )
            queued += row is not None
    db.session.commit()
    notifications.dispatch()  # after the commit: never mail about a rolled-back reminder
    return queued
