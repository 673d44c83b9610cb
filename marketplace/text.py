"""Plain text as the site stores it (clean_text, one_line) and URL slugs made from it (slugify).

Every piece of text people type (ads, organisations, messages, imported files) goes through
clean_text before it is stored. Searching and matching turn stored text into terms elsewhere
(marketplace.search.text).

Invisible format characters (Unicode category Cf: bidi overrides and isolates, zero-width
spaces, word joiners, the byte-order mark, soft hyphens, tag characters) are dropped from
everything typed, at one place: every form field and query parameter of every request
(marketplace.security, with strip_format_characters below; passwords excepted, which are never
shown), and clean_text again for text that arrives another way (imports, the CLI). They let
"Region Kalmar län" with a U+200B, or a name turned around by U+202E, look like another
organisation's name. Swedish text needs none of them: the soft hyphen (U+00AD) goes too,
since the site hyphenates nothing by hand and a hidden hyphen makes two equal-looking names
differ. Kept: the zero-width joiner and non-joiner (U+200D, U+200C) after a character outside
the Latin script, where they are spelling (Persian, Indic scripts) or join emoji sequences
(👩‍👧), which names of associations may well contain.
"""

from __future__ import annotations

import re
import unicodedata

from marketplace.search.text import fold

# Control characters other than tab and newline: invisible, and not allowed in XML (the feed).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_JOINERS = "\u200c\u200d"


# Every Cf character of Unicode 15 but the joiners (tests/test_reliability.py checks the list
# against unicodedata, so a Python with a newer Unicode database tells us what to add).
_FORMAT = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b\u200e-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f]"
)
# A joiner after a Latin character (or at the start, or after a space): no script needs it.
_LATIN_JOINER = re.compile(r"(?:(?<=[\x00-\u024f])|^)[\u200c\u200d]+")


def strip_format_characters(text: str) -> str:
    """`text` without invisible format characters (see the module's docstring)."""
    if text.isascii():
        return text  # the common case, at once
    return _LATIN_JOINER.sub("", _FORMAT.sub("", text))


def clean_text(text: str | None) -> str:
    """Plain text as stored: Unix newlines, no control characters, no surrounding blank space."""
    text = unicodedata.normalize("NFC", (text or "").replace("\r\n", "\n").replace("\r", "\n"))
    return strip_format_characters(_CONTROL.sub("", text)).strip()


def one_line(text: str | None) -> str:
    """Cleaned text on one line, runs of blank space as one space (titles, names)."""
    return " ".join(clean_text(text).split())


def slugify(text: str, *, fallback: str, max_length: int = 80) -> str:
    """Short ASCII words for URLs: 'Språkcafé i Kalmar!' -> 'sprakcafe-i-kalmar' (`fallback`
    when nothing is left)."""
    slug = _NOT_SLUG.sub("-", fold(text)).strip("-")[:max_length].rstrip("-")
    return slug or fallback
