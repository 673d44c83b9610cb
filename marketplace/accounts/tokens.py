"""Signed, expiring links: e-mail confirmation, password reset and e-mail change.

Each purpose has its own salt, so a token made for one can never be used for another. The
payload is signed, not encrypted: it holds ids and fingerprints, never secrets.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

CONFIRM = "accounts.confirm-email"
RESET = "accounts.reset-password"
CHANGE_EMAIL = "accounts.change-email"


class LinkExpired(Exception):
    """The link was genuine but is older than its purpose allows."""


class LinkInvalid(Exception):
    """The link was altered, cut short, or made for something else."""


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def make(salt: str, payload: dict) -> str:
    return _serializer(salt).dumps(payload)


def read(salt: str, token: str, max_age: int) -> dict:
    """The payload of a genuine, fresh token.

    :raise LinkExpired: older than `max_age` seconds.
    :raise LinkInvalid: tampered with, truncated, or of another purpose.
    """
    try:
        payload = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise LinkExpired from error
    except BadData as error:
        raise LinkInvalid from error
    if not isinstance(payload, dict):
        raise LinkInvalid
    return payload


def fingerprint(*values: str) -> str:
    """A short keyed digest of account state; a token carrying it dies when that state changes."""
    key = current_app.config["SECRET_KEY"].encode()
    message = "\0".join(values).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:24]
