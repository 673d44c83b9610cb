"""One analysis of Swedish text for the search and the matching: words -> lemmas and parts.

A word is, in this order:
1. a form the dictionary knows: its lemmas ("böckerna" -> bok, "gick" -> gå, "somrar" ->
   sommar, "äldsta" -> gammal), curated exceptions first (exceptions.py);
2. else, typed without å/ä/ö, the words it can be with them ("forening" -> förening, "lan" ->
   län and lån) — never when it is a word as it stands ("rad" stays rad, not råd);
3. else a compound of known parts: its lemma is its first parts plus its head's lemma, without
   å/ä/ö ("läxhjälpsgrupperna" and "laxhjalpsgrupperna" -> laxhjalpsgrupp);
4. else (names, new words, typos) its Snowball stem, as the search did before.
A compound, known or not, is also indexed under its parts (compounds.py): "ungdomsgården" has
the lemma ungdomsgård and the parts ungdom and gård, so "gård" finds it, ranked below an exact
"gård"; a known word is only split when that is likely ("alltid" never is).

Documents and queries go through the same function, so the two always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from marketplace.language import compounds
from marketplace.language.lexicon import Lexicon, lexicon
from marketplace.language.normalise import fold_swedish, normalise, words

_stemmer = Stemmer.Stemmer("swedish")
_ACCENTED = frozenset("åäö")
RESTORE_SPAN = 1.5  # restored words at most this much rarer (zipf) than the likeliest one
RESTORE_MAX = 3
MAX_PART_LEVELS = 2  # a part that is itself a compound is split once more (läxhjälp|s|grupp)


@dataclass(frozen=True, slots=True)
class Word:
    """What one written word stands for.

    lemmas: its exact terms (usually one; ambiguous forms have several: "tolkar" -> tolk).
    parts:  lemmas of its compound parts, at every level, that are not among `lemmas`
            ("läxhjälpsgrupp" -> läxhjälp, grupp, läxa, hjälp).
    split:  the compound's top-level parts, each as its lemmas: a query word matches a text
            that has all of them ("läxläsning" finds "läsning av läxor"); () if no compound.
    how:    "known", "restored" (typed without å/ä/ö), "compound" (unknown but made of known
            parts) or "unknown" (Snowball stem).
    """

    text: str
    lemmas: tuple[str, ...]
    parts: tuple[str, ...] = ()
    split: tuple[tuple[str, ...], ...] = ()
    how: str = "known"


def _restore(word: str) -> tuple[str, ...]:
    restored = lexicon().restorations(word)
    if not restored:
        return ()
    top = restored[0][1]
    return tuple(lemma for lemma, zipf in restored if zipf >= top - RESTORE_SPAN)[:RESTORE_MAX]


def _parts_of(lex: Lexicon, split: compounds.Split, level: int) -> list[str]:
    found: list[str] = []
    for part in split.parts:
        found.extend(part.lemmas)
        if level < MAX_PART_LEVELS:
            for lemma in part.lemmas:
                inner = compounds.split(lex, lemma, (lemma,), compounds.INNER_MIN_PART)
                if inner is not None:
                    found.extend(_parts_of(lex, inner, level + 1))
    return found


@lru_cache(maxsize=50_000)
def analyze_word(word: str) -> Word:
    """The analysis of one normalised word (see normalise.words)."""
    if word.isdigit() or len(word) < 2:
        return Word(word, (word,), how="unknown")
    lex = lexicon()
    lemmas = lex.lemmas(word)
    how = "known"
    if not lemmas and not _ACCENTED.intersection(word):
        lemmas = _restore(word)
        how = "restored" if lemmas else "known"
    if how == "restored":  # typed without accents: the restored word's split
        compound = next(
            filter(None, (_known_split(lex, lemma, (lemma,)) for lemma in lemmas)), None
        )
    elif lemmas:
        compound = _known_split(lex, word, lemmas)
    else:
        found = compounds.split(lex, word, ())
        if found is None:
            # folded first, so "språkcafe" and "sprakcafe" stem alike
            return Word(word, (_stemmer.stemWord(fold_swedish(word)),), how="unknown")
        # folded, so the same compound typed with or without å/ä/ö has one lemma
        modifiers = "".join(part.text for part in found.parts[:-1])
        lemmas = tuple(dict.fromkeys(fold_swedish(modifiers + head) for head in found.head.lemmas))
        how = "compound"
        compound = _described(lex, found)
    if compound is None:
        return Word(word, lemmas, how=how)
    split, parts = compound
    own = set(lemmas)
    return Word(word, lemmas, tuple(p for p in parts if p not in own), split, how)


Compound = tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]  # (split, parts)


def _described(lex: Lexicon, found: compounds.Split) -> Compound:
    split = tuple(part.lemmas for part in found.parts)
    return split, tuple(dict.fromkeys(_parts_of(lex, found, 1)))


def _known_split(lex: Lexicon, word: str, lemmas: tuple[str, ...]) -> Compound | None:
    """A known word's compound analysis: stored with the word data for a dictionary form
    (computed by compute_split when the data was built), worked out here for the others."""
    if lex.splits is not None and word in lex.forms:
        return lex.stored_split(word)
    return compute_split(lex, word, lemmas)


def compute_split(lex: Lexicon, word: str, lemmas: tuple[str, ...]) -> Compound | None:
    """The compound analysis of a known word (bench/language/build_data.py stores it)."""
    found = compounds.split(lex, word, lemmas)
    return _described(lex, found) if found is not None else None


def analyze(text: str) -> list[Word]:
    """Every word of a text, analysed (in order, repeats included)."""
    return [analyze_word(word) for word in words(text)]


def lemmas_of(word: str) -> tuple[str, ...]:
    """The lemmas of one word as a person writes it ("Böckerna" -> ("bok",))."""
    normalised = normalise(word).strip()
    return analyze_word(normalised).lemmas if normalised else ()
