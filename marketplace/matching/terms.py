"""The one place where text becomes matching terms, and how much each term says.

An ad's words reach matching as its stored search terms (`Ad.search_terms`: the stemmed,
accent-folded terms of title, body and organisation name that marketplace.search.text makes
for the full-text index). Here they become the terms two ads are compared on:

- `Terms`: an ad's content terms, without Swedish function words and place names (geography
  has a component of its own), parsed once per document-frequency table;
- `TermStats` / `term_stats()`: how many ads hold each term (one aggregate query over the
  search index), and the inverse document frequency it gives, idf = ln((1 + N) / (1 + df)) + 1;
- `compound_partners()`: which other terms pair with an ad's terms as parts of a compound
  ("senior" ~ "seniordans");
- `stems_of_written()`: the terms a word as written stands for (to show shared words as the
  other ad writes them).

Swedish word forms, compounds and synonyms belong here: scoring, candidates and wording only
ever see the terms this module gives them.
"""

from __future__ import annotations

import bisect
import math
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache

import sqlalchemy as sa
from flask import current_app

from marketplace import reference
from marketplace.ads.models import Ad
from marketplace.extensions import db
from marketplace.search import text as search_text

TERMS_KEPT = 10_000  # parsed ads kept per process (TermStats.terms): about 2.5 KB each
COMPOUND_MIN = 5  # letters a term needs before it may count as the head of a compound

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
    max_age = current_app.config["MATCHING_DF_MAX_AGE"]
    key = str(db.engine.url)
    stats = _STATS.get(key)
    if stats is None or time.monotonic() - stats.built_at >= max_age:
        stats = _build_term_stats()
        _STATS[key] = stats
    return stats


def rarest_first(terms: set[str], stats: TermStats) -> list[str]:
    idf = stats.weights
    return sorted(terms, key=lambda t: (-idf[t], t))


def compound_partners(
    terms: frozenset[str], stats: TermStats
) -> tuple[frozenset[str], dict[str, tuple[str, ...]]]:
    """An ad's compound pairs, looked up rather than searched for: (its terms long enough to
    head a compound, term another ad may have -> the ad's terms it pairs with). Partners are
    the beginnings of the ad's long terms (theirs is the head of our compound) and the longer
    terms of the table that begin with one of them (theirs is a compound of our head). A term
    both ads have is shared, never a compound partner."""
    heads = frozenset(t for t in terms if len(t) >= COMPOUND_MIN)
    partners: dict[str, list[str]] = defaultdict(list)
    for term in heads:
        for length in range(COMPOUND_MIN, len(term)):
            partners[term[:length]].append(term)  # theirs is the head of our compound
        for longer in stats.extensions(term):
            partners[longer].append(term)  # theirs is a compound of our head
    return heads, {term: tuple(ours) for term, ours in partners.items() if term not in terms}


def beginnings(term: str) -> Iterator[str]:
    """The beginnings of `term` that may head a compound, shortest first: for a term the table
    does not know yet (written since it was built), compared letter by letter."""
    return (term[:length] for length in range(COMPOUND_MIN, len(term)))


@lru_cache(maxsize=50_000)
def stems_of_written(word: str) -> tuple[str, ...]:
    """The stems a written word stands for; none if folding makes it more (or less) than one."""
    folded = search_text.words(word)
    return search_text.variants(folded[0]) if len(folded) == 1 else ()
