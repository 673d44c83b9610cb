"""Password hashing with Argon2id (argon2-cffi), re-hashed on log-in when parameters change,
and the rules a new password must pass."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

# argon2-cffi's defaults (RFC 9106's low-memory choice: 64 MiB, 3 passes, 4 lanes), Argon2id.
PRODUCTION_HASHER = PasswordHasher()
_hasher = PRODUCTION_HASHER


def use_hasher(hasher: PasswordHasher) -> None:
    """Swap the hashing parameters (tests use the cheapest; production keeps the defaults)."""
    global _hasher
    _hasher = hasher
    _dummy_hash.cache_clear()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@cache
def _dummy_hash() -> str:
    return _hasher.hash("no account has this password")


def spend_verification_time(password: str) -> None:
    """Do the work of one verification for nothing: unknown addresses answer no faster."""
    verify_password(_dummy_hash(), password)


# --- Password rules -------------------------------------------------------------------------
# Length first (NIST SP 800-63B: at least 8, we ask 10; long phrases welcome), then a list of
# leaked passwords and zxcvbn's estimate. zxcvbn's own feedback is English only, so the messages
# below are ours, and say what works instead.

MIN_LENGTH = 10
MAX_LENGTH = 256
ZXCVBN_MAX_LENGTH = 72  # zxcvbn refuses longer input; the first 72 characters decide the score
MIN_SCORE = 2  # zxcvbn 0-4: 2 means "somewhat guessable", enough with rate-limited log-ins
SITE_WORDS = ("samverkanstorget", "samverkan", "torget")


@cache
def common_passwords() -> frozenset[str]:
    """The 30 000 most common passwords from the frequency list shipped with zxcvbn."""
    return frozenset(FREQUENCY_LISTS["passwords"])


def _personal_words(user_inputs: Iterable[str]) -> list[str]:
    """Name and e-mail, and their parts, as zxcvbn user inputs (lower-case, three letters or more)."""
    words: list[str] = []
    for value in user_inputs:
        value = (value or "").strip().lower()
        if not value:
            continue
        words.append(value)
        local = value.split("@", 1)[0]
        words.append(local)
        words.extend(part for part in re.split(r"[\s._+@-]+", local) if part)
        if "@" not in value:
            words.extend(value.split())
            words.append("".join(value.split()))  # "Anna Lind" -> "annalind"
    return [word for word in dict.fromkeys(words) if len(word) >= 3]


def password_problem(password: str, user_inputs: Iterable[str] = ()) -> str | None:
    """Why this password is refused, as a message for the person choosing it; None when it is fine."""
    if len(password) < MIN_LENGTH:
        return _(
            "Lösenordet måste ha minst %(min)s tecken. En fras med flera ord, till exempel tre ord "
            "du kommer ihåg, är både lång och lätt att minnas.",
            min=MIN_LENGTH,
        )
    if len(password) > MAX_LENGTH:
        return _("Lösenordet får ha högst %(max)s tecken.", max=MAX_LENGTH)
    if password.lower() in common_passwords():
        return _(
            "Lösenordet är för vanligt och lätt att gissa. Välj en längre fras med flera ord, "
            "till exempel tre ord du kommer ihåg."
        )
    personal = _personal_words(user_inputs)
    result = zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=[*personal, *SITE_WORDS])
    if result["score"] >= MIN_SCORE:
        return None
    lowered = password.lower()
    if any(word in lowered for word in personal):
        return _(
            "Lösenordet liknar ditt namn eller din e-postadress och är lätt att gissa. Välj en "
            "fras med flera ord som inte handlar om dig, till exempel tre ord du kommer ihåg."
        )
    return _(
        "Lösenordet är för lätt att gissa, till exempel för att det är ett vanligt ord, ett "
        "namn eller ett tangentbordsmönster. Välj en längre fras med flera ord, till exempel "
        "tre ord du kommer ihåg."
    )
