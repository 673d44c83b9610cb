"""Swedish for the search and the matching: one analysis of documents and queries.

    from marketplace import language
    doc = language.document_terms(ad.title, ad.body, organisation.name)
    doc.exact    {"ungdomsgård": 1, "läxhjälp": 2, ...}   lemmas of the words written
    doc.parts    {"ungdom": 1, "gård": 1, "läxa": 2, ...} lemmas of compound parts
    doc.related  {"studiestöd": 2, ...}                    the curated synonyms of both
    doc.challenges ("education",)                           challenges the text names
    query = language.query_terms("läxhjälp i Malmö", prefix_last=False)
    query.words[0].exact ("läxhjälp",)   .split (("läxa",), ("hjälp",))   .related (...)
    language.match(query, doc)           (EXACT, EXACT) — every word's best tier, or None

TIERS (what an engine ranks; `match` is the reference): a query word is found
    EXACT   when one of its lemmas is among the document's exact terms,
    PART    when one of its lemmas is a part of a document's compound ("hjälp" in "läxhjälp"),
            or all parts of the query's compound are in the document ("läxläsning" finds
            "läsning av läxor"), or (as you type) a document term begins with the last word,
    RELATED when a curated synonym is among the document's terms ("tolk" finds "språkstöd").
A search needs every word found; it ranks by the tiers, then its usual score. A query naming a
challenge (query.challenges) may also find the ads tagged with it, ranked below text hits.
Synonyms can be expanded on either side: the query's (QueryWord.related, searched among a
document's exact and part terms: the index stays small) or the document's (doc.related, indexed
as a third field): use one of them, not both. Matching, comparing two documents, meets one
ad's exact terms with the other's related ones.

`explain(ours, theirs)` says what connects two documents, for matching's reasons (kind, the
lemma they meet on, each ad's word as written):
    Connection("same", "tolk", "tolkar", "tolkar")
    Connection("part", "läxhjälp", "läxhjälp", "läxhjälpsgruppen")  "läxhjälp (i läxhjälpsgruppen)"
    Connection("related", "tolk", "tolkar", "språkstöd")            "tolk ≈ språkstöd"
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import IntEnum
from functools import cached_property
from itertools import chain
from operator import attrgetter

from marketplace.language import synonyms
from marketplace.language.analyzer import Word, analyze, analyze_word, lemmas_of
from marketplace.language.lexicon import lexicon as _lexicon
from marketplace.language.normalise import fold_swedish, normalise, words

__all__ = [
    "Connection",
    "DocumentTerms",
    "Query",
    "QueryWord",
    "Tier",
    "Word",
    "analyze",
    "analyze_word",
    "complete",
    "document_terms",
    "english_hints",
    "explain",
    "lemmas_of",
    "match",
    "match_word",
    "query_terms",
]

MAX_QUERY_WORDS = 12
MAX_QUERY_LENGTH = 500
COMPLETIONS = 20


class Tier(IntEnum):
    EXACT = 1
    PART = 2
    RELATED = 3


@dataclass(frozen=True)
class DocumentTerms:
    """A document's index terms in three groups (term -> how often), and what it names."""

    exact: dict[str, int]
    parts: dict[str, int]
    related: dict[str, int]
    challenges: tuple[str, ...]
    words: tuple[str, ...] = field(repr=False, default=())  # its words, in order

    @cached_property
    def written(self) -> dict[str, str]:
        """term -> the first word of the text it came from (for reasons: "läxhjälpsgruppen")."""
        found: dict[str, str] = {}
        index = synonyms.related_index()
        analysed = [analyze_word(token) for token in dict.fromkeys(self.words)]
        for word in analysed:  # a word written as such before one inside a compound
            for term in word.lemmas:
                found.setdefault(term, word.text)
        for word in analysed:
            for term in word.parts:
                found.setdefault(term, word.text)
        for term in list(found):
            for other in index.get(term, ()):
                found.setdefault(other, found[term])
        return found

    def tokens(self) -> dict[str, list[str]]:
        """Each group as a list of terms with repeats, for an engine that counts them."""
        return {
            group: [term for term, count in terms.items() for _ in range(count)]
            for group, terms in (
                ("exact", self.exact),
                ("parts", self.parts),
                ("related", self.related),
            )
        }


