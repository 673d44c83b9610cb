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


def normalise(text: str) -> str:
    """Lower-case, keep å/ä/ö, strip every other diacritic: 'Språkcafé Ø' -> 'språkcafe ö'."""
    text = unicodedata.normalize("NFC", text.lower()).translate(_OTHER)
    if text.isascii():
        return text
    for letter, mark in _KEEP.items():
        text = text.replace(letter, mark)
    stripped = "".join(
        char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char)
    )
    for mark, letter in _RESTORE.items():
        stripped = stripped.replace(mark, letter)
    return stripped


def fold_swedish(word: str) -> str:
    """The word as typed on a keyboard without å, ä and ö: 'förening' -> 'forening'."""
    return word.translate(_FOLD)


def words(text: str) -> list[str]:
    """The normalised words of a text; punctuation, digits-only runs and symbols separate."""
    return [word[:MAX_WORD_LENGTH] for word in _WORD.findall(normalise(text))]
