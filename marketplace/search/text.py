"""Turn Swedish text into search terms the way users type it.

Both the index and the query go through the same steps, so the two always agree, on SQLite
and PostgreSQL alike: lower-case, fold accents (å→a, ä→a, ö→o, é→e), split into words, then
stem with the Snowball Swedish stemmer. Folding comes *before* stemming so that a word typed
without accents ("sprakcafe") stems exactly like the accented one ("språkcafé").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

_stemmer = Stemmer.Stemmer("swedish")
_WORD = re.compile(r"[0-9a-z]+")
MAX_QUERY_TERMS = 12
MIN_TERM_LENGTH = 1
# Longer "words" (pasted hashes, URLs without separators) are cut: PostgreSQL refuses to index
# words over 2,047 bytes and rejects them in a tsquery, and nobody searches for such a word.
MAX_WORD_LENGTH = 60


def fold(text: str) -> str:
    """Lower-case and strip diacritics: 'Språkcafé Ö' -> 'sprakcafe o'."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(text: str) -> list[str]:
    """Folded words of letters and digits; everything else (punctuation, emoji, operators) separates."""
    return [word[:MAX_WORD_LENGTH] for word in _WORD.findall(fold(text))]


@lru_cache(maxsize=50_000)
def variants(word: str) -> tuple[str, ...]:
    """The stems a word may stand for.

    Snowball leaves the definite form of -a nouns alone ("ohälsan" stays, while "ohälsa" becomes
    "ohals"), so a word ending in -an also yields the stem of its form without the n. The index
    stores every variant and a query accepts any of them, so "ohälsa" finds "ohälsan".
    """
    stems = [_stemmer.stemWord(word)]
    if len(word) > 4 and word.endswith("an"):
        alternative = _stemmer.stemWord(word[:-1])
        if alternative not in stems:
            stems.append(alternative)
    return tuple(stems)


_VOWELS = frozenset("aeiouy")  # after folding (å, ä, ö are a, a, o)


@lru_cache(maxsize=50_000)
def query_variants(word: str) -> tuple[str, ...]:
    """The stems a typed word may match: its own, and those of its other forms.

    The index holds the stems of what was written, and Snowball gives some forms of one word
    different stems, so a query also accepts the stems of the word's other forms:

    - loanwords in -é: "språkcafé" gives "sprakcaf", but "språkcaféer" and "språkcaféerna"
      give "sprakcafe" (likewise kommitté, armé, allé);
    - nouns that drop an e before the plural ending: "förälder" and "föräldern" give "forald",
      but "föräldrar" gives "foraldr" (likewise syster, nyckel, regel, vinter, teater).

    Only the query side widens (the index stays as it is), so a guessed form that is no Swedish
    word costs nothing: it matches no stem in the index.
    """
    stems = list(variants(word))

    def add(stem: str) -> None:
        if stem not in stems:
            stems.append(stem)

    forms = [word]
    if len(word) > 5 and word.endswith(("ern", "eln")):  # föräldern, nyckeln: the indefinite
        forms.append(word[:-1])
    for form in forms:
        add(_stemmer.stemWord(form))
        if len(form) > 3 and form.endswith("e"):  # språkcafé: the plural språkcaféer
            add(_stemmer.stemWord(form + "er"))
        if len(form) > 4 and form.endswith(("er", "el")) and form[-3] not in _VOWELS:
            add(_stemmer.stemWord(f"{form[:-2]}{form[-1]}ar"))  # förälder: föräldrar
    for stem in list(stems):
        if len(stem) > 3 and stem.endswith("e"):  # språkcaféer: the singular språkcafé
            add(_stemmer.stemWord(stem))
        if len(stem) > 3 and stem[-1] in "rl" and stem[-2] not in _VOWELS:
            add(_stemmer.stemWord(f"{stem[:-1]}e{stem[-1]}"))  # föräldrar: förälder
    return tuple(stems)


def index_terms(*texts: str | None) -> str:
    """Space-separated distinct terms for the search index (stored in a plain text column)."""
    seen: dict[str, None] = {}
    for text in texts:
        for word in words(text or ""):
            for stem in variants(word):
                seen.setdefault(stem, None)
    return " ".join(seen)


def query_terms(query: str | None) -> list[tuple[str, ...]]:
    """The user's query as a list of alternatives per word: every word must match one of its stems.

    Odd input (quotes, operators, emoji, only spaces) simply yields fewer words; never an error.
    """
    result: list[tuple[str, ...]] = []
    for word in words((query or "")[:500]):
        if len(word) < MIN_TERM_LENGTH:
            continue
        stems = query_variants(word)
        if stems not in result:
            result.append(stems)
        if len(result) >= MAX_QUERY_TERMS:
            break
    return result
