"""Plain text as the site stores it (clean_text, one_line) and URL slugs made from it (slugify).

Every piece of text people type (ads, organisations, messages, imported files) goes through
clean_text before it is stored. Searching and matching turn stored text into terms elsewhere
(marketplace.search.text).
"""

from __future__ import annotations

import re
import unicodedata

from marketplace.search.text import fold

# Control characters other than tab and newline: invisible, and not allowed in XML (the feed).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def clean_text(text: str | None) -> str:
    """Plain text as stored: Unix newlines, no control characters, no surrounding blank space."""
    text = unicodedata.normalize("NFC", (text or "").replace("\r\n", "\n").replace("\r", "\n"))
    return _CONTROL.sub("", text).strip()


def one_line(text: str | None) -> str:
    """Cleaned text on one line, runs of blank space as one space (titles, names)."""
    return " ".join(clean_text(text).split())


def slugify(text: str, *, fallback: str, max_length: int = 80) -> str:
    """Short ASCII words for URLs: 'Språkcafé i Kalmar!' -> 'sprakcafe-i-kalmar' (`fallback`
    when nothing is left)."""
    slug = _NOT_SLUG.sub("-", fold(text)).strip("-")[:max_length].rstrip("-")
    return slug or fallback
