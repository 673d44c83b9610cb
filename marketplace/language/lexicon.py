"""The Swedish word data: which words exist, their lemmas, how common they are.

Loaded once per process from marketplace/language/data (built by bench/language/build_data.py
from hunspell-sv, simplemma and wordfreq) into marisa tries: ~8 MB on disk and about as much in
memory, a lookup a microsecond or two. The curated exceptions (exceptions.py) apply on top.
"""

from __future__ import annotations

import hashlib
import sys
from functools import cache
from pathlib import Path

import marisa_trie

from marketplace.language import exceptions

DATA = Path(__file__).resolve().parent / "data"
CACHED = 20_000  # words whose lemmas and modifiers are kept (a cache is emptied when full)


class Lexicon:
    """The tries, and what a word is made of according to them."""

    def __init__(self, folder: Path = DATA) -> None:
        self.forms = marisa_trie.RecordTrie("<IB").mmap(str(folder / "forms.marisa"))
        self.lemma_keys = marisa_trie.Trie().mmap(str(folder / "lemmas.marisa"))
        self.begins = marisa_trie.RecordTrie("<I").mmap(str(folder / "begins.marisa"))
        self.accents = marisa_trie.RecordTrie("<IB").mmap(str(folder / "accents.marisa"))
        self.lemma_zipf = (folder / "lemma_zipf.bin").read_bytes()
        self._lemma: dict[int, str] = {}
        self._lemmas: dict[str, tuple[str, ...]] = {}
        self._modifiers: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        self.split_cache: dict = {}  # compounds.best_split's
        splits = folder / "splits.marisa"
        self.splits = marisa_trie.RecordTrie("<BBI").mmap(str(splits)) if splits.exists() else None

    def lemma(self, lemma_id: int) -> str:
        found = self._lemma.get(lemma_id)
        if found is None:
            # interned: the same lemmas recur in thousands of cached words and documents
            found = self._lemma[lemma_id] = sys.intern(self.lemma_keys.restore_key(lemma_id))
        return found

    def is_word(self, word: str) -> bool:
        return word in self.forms or word in exceptions.LEMMAS

    def lemmas(self, word: str) -> tuple[str, ...]:
        """The lemmas of a known form (curated exceptions first); () for an unknown word."""
        found = self._lemmas.get(word)
        if found is None:
            if len(self._lemmas) >= CACHED:
                self._lemmas.clear()
            found = self._lemmas[word] = self._find_lemmas(word)
        return found

    def _find_lemmas(self, word: str) -> tuple[str, ...]:
        curated = exceptions.LEMMAS.get(word)
        if curated is not None:
            return curated
        records = self.forms.get(word)
        if not records:
            return ()
        found = tuple(dict.fromkeys(self.lemma(lemma_id) for lemma_id, _ in records))
        blocked = exceptions.NOT_LEMMAS.get(word)
        if blocked:
            found = tuple(lemma for lemma in found if lemma not in blocked) or found
        return found

    def stored_split(self, word: str) -> tuple[tuple[tuple[str, ...], ...], tuple[str, ...]] | None:
        """A dictionary form's compound analysis, computed when the data was built: its top-level
        parts (each as its lemmas) and every part's lemma at any level; None if it is no
        compound (or the data has no splits)."""
        records = self.splits.get(word) if self.splits is not None else None
        if not records:
            return None
        split: dict[int, list[str]] = {}
        parts: list[str] = []
        for index, _order, lemma_id in sorted(records, key=lambda r: r[1]):
            # (top-level part number, or 0 for a part of a part; order; lemma id)
            lemma = self.lemma(lemma_id)
            if index:
                split.setdefault(index, []).append(lemma)
            if lemma not in parts:
                parts.append(lemma)
        return tuple(tuple(split[index]) for index in sorted(split)), tuple(parts)

    def form_zipf(self, word: str) -> float:
        """How common the form itself is (zipf: 1 rare ... 7 'och'); 0 when unknown."""
        records = self.forms.get(word)
        return records[0][1] / 10 if records else 0.0

    def zipf(self, lemma: str) -> float:
        """How common the lemma is, all its forms together; 0 when unknown."""
        lemma_id = self.lemma_keys.get(lemma)
        return self.lemma_zipf[lemma_id] / 10 if lemma_id is not None else 0.0

    def restorations(self, word: str) -> tuple[tuple[str, float], ...]:
        """Lemmas a word typed without å/ä/ö may stand for, with the zipf of the written form:
        'forening' -> (('förening', 4.5),). Nothing for a word that is Swedish as it stands."""
        records = self.accents.get(word)
        if not records:
            return ()
        best: dict[str, float] = {}
        for lemma_id, zipf10 in records:
            lemma = self.lemma(lemma_id)
            best[lemma] = max(best.get(lemma, 0.0), zipf10 / 10)
        return tuple(sorted(best.items(), key=lambda item: (-item[1], item[0])))

    def modifiers(self, word: str) -> list[tuple[str, tuple[str, ...]]]:
        """The beginnings of a word that may begin a compound, with their lemmas, longest first:
        'ungdomsgården' -> [('ungdoms', ('ungdom',)), ('ungdom', ('ungdom',)), ...]."""
        found = self._modifiers.get(word)
        if found is None:
            if len(self._modifiers) >= CACHED:
                self._modifiers.clear()
            found = []
            for prefix in self.begins.prefixes(word):
                lemmas = tuple(dict.fromkeys(self.lemma(i) for (i,) in self.begins[prefix]))
                found.append((prefix, lemmas))
            found.sort(key=lambda item: -len(item[0]))
            self._modifiers[word] = found
        return found

    def completions(self, prefix: str, limit: int = 20) -> list[str]:
        """The most common lemmas that begin with `prefix` (for as-you-type search)."""
        keys = self.lemma_keys.keys(prefix)[:2000]
        keys.sort(key=lambda key: (-self.lemma_zipf[self.lemma_keys[key]], key))
        return keys[:limit]


def exceptions_digest() -> str:
    """A digest of the curated lists the stored splits depend on (data/manifest.json)."""
    lists = (
        sorted(exceptions.LEMMAS.items()),
        sorted((word, sorted(lemmas)) for word, lemmas in exceptions.NOT_LEMMAS.items()),
        sorted(exceptions.NOT_COMPOUNDS),
        sorted(exceptions.NOT_HEADS),
        sorted(exceptions.NOT_MODIFIERS),
    )
    return hashlib.sha256(repr(lists).encode()).hexdigest()[:16]


@cache
def lexicon() -> Lexicon:
    return Lexicon()