_LEMMAS = attrgetter("lemmas")
_PARTS = attrgetter("parts")


def document_terms(*texts: str | None) -> DocumentTerms:
    """The index terms of a document made of these texts (title, body, organisation name…)."""
    tokens = [token for text in texts if text for token in words(text)]
    analysed = list(map(analyze_word, tokens))
    exact = Counter(chain.from_iterable(map(_LEMMAS, analysed)))
    parts = Counter(chain.from_iterable(map(_PARTS, analysed)))
    parts_only = {term: count for term, count in parts.items() if term not in exact}
    lemmas = exact.keys() | parts_only.keys()
    related: Counter[str] = Counter()
    index = synonyms.related_index()
    for term in lemmas & index.keys():
        count = exact.get(term) or parts_only[term]
        for other in index[term] - lemmas:
            related[other] += count
    for group in synonyms.phrases_in(lemmas, synonyms.group_phrases()):
        for other in group - lemmas:
            related[other] += 1
    return DocumentTerms(
        exact=dict(exact),
        parts=parts_only,
        related=dict(related),
        challenges=_challenges(lemmas),
        words=tuple(tokens),
    )


@dataclass(frozen=True)
class QueryWord:
    """One word of a query: what it must match (see the tiers above)."""

    text: str  # normalised, as typed
    exact: tuple[str, ...]  # its lemmas
    split: tuple[tuple[str, ...], ...]  # its compound's parts (each: any of these lemmas)
    related: tuple[str, ...]  # curated synonyms, found below the word itself
    prefix: str | None = None  # as you type, the last word: also any term it begins
    completions: tuple[str, ...] = ()  # ... and the known lemmas it begins (å/ä/ö restored)


@dataclass(frozen=True)
class Query:
    words: tuple[QueryWord, ...]
    challenges: tuple[str, ...]  # the challenges the query names
    hints: tuple[tuple[str, str], ...]  # (English word typed, Swedish word to offer)

    def __bool__(self) -> bool:
        return bool(self.words)


def query_terms(text: str | None, *, prefix_last: bool = False) -> Query:
    """Analyse a query. `prefix_last` only while typing in the live search: the last word then
    also matches the words it begins ("förenin" finds "förening"); a submitted search (Enter,
    the API, saved searches, feeds) matches whole words only, so "sko" never finds "skola".
    """
    raw = (text or "")[:MAX_QUERY_LENGTH]
    typed = words(raw)
    still_typing = prefix_last and bool(raw) and not raw[-1].isspace()
    result: list[QueryWord] = []
    seen: set[tuple[str, ...]] = set()
    for index, token in enumerate(typed):
        word = analyze_word(token)
        last = still_typing and index == len(typed) - 1
        if word.lemmas in seen and not last:
            continue
        seen.add(word.lemmas)
        result.append(_query_word(word, last))
        if len(result) >= MAX_QUERY_WORDS:
            break
    lemmas = {lemma for word in result for lemma in (*word.exact, *_flat(word.split))}
    return Query(
        words=tuple(result),
        challenges=_challenges(lemmas),
        hints=english_hints(raw),
    )


def _flat(split: tuple[tuple[str, ...], ...]) -> tuple[str, ...]:
    return tuple(lemma for part in split for lemma in part)


def _query_word(word: Word, last: bool) -> QueryWord:
    index = synonyms.related_index()
    own = set(word.lemmas)
    related = tuple(
        dict.fromkeys(
            other for lemma in word.lemmas for other in index.get(lemma, ()) if other not in own
        )
    )
    prefix = word.text if last else None
    return QueryWord(
        text=word.text,
        exact=word.lemmas,
        split=word.split,
        related=related,
        prefix=prefix,
        completions=tuple(complete(prefix)) if prefix else (),
    )


def complete(prefix: str, limit: int = COMPLETIONS) -> list[str]:
    """The most common known lemmas a typed beginning may stand for ("foren" -> förening …)."""
    prefix = normalise(prefix).strip()
    if len(prefix) < 2:
        return []
    lex = _lexicon()
    found = set(lex.completions(prefix, limit * 5))
    if not any(letter in "åäö" for letter in prefix):
        for key in lex.accents.keys(prefix)[:2000]:
            found.update(lemma for lemma, _zipf in lex.restorations(key))
    return sorted(found, key=lambda lemma: (-lex.zipf(lemma), lemma))[:limit]


