"""English is complete: every Swedish text in the code and templates has an English translation."""

from __future__ import annotations

import os
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def _source_messages() -> set[str]:
    with open(ROOT / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords=KEYWORDS,
        # Babel skips folders starting with "_" by default; templates/_macros holds real text.
        directory_filter=lambda path: not os.path.basename(path).startswith("."),
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _english_catalogue():
    with open(ROOT / "translations/en/LC_MESSAGES/messages.po", encoding="utf-8") as handle:
        return read_po(handle)


def test_every_swedish_text_has_an_english_translation():
    catalogue = _english_catalogue()
    missing = sorted(
        text
        for text in _source_messages()
        if not (entry := catalogue.get(text))
        or not entry.string
        or entry.fuzzy
        or (isinstance(entry.string, tuple) and not all(entry.string))
    )
    assert missing == [], f"{len(missing)} texts lack English (run `make messages`): {missing[:20]}"


def test_english_translations_keep_every_placeholder():
    import re

    placeholder = re.compile(r"%\((\w+)\)s")
    broken = [
        entry.id
        for entry in _english_catalogue()
        if entry.id
        and isinstance(entry.id, str)
        and entry.string
        and set(placeholder.findall(entry.id)) != set(placeholder.findall(entry.string))
    ]
    assert broken == []


def test_the_english_site_speaks_english(client):
    client.get("/sprak/en")
    html = client.get("/").get_data(as_text=True)
    assert "Skip to content" in html
    assert "Hoppa till innehållet" not in html
