"""Build the word data of marketplace.language from public resources, reproducibly.

    apt-get install -y hunspell-sv                      # Debian 12: 1:7.5.0-1
    .venv/bin/pip install -r requirements-dev.txt       # simplemma, wordfreq (pinned)
    .venv/bin/python bench/language/build_data.py       # writes marketplace/language/data/

Sources (versions are written to data/manifest.json and checked there):
- Debian's hunspell-sv (Göran Andersson's Swedish dictionary, LGPL-3): 150,000 entries whose
  suffix rules expand to ~800,000 word forms. Each form is mapped to its entry (the lemma), and
  the compounding flags give the forms that begin a compound ("ungdoms-" of ungdom).
- simplemma's Swedish table (MIT; from Wiktionary-derived lists): links irregular forms that the
  dictionary lists as entries of their own to their lemma (böcker -> bok, äldst -> gammal,
  sade -> säga). Only such entries are linked, and only when simplemma does not also use the
  entry as a lemma of other forms; links from names and a few checked mistakes are dropped.
  It also confirms the lemmas the dictionary's grouping hides (see confirmed_lemmas): the
  dictionary groups forms by spelling, not by word, so a present tense that is also an entry of
  its own ("hittar", "skänker", "lever") or a plural filed under another entry ("helger" under
  helga) would otherwise never reach its verb or noun. A form gets simplemma's lemma only when
  the dictionary agrees: it generates the form from that entry, or one of its suffix rules
  turns that entry into the form (visa -> visar, leva -> lever, helg -> helger).
- wordfreq's large Swedish list (Apache-2.0 code, CC-BY-SA data): how common each form is, summed
  per lemma. The compound splitter and the accent restorer weigh their choices with it.

Output (compact, memory-mapped by marisa-trie at run time; see marketplace/language/lexicon.py):
    forms.marisa    form -> (lemma id, zipf*10 of the form)        every known word form
    lemmas.marisa   lemma keys (ids), lemma_zipf.bin one byte per lemma id: zipf*10
    begins.marisa   compound modifier -> lemma id                 "ungdoms" -> ungdom, "läx" -> läxa
    accents.marisa  form without å/ä/ö -> (lemma id, zipf*10)     only where that is no word itself
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import sys
from collections import defaultdict
from importlib.metadata import version
from pathlib import Path

import marisa_trie

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from hunspell import Affixes, read_aff, read_dic  # noqa: E402

from marketplace.language.analyzer import compute_split  # noqa: E402
from marketplace.language.lexicon import Lexicon, exceptions_digest  # noqa: E402
from marketplace.language.normalise import fold_swedish, normalise  # noqa: E402

DATA = ROOT / "marketplace" / "language" / "data"
HUNSPELL = Path("/usr/share/hunspell/sv_SE")
_WORD = re.compile(r"^[a-zåäö]+$")

# simplemma links that are wrong (checked by hand among the linked entries with zipf >= 3).
_WRONG_LINKS = (
    "mars togs fans ska mose bajen mils ref ams va hd vm helen line lis redo upphov matte morse "
    "lys komet fors lasse mina min ett"
)
WRONG_LINKS = frozenset(_WRONG_LINKS.split())

# Liberal compound modifiers beyond the dictionary's flags: how Swedish joins a first part.
# (the lemma ends with, the modifier replaces that ending with)
MODIFIER_ENDINGS = (
    ("", ""),  # bil|pool
    ("", "s"),  # ungdom|s|gård
    ("a", ""),  # läx(a)|hjälp
    ("e", ""),  # pojk(e)|rum
    ("a", "o"),  # kvinn(a)|o|jour
    ("a", "e"),  # ränt(a)|e|höjning
    ("a", "u"),  # var(a)|u|hus
    ("e", "es"),  # yrk(e)|es|man
    ("e", "s"),  # samhäll(e)|s|orientering
    ("a", "s"),  # pepparkak(a)|s|hus
)
MODIFIER_MIN_ZIPF = 2.0  # liberal modifiers only for lemmas at least this common
MIN_PART = 3  # letters


def zipf_table() -> dict[str, float]:
    import wordfreq

    table = wordfreq.get_frequency_dict("sv", wordlist="large")
    return {word: math.log10(frequency) + 9 for word, frequency in table.items()}


def simplemma_table() -> dict[str, str]:
    from simplemma.strategies.dictionaries.dictionary_factory import DefaultDictionaryFactory

    table = DefaultDictionaryFactory().get_dictionary("sv")
    return {normalise(form): normalise(lemma) for form, lemma in table.items()}


def expand(aff: Path, dic: Path):
    """Entries (lemma -> forms), compound modifiers (string -> lemmas), capitalised entries."""
    affixes = read_aff(aff)
    paradigms, modifiers, names = _expand(affixes, dic)
    return paradigms, modifiers, names


def _expand(affixes: Affixes, dic: Path):
    only_in_compound = affixes.option("ONLYINCOMPOUND")
    begin, middle = affixes.option("COMPOUNDBEGIN"), affixes.option("COMPOUNDMIDDLE")
    paradigms: dict[str, set[str]] = defaultdict(set)
    modifiers: dict[str, set[str]] = defaultdict(set)
    names: set[str] = set()
    for entry in read_dic(dic, affixes):
        lemma = normalise(entry.word)
        if not _WORD.match(lemma):
            continue
        if entry.word[:1].isupper():
            names.add(lemma)
        for form in entry.forms(affixes):
            word = normalise(form.word)
            if not _WORD.match(word):
                continue
            if begin in form.flags or middle in form.flags:
                modifiers[word].add(lemma)
            if only_in_compound and only_in_compound in form.flags:
                continue
            paradigms[lemma].add(word)
    return paradigms, modifiers, names


def complete_verbs(paradigms: dict[str, set[str]], known: set[str]) -> None:
    """The dictionary spreads some verbs' forms over other entries (tolkar under tolk): give a
    first-conjugation verb its present tense, a second-conjugation verb its own, when that form
    is a known word."""
    for lemma, forms in paradigms.items():
        if len(lemma) < 4 or not lemma.endswith("a"):
            continue
        if lemma + "de" in forms and lemma + "t" in forms and lemma + "r" in known:
            forms.add(lemma + "r")
        stem = lemma[:-1]
        # a stem in -r takes no ending (köra: kör, not "körer", the plural of kör)
        present = stem if stem.endswith("r") else stem + "er"
        if (stem + "te" in forms or stem + "de" in forms) and present in known:
            forms.add(present)


def irregular_links(
    paradigms: dict[str, set[str]], names: set[str], simplemma: dict[str, str]
) -> dict[str, str]:
    """Entry -> lemma for the dictionary's irregular forms listed as entries (böcker -> bok)."""
    lemma_of_others = {lemma for form, lemma in simplemma.items() if form != lemma}
    links = {}
    for entry, forms in paradigms.items():
        lemma = simplemma.get(entry)
        if not lemma or lemma == entry or lemma not in paradigms or entry in WRONG_LINKS:
            continue
        if entry in names or entry in lemma_of_others or len(forms) > 8 or len(entry) < 3:
            continue
        if entry in paradigms[lemma] or lemma in forms:
            continue
        if entry == lemma[:-1] or lemma == entry[:-1]:  # pump/pumpa: a noun and its verb
            continue
        if entry.startswith(lemma) and len(entry) - len(lemma) >= 3:  # ballast/ball
            continue
        links[entry] = lemma
    return links


