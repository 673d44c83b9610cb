"""Swedish compounds: "ungdomsgården" is a "gård" of "ungdom", "läxhjälp" a "hjälp" with "läxa".

A word is split into a modifier (a known word in one of its joining forms: ungdom|s, läx(a),
kvinn(a)|o) and a head (any known form), or a modifier and a split rest, at most three parts.
Among the possible splits the one of fewest parts, then of most common parts, wins. A word the
dictionary knows is only split when its parts are together more common than the word itself
(Koehn & Knight's rule: "alltid" is far more common than "all" and "tid" are as its parts
would suggest, "läxhjälp" far rarer than "läxa" and "hjälp"); curated stop lists keep out
prefixes (om|sorg), suffix-like heads (ung|dom) and lexicalised words (eftermiddag).
"""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.language import exceptions
from marketplace.language.lexicon import CACHED, Lexicon

MIN_PART = 3  # letters in each part
MIN_WORD = 6  # letters a word needs to be split at all
MIN_PART_ZIPF = 1.5  # each part at least this common (zipf)
KNOWN_MARGIN = 0.3  # a known word's parts must be this much more common than the word (zipf)
MAX_PARTS = 3
NEVER_SPLIT_ZIPF = 5.5  # a word this common is never split (its parts could not be more common)
INNER_MIN_PART = 4  # letters of each part's lemma when a part is split again
INNER_MARGIN = 1.0  # ... and how much more common its parts must be (vandring is no vande|ring)


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a compound: as written in it, and its lemmas."""

    text: str
    lemmas: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Split:
    parts: tuple[Part, ...]
    score: float  # mean zipf of the parts

    @property
    def head(self) -> Part:
        return self.parts[-1]


_ACCENTED = frozenset("åäö")


def _part_zipf(lexicon: Lexicon, lemmas: tuple[str, ...]) -> float:
    return max((lexicon.zipf(lemma) for lemma in lemmas), default=0.0)


def _head_lemmas(lexicon: Lexicon, rest: str, restore: bool) -> tuple[str, ...]:
    if rest in exceptions.NOT_HEADS:
        return ()
    lemmas = lexicon.lemmas(rest)
    if not lemmas and restore and not _ACCENTED.intersection(rest):  # typed without å/ä/ö
        restored = lexicon.restorations(rest)
        if restored:
            top = restored[0][1]
            lemmas = tuple(lemma for lemma, zipf in restored if zipf >= top - 1.0)[:2]
    return tuple(
        lemma for lemma in lemmas if lemma not in exceptions.NOT_HEADS and len(lemma) >= MIN_PART
    )


def _candidates(lexicon: Lexicon, word: str, depth: int, restore: bool) -> list[Split]:
    found: list[Split] = []
    for prefix, lemmas in lexicon.modifiers(word):
        rest = word[len(prefix) :]
        if len(rest) < MIN_PART or prefix in exceptions.NOT_MODIFIERS:
            continue
        lemmas = tuple(
            lemma
            for lemma in lemmas
            if lemma not in exceptions.NOT_MODIFIERS and len(lemma) >= MIN_PART
        )
        if not lemmas:
            continue
        modifier = Part(prefix, lemmas)
        modifier_zipf = _part_zipf(lexicon, lemmas)
        if modifier_zipf < MIN_PART_ZIPF:
            continue
        head_lemmas = _head_lemmas(lexicon, rest, restore)
        if head_lemmas:
            head_zipf = _part_zipf(lexicon, head_lemmas)
            if head_zipf >= MIN_PART_ZIPF:
                score = (modifier_zipf + head_zipf) / 2
                found.append(Split((modifier, Part(rest, head_lemmas)), score))
                continue
        if depth + 2 < MAX_PARTS + 1 and len(rest) >= 2 * MIN_PART:
            inner = best_split(lexicon, rest, depth + 1, restore)
            if inner is not None:
                count = len(inner.parts) + 1
                score = (modifier_zipf + inner.score * len(inner.parts)) / count
                found.append(Split((modifier, *inner.parts), score))
    return found


def best_split(lexicon: Lexicon, word: str, depth: int = 0, restore: bool = False) -> Split | None:
    """The likeliest split of a word into known parts, or None (no check against the whole);
    `restore`: a part typed without å/ä/ö may be the word with them. Kept for the last words
    asked: heads and parts recur in many compounds."""
    cache = lexicon.split_cache
    key = (word, depth, restore)
    if key in cache:
        return cache[key]
    if len(cache) >= CACHED:
        cache.clear()
    found = cache[key] = _best_split(lexicon, word, depth, restore)
    return found


def _best_split(lexicon: Lexicon, word: str, depth: int, restore: bool) -> Split | None:
    if len(word) < MIN_WORD if depth == 0 else len(word) < 2 * MIN_PART:
        return None
    candidates = _candidates(lexicon, word, depth, restore)
    if not candidates:
        return None
    return min(candidates, key=lambda s: (len(s.parts), -s.score, -len(s.head.text)))


def split(
    lexicon: Lexicon, word: str, lemmas: tuple[str, ...], min_part: int = MIN_PART
) -> Split | None:
    """The word's split if it is a compound worth splitting, else None.

    `lemmas` are the word's own (empty when the dictionary does not know it): a known word is
    split only when its parts are clearly more common than it is. Each part's lemma has at least
    `min_part` letters (a part split again asks for more: "vandra" is no "van" + "dra").
    """
    if word in exceptions.NOT_COMPOUNDS or any(
        lemma in exceptions.NOT_COMPOUNDS for lemma in lemmas
    ):
        return None
    if lemmas and max(lexicon.zipf(lemma) for lemma in lemmas) >= NEVER_SPLIT_ZIPF:
        return None
    # parts typed without å/ä/ö are restored only in a word the dictionary does not know
    restore = not lemmas and not _ACCENTED.intersection(word)
    found = best_split(lexicon, word, restore=restore)
    if found is None:
        return None
    if any(max(map(len, part.lemmas)) < min_part for part in found.parts):
        return None
    if min_part > MIN_PART and min(_part_zipf(lexicon, p.lemmas) for p in found.parts) < 3.0:
        return None  # a part split again: only into common words
    if lemmas:
        whole = max(lexicon.zipf(lemma) for lemma in lemmas)
        margin = KNOWN_MARGIN if min_part <= MIN_PART else INNER_MARGIN
        if found.score < whole + margin:
            return None
    return found
