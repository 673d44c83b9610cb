"""Build the labelled language test set (tests/data/language_eval.json), reproducibly.

    .venv/bin/python bench/language/build_eval.py   # needs hunspell-sv and wordfreq, as build_data

Drawn with a fixed seed from Debian's hunspell-sv (paradigms and compounding flags) and
wordfreq's Swedish list (only forms people write), independently of the analyzer's own rules:
- inflection: two attested forms of one dictionary entry ("somrarna" ~ "sommaren"), and the
  dictionary's irregular entries with their lemma from simplemma ("böcker" ~ "bok");
- accents: an attested word with å/ä/ö, typed without them ("forening" ~ "förening");
- compounds: attested words that the dictionary's compounding flags build in exactly one way
  from a first part (COMPOUNDBEGIN form) and a last part (COMPOUNDEND entry), both common words
  ("ungdoms|gården" = ungdom + gård): the head should find the compound, and the compound a text
  with its parts as words;
- look-alikes: common words that only look alike (the same without å/ä/ö, one the beginning of
  the other, or the same Snowball stem) and are unrelated; every candidate was checked by hand
  and those that are related after all (one derived from the other) are in RELATED below.
"""

from __future__ import annotations

import json
import math
import random
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import Stemmer  # noqa: E402
from build_data import (  # noqa: E402
    HUNSPELL,
    expand,
    irregular_links,
    simplemma_table,
    zipf_table,
)
from hunspell import read_aff, read_dic  # noqa: E402

from marketplace.language.normalise import fold_swedish, normalise  # noqa: E402

OUT = ROOT / "tests" / "data" / "language_eval.json"
SEED = 20240516
COMMON = 3.0  # zipf of the lemmas drawn
ATTESTED = 1.5  # zipf of the forms drawn

# Look-alike candidates that are related after all (checked by hand): not negatives.
_RELATED = """
    man/män tillsatt/tillsätt svalt/svält skarp/skärp prova/pröva
    mikro/mikrofon sist/sistone sim/simma rik/riklig dra/dragit dans/dansare fest/festlig
    gripa/gripande tre/tredje kung/kunglig ljuv/ljuvlig box/boxare visa/visats sända/sändare
    enda/endast sköt/skott täck/täckt
    läs/läsa block/blocka sjuka/sjuklig dödlig/dödlighet lik/likhet bokstav/bokstäver form/forma
    ersätt/ersätter deprimerad/deprimerande misslyckande/misslyckas möjlig/möjlighet
    fläck/fläcka enda/ende byte/byter märke/märklig flyg/flyger par/para följande/följare
    innerst/innerstad följa/följande sammanhang/sammanhänga rätt/rättelse var/varar
    delad/delare ner/neråt bekräfta/bekräftelse allmänhet/allmänna kräkas/kräks sköna/skönhet
    klura/klurig natur/naturlig motsatt/motsätter kyss/kyssa uttal/uttalande dyk/dyker
    envis/envisas sank/sänka trygga/trygghet
"""
RELATED = frozenset(tuple(pair.split("/")) for pair in _RELATED.split())


def compounds(zipf, paradigms, modifiers, rng, count):
    """Attested words built in exactly one way from a begin form and a compound-end entry."""
    affixes = read_aff(HUNSPELL.with_suffix(".aff"))
    end_flag = affixes.option("COMPOUNDEND")
    ends: dict[str, set[str]] = defaultdict(set)  # form -> entries that may end a compound
    for entry in read_dic(HUNSPELL.with_suffix(".dic"), affixes):
        if end_flag not in entry.flags:
            continue
        lemma = normalise(entry.word)
        if len(lemma) < 3 or lemma_zipf(zipf, paradigms, lemma) < COMMON:
            continue
        for form in paradigms.get(lemma, ()):
            ends[form].add(lemma)
    begins = {
        string: {m for m in lemmas if len(m) >= 3 and lemma_zipf(zipf, paradigms, m) >= COMMON}
        for string, lemmas in modifiers.items()
    }
    found = []
    for word, value in zipf.items():
        if value < ATTESTED or len(word) < 7 or not word.isalpha() or word != normalise(word):
            continue
        splits = []
        for cut in range(3, len(word) - 2):
            first, rest = word[:cut], word[cut:]
            for modifier in begins.get(first, ()):
                for head in ends.get(rest, ()):
                    splits.append((modifier, head, first, rest))
        if len(splits) == 1:
            found.append((word, *splits[0]))
    found.sort()
    rng.shuffle(found)
    return [
        {"compound": w, "modifier": m, "head": h, "written": [first, rest]}
        for w, m, h, first, rest in found[:count]
    ]