def suffix_forms(affixes: Affixes, lemma: str, known: set[str]) -> set[str]:
    """Every form any suffix rule of the dictionary makes of `lemma`, whatever flags the entry
    has: what Swedish inflection allows for a word of that shape. A rule that only cuts the
    final -a (the imperative "film" of filma) counts only for a present tense in -r ("kör" of
    köra); one that only adds -s (genitive, passive) counts not at all: both would confirm
    too many of simplemma's guesses ("film" -> filma, "läs" -> lä)."""
    found = set()
    # "kör" of köra, a weak verb of the second conjugation (körde, kört); not "sur" of sura
    weak = lemma.endswith("ra") and bool({lemma[:-1] + "de", lemma[:-1] + "t"} & known)
    for rules in affixes.suffixes.values():
        for rule in rules:
            if rule.strip and not lemma.endswith(rule.strip):
                continue
            if not rule.condition.search(lemma):
                continue
            form = lemma[: len(lemma) - len(rule.strip)] + rule.add
            if rule.add == "s" and not rule.strip:
                continue
            if not rule.add and not (rule.strip == "a" and form.endswith("r") and weak):
                continue
            found.add(form)
    return found


# Present tenses and plurals, and the plurals' definite and genitive forms: the forms whose
# lemmas confirmed_lemmas completes. Others it would link are mostly a second reading of an
# adjective or participle ("svalt" -> sval besides svalt), which only doubles the weight of the
# word where two ads share it (matching counts every lemma of a word).
PRESENT_OR_PLURAL = ("r", "rna", "rnas", "rs")
# simplemma lemmas that confirmed_lemmas would give wrongly (checked by hand among the confirmed
# forms with zipf >= 2.5): "vägarna" is no form of vägare, "tekniker" none of teknik, ...
_WRONG_CONFIRMED = (
    "vägare pasta markera böra länd maja björna mora skuldra teknik historik kritik peppa sug kära"
)
WRONG_CONFIRMED = frozenset(_WRONG_CONFIRMED.split())


