"""Security headers on every response, and same-site checks for redirect targets."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Request, Response, abort, request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import IntegerConverter
from werkzeug.utils import cached_property

from marketplace.images import uploads
from marketplace.text import strip_format_characters

# No inline script or style anywhere: htmx is configured (base.html) not to inject styles or eval.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)


def allow_framing(response: Response, ancestors: str) -> Response:
    """Let the sites in `ancestors` show this one response in a frame (the embed page).

    CSP frame-ancestors names who may frame it; X-Frame-Options cannot express a list, so it is
    left out (set_security_headers adds DENY only while frame-ancestors is 'none').
    """
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        "frame-ancestors 'none'", f"frame-ancestors {ancestors}"
    )
    return response


def _allows_framing(policy: str) -> bool:
    """True for a policy from allow_framing(): frame-ancestors set to something other than 'none'."""
    return "frame-ancestors" in policy and "frame-ancestors 'none'" not in policy


DATABASE_INT_MAX = 2**31 - 1  # an INTEGER column (ids, counts) on SQLite and PostgreSQL alike


def database_int(value) -> int:
    """int(value), but ValueError for numbers an INTEGER column cannot hold."""
    number = int(value)
    if not -DATABASE_INT_MAX - 1 <= number <= DATABASE_INT_MAX:
        raise ValueError(f"{number} is out of range")
    return number


class DatabaseIntegerParameters(ImmutableMultiDict):
    """Query and form parameters whose `get(..., type=int)` reads only what a column can hold.

    `request.form.get("organisation_id", type=int)` with 99999999999999999999 would reach the
    database and fail there (a 500 on both databases); here it reads as missing, like "abc".
    Every form and query integer in the app is read this way, the URLs' through the converter.
    """

    def get(self, key, default=None, type=None):
        return super().get(key, default, database_int if type is int else type)

    def getlist(self, key, type=None):
        return super().getlist(key, database_int if type is int else type)


class DatabaseIntegerConverter(IntegerConverter):
    """`<int:…>` in URLs, but only values an INTEGER column can hold.

    /annonser/9223372036854775808 would otherwise reach the database and fail there (SQLite
    cannot bind it, PostgreSQL says out of range): a 500 for a typed URL. Out of range, the rule
    does not match, so the answer is the ordinary 404.
    """

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", DATABASE_INT_MAX)
        super().__init__(url_map, *args, **kwargs)


def _clean_value(key: str, value: str) -> str:
    value = value.replace("\x00", "")
    if "password" in key:  # never shown, and must match what was typed when it was chosen
        return value
    return strip_format_characters(value)


def _without_nul(values: MultiDict) -> MultiDict:
    pairs = list(values.items(multi=True))
    if all(key.isascii() and value.isascii() and "\x00" not in key + value for key, value in pairs):
        return values
    return type(values)(
        (strip_format_characters(key.replace("\x00", "")), _clean_value(key, value))
        for key, value in pairs
    )


class NulFreeRequest(Request):
    """Form fields and query parameters without NUL characters or invisible format characters
    (marketplace.text.strip_format_characters: bidi overrides, zero-width spaces, ...; not in
    passwords), and integers in range.

    No browser sends NUL from a text field, and PostgreSQL cannot store or even compare it
    (psycopg raises DataError: a 500 on log-in, registration, saved searches, outcomes …, found
    by tests/security). Dropping it here covers every form at once, as the ads and organisations
    forms already did for their own fields.
    """

    parameter_storage_class = DatabaseIntegerParameters

    @cached_property
    def args(self) -> MultiDict:  # type: ignore[override]
        return _without_nul(super().args)

    def _load_form_data(self) -> None:
        super()._load_form_data()
        self.__dict__["form"] = _without_nul(self.__dict__["form"])

    @property
    def max_content_length(self) -> int | None:
        """MAX_CONTENT_LENGTH, but more for the logo upload (marketplace/images/uploads.py)."""
        if self._max_content_length is None:
            limit = uploads.body_limit(self.endpoint)
            if limit is not None:
                return limit
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def is_safe_redirect(target: str | None) -> bool:
    """Only same-site paths: '/annonser/3' yes; 'https://x', '//x', '/\\x', 'javascript:' no."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ord(char) < 32 for char in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(default: str) -> str:
    """The request's `next` parameter when it is a same-site path, else `default`."""
    target = request.values.get("next", "")
    return target if is_safe_redirect(target) else default


def init_app(app: Flask) -> None:
    app.request_class = NulFreeRequest

    @app.before_request
    def refuse_nul_in_path() -> None:
        if "\x00" in request.path:  # e.g. a county code or token typed as %00: no such page
            abort(404)

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if not _allows_framing(headers["Content-Security-Policy"]):
            headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure or app.config["BASE_URL"].startswith("https://"):
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        return response