_LEMMA_ZIPF: dict[str, float] = {}


def lemma_zipf(zipf, paradigms, lemma):
    if lemma not in _LEMMA_ZIPF:
        total = sum(10 ** zipf[f] for f in paradigms.get(lemma, ()) if f in zipf)
        _LEMMA_ZIPF[lemma] = math.log10(total) if total else 0.0
    return _LEMMA_ZIPF[lemma]


def build() -> dict:
    rng = random.Random(SEED)
    zipf = zipf_table()
    paradigms, modifiers, names = expand(HUNSPELL.with_suffix(".aff"), HUNSPELL.with_suffix(".dic"))
    entries = set(paradigms)
    common = sorted(
        lemma
        for lemma in paradigms
        if len(lemma) >= 3 and lemma not in names and lemma_zipf(zipf, paradigms, lemma) >= COMMON
    )

    # Inflection: two attested forms of one entry, neither an entry of its own.
    inflection = []
    for lemma in rng.sample(common, len(common)):
        forms = sorted(
            f
            for f in paradigms[lemma]
            if zipf.get(f, 0) >= ATTESTED and (f == lemma or f not in entries)
        )
        if len(forms) < 2:
            continue
        query, doc = rng.sample(forms, 2)
        inflection.append({"lemma": lemma, "query": query, "doc": doc})
        if len(inflection) == 600:
            break
    links = irregular_links(paradigms, names, simplemma_table())
    irregular = [
        {"lemma": lemma, "query": lemma, "doc": entry}
        for entry, lemma in sorted(links.items())
        if zipf.get(entry, 0) >= COMMON and zipf.get(lemma, 0) >= COMMON
    ]

    # Accents: an attested form with å/ä/ö, typed without them.
    accented = sorted(
        f
        for lemma in common
        for f in paradigms[lemma]
        if zipf.get(f, 0) >= COMMON and fold_swedish(f) != f
    )
    accents = [{"query": fold_swedish(f), "doc": f} for f in rng.sample(sorted(set(accented)), 500)]

    compound_items = compounds(zipf, paradigms, modifiers, rng, 400)

    # Look-alikes: unrelated common words that look alike.
    stemmer = Stemmer.Stemmer("swedish")
    frequent = [w for w in common if lemma_zipf(zipf, paradigms, w) >= 3.5]
    by_fold: dict[str, list[str]] = defaultdict(list)
    by_stem: dict[str, list[str]] = defaultdict(list)
    for lemma in frequent:
        by_fold[fold_swedish(lemma)].append(lemma)
        by_stem[stemmer.stemWord(fold_swedish(lemma))].append(lemma)

    def unrelated(a: str, b: str) -> bool:
        if a == b or b in paradigms.get(a, ()) or a in paradigms.get(b, ()):
            return False
        return not (set(paradigms[a]) & set(paradigms[b]))

    accent_pairs = sorted(
        (a, b)
        for group in by_fold.values()
        for a in group
        for b in group
        if a < b and unrelated(a, b)
    )
    stem_pairs = sorted(
        (a, b)
        for group in by_stem.values()
        for a in group
        for b in group
        if a < b and unrelated(a, b)
    )
    folded = sorted((fold_swedish(w), w) for w in frequent)
    prefix_pairs = []
    for a in frequent:
        if len(a) < 3 or len(a) > 5:
            continue
        key = fold_swedish(a)
        for fb, b in folded:
            if fb.startswith(key) and 1 <= len(b) - len(a) <= 3 and unrelated(a, b):
                rest = b[len(a) :]
                if rest not in paradigms:  # not a compound of a with a word
                    prefix_pairs.append((a, b))
    lookalikes = []
    for kind, pairs, count in (
        ("accent", accent_pairs, 70),
        ("prefix", sorted(set(prefix_pairs)), 70),
        ("stem", stem_pairs, 70),
    ):
        for a, b in rng.sample(pairs, min(count, len(pairs))):
            if (a, b) not in RELATED and (b, a) not in RELATED:  # checked after drawing
                lookalikes.append({"kind": kind, "a": a, "b": b})

    return {
        "_about": (
            f"Generated by bench/language/build_eval.py (seed {SEED}) from hunspell-sv and "
            "wordfreq; scored by bench/language_eval.py and tests/test_language_metrics.py."
        ),
        "inflection": inflection,
        "irregular": irregular,
        "accents": accents,
        "compounds": compound_items,
        "lookalikes": lookalikes,
    }


def main() -> None:
    data = build()
    OUT.write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print({key: len(value) for key, value in data.items() if isinstance(value, list)})


if __name__ == "__main__":
    main()
