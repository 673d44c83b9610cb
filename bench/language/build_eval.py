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
- present tense and plurals (a slice of their own, drawn with SEED + 1): common verbs of the
  dictionary with their attested present tense ("hitta" ~ "hittar", "skänka" ~ "skänker"),
  told by the shape of their past tense (-ade, -de/-te), and common nouns with their attested
  plural, told by its definite form ("bild" ~ "bilder", "bilderna"); negatives: a plural and
  a verb that only look like one word ("bilder" is no form of "bilda"), checked by hand
  (VERB_NOUN_RELATED below);
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

# Plural/verb candidates checked by hand and found unrelated (the others are one word after all,
# "tester"/"testa", or the "verb" is no verb in use, "pedofila", or the plural is also the
# verb's present tense, "gifter"/"gifta", "handleder"/"handleda"): the negatives.
_VERB_NOUN_UNRELATED = """
    akter/akta avgifter/avgifta bilder/bilda böner/böna doser/dosa faser/fasa förrätter/förrätta
    frukter/frukta gener/gena halter/halta körer/köra pajer/paja priser/prisa raser/rasa
    vader/vada
"""
VERB_NOUN_UNRELATED = frozenset(tuple(pair.split("/")) for pair in _VERB_NOUN_UNRELATED.split())
# Candidates for the plural slice that are no noun of that plural (checked by hand).
_NOT_PLURAL_NOUNS = """
    fysik idrott för ung värde klipp möss titt hål lopp tal pip musik romantik arbete spel kul
    bröd arme pol film stift börd stall
"""
NOT_PLURAL_NOUNS = frozenset(_NOT_PLURAL_NOUNS.split())
# Candidates for the present-tense slice whose present is not the one drawn (ringa: ringer;
# "later" and "meter" are other words).
NOT_PRESENT_VERBS = frozenset(["ringa", "lata", "meta"])


def present_and_plurals(zipf, paradigms, entries, names, seed):
    """Verbs with their present tense, nouns with their plural, and plurals that only look like
    a verb's form. Told by the attested forms around them, not by the analyzer's data."""
    rng = random.Random(seed)
    seen = {form for forms in paradigms.values() for form in forms}

    def attested(word: str, floor: float = ATTESTED) -> bool:
        return zipf.get(word, 0) >= floor and word in seen

    verbs = []
    for verb in sorted(entries):
        if len(verb) < 4 or not verb.endswith("a") or verb in names:
            continue
        if zipf.get(verb, 0) < COMMON:
            continue
        stem = verb[:-1]
        if attested(verb + "de") and attested(verb + "t"):  # hittade, hittat: hittar
            present = verb + "r"
        elif (attested(stem + "te") or attested(stem + "de")) and not stem.endswith("r"):
            present = stem + "er"  # skänkte: skänker
        else:
            continue
        if attested(present):
            # the dictionary files the present apart: an entry of its own, or not among the
            # verb's forms (the case a search missed: "skänker", "visar")
            apart = present in entries or present not in paradigms[verb]
            verbs.append({"lemma": verb, "query": verb, "doc": present, "apart": apart})
    plurals = []
    for noun in sorted(entries):
        if len(noun) < 3 or noun in names or zipf.get(noun, 0) < COMMON:
            continue
        definite = noun + "n" if noun[-1] in "ae" else noun + "en"
        if not attested(definite):  # a noun of the -en kind
            continue
        if noun.endswith("a"):
            candidates = (noun[:-1] + "or",)  # flicka: flickor
        elif noun.endswith("e"):
            candidates = (noun[:-1] + "ar",)  # timme: timmar
        else:
            candidates = (noun + "ar", noun + "er", noun + "or")
        for plural in candidates:
            if plural != noun and attested(plural) and attested(plural + "na"):
                plurals.append({"lemma": noun, "query": noun, "doc": plural})
                break
    # a plural and a verb spelt like its stem + a: "bilder" / "bilda"
    negatives = []
    for item in plurals:
        noun, plural = item["query"], item["doc"]
        verb = noun + "a"
        # "hoppar" is both a plural and a present tense: no negative
        if verb in entries and verb + "r" != plural and (plural, verb) in VERB_NOUN_UNRELATED:
            negatives.append({"a": plural, "b": verb})
    rng.shuffle(verbs)
    rng.shuffle(plurals)
    rng.shuffle(negatives)
    # as many again of the verbs whose present the dictionary files apart, drawn the same way
    verbs = verbs[:300] + [item for item in verbs[300:] if item["apart"]][:150]
    # the drawn items checked by hand: those that are no such pair dropped (after drawing)
    verbs = [item for item in verbs if item["lemma"] not in NOT_PRESENT_VERBS]
    plurals = [item for item in plurals[:300] if item["lemma"] not in NOT_PLURAL_NOUNS]
    return verbs, plurals, negatives


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

    present, plurals, verb_noun = present_and_plurals(zipf, paradigms, entries, names, SEED + 1)

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
        "present_tense": present,
        "plurals": plurals,
        "plural_verb_lookalikes": verb_noun,
    }


def main() -> None:
    data = build()
    OUT.write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print({key: len(value) for key, value in data.items() if isinstance(value, list)})


if __name__ == "__main__":
    main()
