"""Build marketplace/language/data/thesaurus.tsv from Viggo Kann's Swedish thesaurus.

    apt-get install -y mythes-sv                       # Debian 12: 1:7.5.0-1
    .venv/bin/python bench/language/build_thesaurus.py

Source: Debian's mythes-sv (th_sv_SE_v2.dat, Viggo Kann's "Synonymer" from Folkets synonymlexikon,
CC-BY-SA / GPL): about 16,000 entries and 38,000 pairs, listed both ways. Kept: pairs of two
single words that the word data knows, each replaced by its lemmas (the thesaurus lists base
forms, but the analysis is what matching compares), without pairs of a lemma with itself.
Matching counts such a pair well below a curated synonym (scoring.THESAURUS_SHARE): the
thesaurus is general Swedish, and many of its pairs mean something else in this sector.

Output: one line per lemma, "lemma<TAB>other other ...", sorted, with a first line naming the
source version ("# mythes-sv 1:7.5.0-1").
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

SOURCE = Path("/usr/share/mythes/th_sv_SE_v2.dat")
OUT = ROOT / "marketplace" / "language" / "data" / "thesaurus.tsv"


def read_pairs(path: Path) -> set[tuple[str, str]]:
    """The (entry, synonym) pairs of a MyThes .dat file, lower-cased."""
    lines = path.read_text(encoding="latin-1").split("\n")
    pairs: set[tuple[str, str]] = set()
    index = 1  # the first line names the encoding
    while index < len(lines):
        line = lines[index]
        if not line:
            index += 1
            continue
        entry, count = line.rsplit("|", 1)
        for meaning in lines[index + 1 : index + 1 + int(count)]:
            for synonym in meaning.split("|")[1:]:
                if synonym:
                    pairs.add((entry.lower(), synonym.lower()))
        index += 1 + int(count)
    return pairs


def build() -> dict[str, set[str]]:
    from marketplace.language.lexicon import lexicon

    lex = lexicon()
    related: dict[str, set[str]] = defaultdict(set)
    for entry, synonym in read_pairs(SOURCE):
        if not (re.fullmatch(r"[a-zåäöé]+", entry) and re.fullmatch(r"[a-zåäöé]+", synonym)):
            continue
        ours, theirs = lex.lemmas(entry), lex.lemmas(synonym)
        for one in ours:
            for other in theirs:
                if one != other:
                    related[one].add(other)
                    related[other].add(one)
    return related


def _debian_version(package: str) -> str:
    status = Path("/var/lib/dpkg/status").read_text(encoding="utf-8")
    block = re.search(rf"^Package: {re.escape(package)}\n(?:.+\n)*?Version: (.+)$", status, re.M)
    return block.group(1) if block else "unknown"


def main() -> None:
    if not SOURCE.exists():
        sys.exit("mythes-sv is missing: apt-get install -y mythes-sv")
    related = build()
    lines = [f"# mythes-sv {_debian_version('mythes-sv')}"]
    lines += [f"{lemma}\t{' '.join(sorted(others))}" for lemma, others in sorted(related.items())]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(related)} lemmas, {sum(map(len, related.values())) // 2} pairs")


if __name__ == "__main__":
    main()
