"""Read a Hunspell dictionary (.aff + .dic) and expand every entry into its word forms.

Only what the Swedish dictionary (Debian's hunspell-sv) uses: single-character flags, suffix
rules (SFX) with continuation flags, NEEDAFFIX, FORBIDDENWORD, ONLYINCOMPOUND and the
compounding flags (COMPOUNDBEGIN/MIDDLE/END). It has no prefix rules and no two-level suffixes.
Build-time only: the app loads the compact data this produces (marketplace/language/data).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Suffix:
    flag: str
    strip: str
    add: str
    flags: str  # continuation flags of the affixed form
    condition: re.Pattern


@dataclass
class Affixes:
    suffixes: dict[str, list[Suffix]] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)

    def option(self, name: str) -> str:
        return self.options.get(name, "")


def read_aff(path: Path) -> Affixes:
    affixes = Affixes()
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        if parts[0] == "SFX" and len(parts) >= 5:
            flag, strip, add, condition = parts[1], parts[2], parts[3], parts[4]
            add, _, flags = add.partition("/")
            affixes.suffixes.setdefault(flag, []).append(
                Suffix(
                    flag=flag,
                    strip="" if strip == "0" else strip,
                    add="" if add == "0" else add,
                    flags=flags,
                    condition=re.compile("(?:" + condition + ")$"),
                )
            )
        elif parts[0] == "PFX":
            raise ValueError("prefix rules are not supported")
        elif len(parts) == 2 and parts[0].isupper():
            affixes.options[parts[0]] = parts[1]
    return affixes


@dataclass(frozen=True)
class Form:
    word: str
    flags: str  # the entry's flags plus the suffix's continuation flags


@dataclass(frozen=True)
class Entry:
    word: str
    flags: str

    def forms(self, affixes: Affixes) -> list[Form]:
        """The entry's forms: itself (unless it needs an affix) and every suffix that applies."""
        found: list[Form] = []
        if affixes.option("NEEDAFFIX") not in self.flags or not affixes.option("NEEDAFFIX"):
            found.append(Form(self.word, self.flags))
        for flag in self.flags:
            for suffix in affixes.suffixes.get(flag, ()):
                if not suffix.condition.search(self.word):
                    continue
                if suffix.strip and not self.word.endswith(suffix.strip):
                    continue
                stem = self.word[: len(self.word) - len(suffix.strip)]
                found.append(Form(stem + suffix.add, suffix.flags))
        return found


def read_dic(path: Path, affixes: Affixes) -> list[Entry]:
    forbidden = affixes.option("FORBIDDENWORD")
    entries = []
    lines = path.read_text(encoding="utf-8").splitlines()
    for line in lines[1:]:  # the first line is the count
        word, _, flags = line.strip().partition("/")
        if not word or (forbidden and forbidden in flags):
            continue
        entries.append(Entry(word, flags))
    return entries