def confirmed_lemmas(
    paradigms: dict[str, set[str]],
    lemmas_of: dict[str, set[str]],
    simplemma: dict[str, str],
    affixes: Affixes,
) -> dict[str, str]:
    """Present tense or plural -> the lemma simplemma gives it, where the dictionary agrees but its grouping by
    spelling kept the two apart: the dictionary generates the form from that entry (skänka ->
    "skänker", also an entry of its own), or a suffix rule of the dictionary makes the form of
    it (visa -> "visar", leva -> "lever", helg -> "helger"; see suffix_forms)."""
    generated_by: dict[str, set[str]] = defaultdict(set)
    for lemma, forms in paradigms.items():
        for form in forms:
            generated_by[form].add(lemma)
    confirmed = {}
    made_of: dict[str, set[str]] = {}
    for form, lemmas in lemmas_of.items():
        if not form.endswith(PRESENT_OR_PLURAL):
            continue
        lemma = simplemma.get(form)
        if not lemma or lemma == form or lemma in lemmas or lemma not in paradigms:
            continue
        if lemma in WRONG_LINKS or form in WRONG_LINKS or lemma in WRONG_CONFIRMED:
            continue
        # a noun in -er is no form of a verb in -ra ("buller" of bullra, "foster" of fostra)
        if lemma.endswith("ra") and "er" in form[len(lemma) - 3 :] and not form.startswith(lemma):
            continue
        if lemma not in generated_by[form]:
            if lemma not in made_of:
                made_of[lemma] = suffix_forms(affixes, lemma, lemmas_of.keys())
            if form not in made_of[lemma]:
                continue
        confirmed[form] = lemma
    return confirmed


