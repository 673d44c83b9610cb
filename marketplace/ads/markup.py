"""Plain text to safe HTML: escaped paragraphs, with http(s) addresses turned into links."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from markupsafe import Markup, escape

# Only addresses that start with http:// or https:// (or www.) become links; javascript:,
# data: and the like stay plain, escaped text.
_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"'`]+")
_TRAILING = ".,;:!?)]}»”’'\""
LINK = Markup('<a href="{href}" rel="nofollow ugc noopener">{text}</a>')


def _split_trailing(candidate: str) -> tuple[str, str]:
    """'https://x.se/a).' -> ('https://x.se/a', ').'), keeping a ')' that closes one in the URL."""
    end = len(candidate)
    while end and candidate[end - 1] in _TRAILING:
        if candidate[end - 1] == ")" and candidate[:end].count("(") >= candidate[:end].count(")"):
            break
        end -= 1
    return candidate[:end], candidate[end:]


def _safe_href(url: str) -> str | None:
    href = url if "://" in url else f"https://{url}"
    try:
        parts = urlsplit(href)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return href


def _link_line(line: str) -> Markup:
    pieces: list[Markup | str] = []
    position = 0
    for match in _URL.finditer(line):
        url, _trailing = _split_trailing(match.group(0))  # the trailing part stays text
        href = _safe_href(url)
        if href is None or not url:
            continue
        pieces.append(escape(line[position : match.start()]))
        pieces.append(LINK.format(href=href, text=url))
        position = match.start() + len(url)
    pieces.append(escape(line[position:]))
    return Markup("").join(pieces)


def linkify(text: str | None) -> Markup:
    """Escaped <p> paragraphs (blank lines split them, single newlines become <br>) with links."""
    if not text:
        return Markup("")
    blocks = [block.strip() for block in text.replace("\r\n", "\n").split("\n\n") if block.strip()]
    return Markup("\n").join(
        Markup("<p>{}</p>").format(
            Markup("<br>\n").join(_link_line(line) for line in block.split("\n"))
        )
        for block in blocks
    )