def _challenges(lemmas: set[str]) -> tuple[str, ...]:
    named = synonyms.phrases_in(lemmas, synonyms.challenge_phrases())
    order = list(synonyms.CHALLENGE_WORDS)
    return tuple(sorted(set(named), key=order.index))


def english_hints(text: str | None) -> tuple[tuple[str, str], ...]:
    """English words of a query that are no Swedish words, with the Swedish word to offer:
    "homework help" -> (("homework", "läxhjälp"), ("help", "hjälp"))."""
    hints = []
    lex = _lexicon()
    for token in words((text or "")[:MAX_QUERY_LENGTH]):
        swedish = synonyms.ENGLISH.get(token)
        if swedish and not lex.is_word(token) and (token, swedish) not in hints:
            hints.append((token, swedish))
    return tuple(hints)


def match_word(word: QueryWord, doc: DocumentTerms) -> Tier | None:
    """The best tier at which one query word is found in a document, or None."""
    if any(lemma in doc.exact for lemma in word.exact):
        return Tier.EXACT
    if any(lemma in doc.parts for lemma in word.exact):
        return Tier.PART
    if word.split and all(
        any(lemma in doc.exact or lemma in doc.parts for lemma in part) for part in word.split
    ):
        return Tier.PART
    if word.prefix and _begins(word, doc):
        return Tier.PART
    if any(lemma in doc.exact or lemma in doc.parts for lemma in word.related):
        return Tier.RELATED
    return None


def _begins(word: QueryWord, doc: DocumentTerms) -> bool:
    prefix = word.prefix or ""
    folded = fold_swedish(prefix)
    for term in (*doc.exact, *doc.parts):
        if term.startswith(prefix) or fold_swedish(term).startswith(folded):
            return True
    return any(lemma in doc.exact for lemma in word.completions)


def match(query: Query, doc: DocumentTerms) -> tuple[Tier, ...] | None:
    """Every query word's tier if the document has them all (the search's rule), else None."""
    tiers = []
    for word in query.words:
        tier = match_word(word, doc)
        if tier is None:
            return None
        tiers.append(tier)
    return tuple(tiers)


@dataclass(frozen=True)
class Connection:
    """Why two documents share a topic: `ours` and `theirs` as written (normalised) in each.

    kind "same": one word in both ("tolk" – "tolkar"); "part": a word of one is part of a
    compound of the other ("läxhjälp (i läxhjälpsgruppen)"); "related": curated synonyms
    ("tolk ≈ språkstöd"). `term` is the lemma they meet on.
    """

    kind: str
    term: str
    ours: str
    theirs: str


COMMON_ZIPF = 5.9  # lemmas this common ("och", "vi", "som") connect nothing


def explain(ours: DocumentTerms, theirs: DocumentTerms, limit: int = 10) -> list[Connection]:
    """What connects two documents, strongest first: same words, then parts, then synonyms.
    Rarer words come first within a kind (they say more); function words are left out."""
    lex = _lexicon()

    def rare_first(terms) -> list[str]:
        kept = (term for term in terms if lex.zipf(term) < COMMON_ZIPF and len(term) > 1)
        return sorted(kept, key=lambda term: (lex.zipf(term), term))

    found: list[Connection] = []
    said: set[tuple[str, str]] = set()

    def add(kind: str, term: str, our_word: str, their_word: str) -> None:
        if (our_word, their_word) not in said:
            said.add((our_word, their_word))
            found.append(Connection(kind, term, our_word, their_word))

    same = set(ours.exact) & set(theirs.exact)
    for term in rare_first(same):
        add("same", term, ours.written[term], theirs.written[term])
    for term in rare_first((set(ours.exact) & set(theirs.parts)) - same):
        add("part", term, ours.written[term], theirs.written[term])
    for term in rare_first((set(ours.parts) & set(theirs.exact)) - same):
        add("part", term, ours.written[term], theirs.written[term])
    index = synonyms.related_index()
    for term in rare_first(ours.exact):
        for other in sorted(index.get(term, ())):
            if other in theirs.exact and other not in ours.exact:
                add("related", term, ours.written[term], theirs.written[other])
    return found[:limit]
