"""Lower-case and normalise Swedish words: å, ä and ö are letters of their own, other marks go.

"Språkcafé" -> "språkcafé"? No: "språkcafe" (é is an e with a mark; å is a letter). The word
data (marketplace/language/data) is built through the same functions, so a word typed as
"cafe" or "café" is the same word, while "lan", "lån" and "län" are three.
"""

from __future__ import annotations

import re
import unicodedata

# Kept through normalisation: Swedish letters, written decomposed as a + ring/diaeresis.
_KEEP = {"å": "\x01", "ä": "\x02", "ö": "\x03"}
_RESTORE = {value: key for key, value in _KEEP.items()}
_OTHER = str.maketrans({"æ": "ä", "ø": "ö", "ß": "ss", "œ": "oe", "ð": "d", "þ": "th"})
_FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o"})
_WORD = re.compile(r"[^\W_]+")
MAX_WORD_LENGTH = 60  # longer "words" (pasted hashes, URLs) are cut


def _strip(text: str) -> str:
    for letter, mark in _KEEP.items():
        text = text.replace(letter, mark)
    stripped = "".join(
        char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char)
    )
    for mark, letter in _RESTORE.items():
        stripped = stripped.replace(mark, letter)
    return stripped


# The Latin letters with marks, stripped once: most texts then need one str.translate.
_LATIN = {}
for _code in range(0xC0, 0x250):
    _char = chr(_code)
    if _char.lower() != _char:
        continue
    _plain = _strip(_char.translate(_OTHER))
    if _plain != _char:
        _LATIN[_code] = _plain
_LATIN.update({ord(key): value for key, value in {"æ": "ä", "ø": "ö", "ß": "ss"}.items()})
_TABLE = str.maketrans(_LATIN)


_FOREIGN = re.compile(r"[^\x00-\x7fåäö–—’”“…•€]")  # anything but ASCII, å/ä/ö, punctuation
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def normalise(text: str) -> str:
    """Lower-case, keep å/ä/ö, strip every other diacritic: 'Språkcafé Ø' -> 'språkcafe ö'."""
    text = text.lower()
    if text.isascii() or not _FOREIGN.search(text):
        return text
    if not unicodedata.is_normalized("NFKC", text):  # decomposed marks, ligatures, full width
        text = unicodedata.normalize("NFKC", text)
    text = text.translate(_TABLE)
    if _COMBINING.search(text):
        text = _strip(text)
    return text


def fold_swedish(word: str) -> str:
    """The word as typed on a keyboard without å, ä and ö: 'förening' -> 'forening'."""
    return word.translate(_FOLD)


def words(text: str) -> list[str]:
    """The normalised words of a text; punctuation, digits-only runs and symbols separate."""
    found = _WORD.findall(normalise(text))
    if found and max(map(len, found)) > MAX_WORD_LENGTH:
        return [word[:MAX_WORD_LENGTH] for word in found]
    return found