def build(out: Path) -> dict:
    zipf = zipf_table()
    simplemma = simplemma_table()
    affixes = read_aff(HUNSPELL.with_suffix(".aff"))
    paradigms, modifiers, names = _expand(affixes, HUNSPELL.with_suffix(".dic"))
    known = {form for forms in paradigms.values() for form in forms}
    complete_verbs(paradigms, known)
    links = irregular_links(paradigms, names, simplemma)

    # form -> lemmas. A generated form that is an entry of its own belongs to that entry only:
    # the dictionary's derivation flags over-generate for search ("han" from ha, "manet" from man).
    lemmas_of: dict[str, set[str]] = defaultdict(set)
    for lemma, forms in paradigms.items():
        for form in forms:
            if form != lemma and form in paradigms:
                continue
            lemmas_of[form].add(lemma)
            if lemma in links:
                lemmas_of[form].add(links[lemma])
    for lemma in paradigms:
        lemmas_of[lemma].add(lemma)
    # The lemmas the dictionary's grouping by spelling hid, where simplemma and the dictionary
    # agree ("hittar" -> hitta besides the entry hittar; "lever" -> leva besides lever).
    confirmed = confirmed_lemmas(paradigms, lemmas_of, simplemma, affixes)
    for form, lemma in confirmed.items():
        lemmas_of[form].add(lemma)
    # ... and the other way: a first-conjugation verb (pajade) has no forms in -er, so "pajer"
    # that the dictionary files under paja is only the plural of paj, once it has that lemma.
    for lemma, forms in paradigms.items():
        stem = lemma[:-1]
        if not lemma.endswith("a") or lemma + "de" not in forms:
            continue
        if stem + "de" in forms or stem + "te" in forms:  # ringa: ringade and ringde
            continue
        for form in forms:
            verb = {lemma, links.get(lemma)}
            if form.startswith(stem + "er") and lemma in lemmas_of.get(form, ()):
                lemmas_of[form] = lemmas_of[form] - verb or lemmas_of[form]

    lemma_keys = sorted({lemma for lemmas in lemmas_of.values() for lemma in lemmas})
    lemma_trie = marisa_trie.Trie(lemma_keys)
    frequency: dict[str, float] = defaultdict(float)
    for form, lemmas in lemmas_of.items():
        share = 10 ** zipf[form] if form in zipf else 0.0
        for lemma in lemmas:
            frequency[lemma] += share

    def z10(value: float) -> int:
        return max(0, min(255, round(value * 10)))

    lemma_zipf = bytearray(len(lemma_trie))
    for lemma in lemma_keys:
        share = frequency[lemma]
        lemma_zipf[lemma_trie[lemma]] = z10(math.log10(share)) if share > 0 else 0

    form_records = [
        (form, (lemma_trie[lemma], z10(zipf.get(form, 0.0))))
        for form, lemmas in lemmas_of.items()
        for lemma in sorted(lemmas)
    ]
    forms_trie = marisa_trie.RecordTrie("<IB", form_records)

    begins: dict[str, set[str]] = defaultdict(set)

    def modifier_lemmas(lemma: str) -> set[str]:
        if lemma in paradigms:
            return {links.get(lemma, lemma)}
        # an entry only for compounds ("vandrar-" of vandrarhem): the word it joins with, an
        # agent noun without its -e (vandrare) or the form it spells
        for word in (lemma + "e", lemma):
            if word in lemmas_of:
                return lemmas_of[word]
        return set()

    for string, lemmas in modifiers.items():
        for lemma in lemmas:
            if len(string) >= MIN_PART:
                begins[string].update(modifier_lemmas(lemma))
    # The dictionary's own joining forms where it gives any (asyl- but not asyls-); the usual
    # Swedish ones for the other words.
    flagged = {lemma for lemmas in modifiers.values() for lemma in lemmas}
    for lemma in paradigms:
        if len(lemma) < MIN_PART or lemma_zipf[lemma_trie[lemma]] < MODIFIER_MIN_ZIPF * 10:
            continue
        if lemma in flagged:
            continue
        for ending, replacement in MODIFIER_ENDINGS:
            if ending and not lemma.endswith(ending):
                continue
            string = lemma[: len(lemma) - len(ending)] + replacement
            if len(string) >= MIN_PART:
                begins[string].add(lemma)
    # Typed without å/ä/ö: the folded modifier too, unless it is a modifier or a word itself.
    for string, lemmas in list(begins.items()):
        folded = fold_swedish(string)
        if folded != string and folded not in begins and folded not in lemmas_of:
            begins.setdefault(folded, set()).update(lemmas)
    begin_trie = marisa_trie.RecordTrie(
        "<I",
        [
            (s, (lemma_trie[lemma],))
            for s, lemmas in begins.items()
            for lemma in sorted(lemmas)
            if lemma in lemma_trie  # an entry with no form of its own begins nothing we index
        ],
    )

    accents: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for form, lemmas in lemmas_of.items():
        folded = fold_swedish(form)
        if folded == form or folded in lemmas_of:
            continue
        for lemma in lemmas:
            accents[folded].add((lemma_trie[lemma], z10(zipf.get(form, 0.0))))
    accents_trie = marisa_trie.RecordTrie(
        "<IB", [(folded, value) for folded, values in accents.items() for value in sorted(values)]
    )

    out.mkdir(parents=True, exist_ok=True)
    files = {
        "forms.marisa": forms_trie,
        "lemmas.marisa": lemma_trie,
        "begins.marisa": begin_trie,
        "accents.marisa": accents_trie,
    }
    for name, trie in files.items():
        trie.save(str(out / name))
    (out / "lemma_zipf.bin").write_bytes(bytes(lemma_zipf))

    # Compounds: every dictionary form's split, worked out now with the data just written and
    # the curated lists (marketplace/language/exceptions.py), so indexing only looks them up.
    splits_file = out / "splits.marisa"
    splits_file.unlink(missing_ok=True)
    built = Lexicon(out)
    records = []
    for form in built.forms.iterkeys():
        found = compute_split(built, form, built.lemmas(form))
        if found is None:
            continue
        split, parts = found
        for order, lemma in enumerate(parts):
            index = next((i + 1 for i, p in enumerate(split) if lemma in p), 0)
            records.append((form, (index, order, lemma_trie[lemma])))
    marisa_trie.RecordTrie("<BBI", records).save(str(splits_file))
    split_forms = len({form for form, _ in records})

    def sha(name: str) -> str:
        return hashlib.sha256((out / name).read_bytes()).hexdigest()[:16]

    manifest = {
        "sources": {
            "hunspell-sv": _debian_version("hunspell-sv"),
            "simplemma": version("simplemma"),
            "wordfreq": version("wordfreq"),
            "marisa-trie": version("marisa-trie"),
        },
        "counts": {
            "forms": len(lemmas_of),
            "lemmas": len(lemma_trie),
            "modifiers": len(begins),
            "accent_keys": len(accents),
            "irregular_links": len(links),
            "confirmed_lemmas": len(confirmed),
            "compound_forms": split_forms,
        },
        "files": {name: sha(name) for name in [*files, "lemma_zipf.bin", "splits.marisa"]},
        # the curated lists the splits were computed with: change them, rebuild the data
        "exceptions": exceptions_digest(),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _debian_version(package: str) -> str:
    status = Path("/var/lib/dpkg/status").read_text(encoding="utf-8")
    block = re.search(rf"^Package: {re.escape(package)}\n(?:.+\n)*?Version: (.+)$", status, re.M)
    return block.group(1) if block else "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DATA)
    args = parser.parse_args()
    if not HUNSPELL.with_suffix(".dic").exists():
        sys.exit("hunspell-sv is missing: apt-get install -y hunspell-sv")
    manifest = build(args.out)
    print(json.dumps(manifest, indent=2))


if __name__ == "__main__":
    main()
