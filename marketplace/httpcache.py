"""HTTP caching of public pages: ETag, `Cache-Control: public` and 304s for anonymous visitors,
a shared cache of whole answers for repeats, and `private, no-store` for everything personal.

A request is *anonymous* when it is a GET or HEAD that carries no session cookie, no remember
cookie and no Authorization header: nothing it could see is personal (no user, no flashed
message, no form with errors, no CSRF token). Its answer is *public* when, besides, the view
answered 200, set no cookie, left the session untouched and did not choose its own
Cache-Control (the privacy export's `no-store`, the API's and the embed's `public` are kept as
they are; a `public` one gets an ETag too).

The ETag is worked out before the view runs, from what the page is made of:

    the data generation (marketplace/caching.py; any committed write to a table a public page
    shows moves it on), today's Swedish date (open ads end at midnight), the language, the
    full URL, the htmx headers that pick a whole page or a fragment, and the build (templates,
    translations, static files and code: a deploy changes it)

so a repeat with `If-None-Match` is answered 304 without running the view, and a repeat without
it is answered from the shared cache (Flask-Caching, under the same key) without rendering.
The key also carries the current HTTP_CACHE_STORE_SECONDS period (5 s), so no answer is kept
or confirmed longer than that whatever the generation says: the search index is brought up to
date after the commit (by the worker), and without Redis (SimpleCache) another process's write
does not move this process's generation. With Redis every process shares the generation and
the stored answers, and a committed write is seen at once.

Answers vary on Cookie (language cookie, session), HX-Request and HX-Boosted (htmx.py) and
Accept-Encoding (Flask-Compress). Not on Accept-Language: the language is the visitor's choice
(a cookie, marketplace/i18n.py), never the browser's.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from pathlib import Path

from flask import Flask, Response, current_app, g, request, session

from marketplace import caching, htmx
from marketplace.clock import today
from marketplace.extensions import cache, db
from marketplace.i18n import select_locale

ROOT = Path(__file__).resolve().parent.parent

# Tables no public page shows: writing to them leaves every public page as it was.
PRIVATE_TABLES = {
    "conversation",
    "conversation_read",
    "message",
    "match_notice",
    "outbox_email",
    "outbox_job",
    "saved_search",
    "saved_search_challenge",
    "sent_alert",
    "invitation",
    "report",
    "search_change",  # the search index's change log, written with the changes it names
    "login_session",  # each log-in and log-out
    "submission",  # the double-submit guard's records
    "join_request",
    "verification_application",
    "crisis_alert_setting",
    "crisis_alert",
    "crisis_alert_ad",
    "partnership",
    "partnership_version",
    "partnership_approval",
    "outcome_request",
}
# Never cached: the health check must ask the database; the language switch sets a cookie; logos
# and share images carry their own ETag (their content's hash) and Cache-Control.
UNCACHED_ENDPOINTS = {
    "static",
    "pages.healthz",
    "pages.set_language",
    "images.logo",
    "images.ad_share_image",
    "images.organisation_share_image",
}
# A stored answer keeps every header but these (Date and the length are made again).
UNSTORED_HEADERS = {"set-cookie", "date", "content-length"}
PERSONAL = "private, no-store"

_build: dict[str, str] = {}


def build_version() -> str:
    """A digest of what the pages are made of besides the data; computed once per process."""
    if "digest" not in _build:
        digest = hashlib.blake2b(digest_size=8)
        for folder, pattern in (
            ("templates", "**/*"),
            ("translations", "**/*.mo"),
            ("static", "**/*"),
            ("marketplace", "**/*.py"),
        ):
            for path in sorted((ROOT / folder).glob(pattern)):
                if path.is_file():
                    digest.update(str(path.relative_to(ROOT)).encode())
                    digest.update(path.read_bytes())
        _build["digest"] = digest.hexdigest()
    return _build["digest"]


def is_anonymous_request() -> bool:
    """A GET/HEAD without session, remember cookie or credentials: nothing personal to show."""
    if request.method not in ("GET", "HEAD"):
        return False
    config = current_app.config
    cookies = request.cookies
    return (
        config["SESSION_COOKIE_NAME"] not in cookies
        and config["REMEMBER_COOKIE_NAME"] not in cookies
        and "Authorization" not in request.headers
    )


def _cacheable_request() -> bool:
    return (
        current_app.config["HTTP_CACHE_ENABLED"]
        and not current_app.debug
        and request.endpoint is not None
        and request.endpoint not in UNCACHED_ENDPOINTS
        and is_anonymous_request()
    )


def _period() -> str:
    """The current HTTP_CACHE_STORE_SECONDS period (see the module's docstring)."""
    seconds = max(1, int(current_app.config["HTTP_CACHE_STORE_SECONDS"]))
    return str(int(time.time()) // seconds)


class NoGeneration(Exception):
    """The shared cache (Redis) does not answer, so no process can tell whether data changed."""


def request_etag() -> str:
    """The ETag of this request's public answer (a weak one: every encoding has the same).

    :raise NoGeneration: Redis is down; an ETag from this process's own count would let another
        process's write go unseen, so the page goes uncached instead.
    """
    generation = caching.generation()
    if generation is None:
        raise NoGeneration
    headers = request.headers
    parts = [
        build_version(),
        str(generation),
        _period(),
        today().isoformat(),
        select_locale(),
        request.scheme,
        request.host,
        request.script_root,
        request.path,
        request.query_string.decode("latin-1"),
        *(headers.get(name, "") for name in htmx.REQUEST_HEADERS),
    ]
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


class LocalStore:
    """A least-recently-used store in this process, for drawn HTML and stored answers when no
    shared cache is configured. Flask-Caching's SimpleCache would do, but once full (CACHE_
    THRESHOLD entries) each of its `set`s sorts every entry: thousands of cards made a search
    page three times slower (make bench)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, *keys: str) -> list:
        now = time.monotonic()
        found = []
        with self._lock:
            for key in keys:
                item = self._items.get(key)
                if item is None or item[0] < now:
                    found.append(None)
                    continue
                self._items.move_to_end(key)
                found.append(item[1])
        return found

    def set_many(self, values: dict[str, object], timeout: int) -> None:
        expires = time.monotonic() + timeout
        with self._lock:
            for key, value in values.items():
                self._items[key] = (expires, value)
                self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def _local_store() -> LocalStore:
    # In app.extensions, made on first use: the tests drop it with the app's other caches.
    return current_app.extensions.setdefault(
        "httpcache_store", LocalStore(current_app.config["HTTP_CACHE_LOCAL_ENTRIES"])
    )


def cache_get_many(*keys: str) -> list:
    """Cached values (None where there is none): from the shared cache, else this process's."""
    if not drawing_cache_on():
        return [None] * len(keys)
    if not caching._shared():
        return _local_store().get_many(*keys)
    try:
        return list(cache.get_many(*keys))
    except Exception:  # Redis down: misses, drawn afresh
        current_app.logger.warning("cache not answering", exc_info=True)
        return [None] * len(keys)


def cache_set_many(values: dict[str, object], timeout: int) -> None:
    """Keep values if the cache is there; a full or absent cache only costs speed."""
    if not drawing_cache_on() or not values:
        return
    if not caching._shared():
        _local_store().set_many(values, timeout)
        return
    try:
        cache.set_many(values, timeout)
    except Exception:
        current_app.logger.warning("cache not answering", exc_info=True)


def cache_get(key: str):
    return cache_get_many(key)[0]


def cache_set(key: str, value, timeout: int) -> None:
    cache_set_many({key: value}, timeout)


def drawing_cache_on() -> bool:
    """Drawn HTML is kept unless caching is off, or in debug mode, where templates change
    while the process runs (and the build's digest is computed once per process)."""
    return current_app.config["CACHE_ENABLED"] and not current_app.debug


def _stored_key(etag: str) -> str:
    """Stored answers are compressed (Flask-Compress): one per Accept-Encoding a browser sends."""
    encodings = request.headers.get("Accept-Encoding", "")
    return f"page:{etag}:{hashlib.blake2b(encodings.encode(), digest_size=8).hexdigest()}"


def _public_headers(response: Response, etag: str) -> Response:
    response.set_etag(etag, weak=True)
    if "Cache-Control" not in response.headers:
        response.cache_control.public = True
        response.cache_control.max_age = current_app.config["HTTP_CACHE_MAX_AGE"]
    response.vary.add("Cookie")
    return response


def answer_from_cache() -> Response | None:
    """before_request: 304 for a matching If-None-Match, or the stored answer for a repeat.

    When the cache does not answer (Redis down), the page is drawn and sent without an ETag:
    slower, never broken."""
    g.http_cache_etag = None
    if not _cacheable_request():
        return None
    try:
        etag = request_etag()
    except NoGeneration:  # caching.py has logged that Redis is down
        return None
    g.http_cache_etag = etag
    if request.if_none_match.contains_weak(etag):
        g.http_cache_hit = True
        return _public_headers(Response(status=304), etag)
    stored = cache_get(_stored_key(etag))
    if stored is None:
        return None
    status, headers, body = stored
    g.http_cache_hit = True
    # As it left the app, compressed: Flask-Compress leaves an answer with Content-Encoding be.
    return Response(body, status=status, headers=headers)


def _is_public_answer(response: Response) -> bool:
    cache_control = response.headers.get("Cache-Control")
    return (
        response.status_code == 200
        and not response.direct_passthrough  # files and streams
        and not response.is_streamed
        and "Set-Cookie" not in response.headers
        and not session.modified
        and (cache_control is None or "public" in cache_control)
    )


def finish(response: Response) -> Response:
    """after_request: public answers get their ETag (and are stored, by `store`); personal ones
    `private, no-store`; other anonymous ones (errors, redirects) `no-cache`."""
    etag = g.get("http_cache_etag")
    if g.get("http_cache_hit"):
        return response
    if etag and _is_public_answer(response):
        _public_headers(response, etag)
        g.http_cache_store = True
        return response
    if "Cache-Control" not in response.headers and (
        not is_anonymous_request() or "Set-Cookie" in response.headers or session.modified
    ):
        response.headers["Cache-Control"] = PERSONAL  # someone's own page, or a form's token
    elif "Cache-Control" not in response.headers and request.method in ("GET", "HEAD"):
        response.headers["Cache-Control"] = "no-cache"  # errors, redirects: ask every time
    return response


def store(response: Response) -> Response:
    """after_request, the very last (after compression): keep a public answer as it is sent."""
    if not g.pop("http_cache_store", False) or not current_app.config["CACHE_ENABLED"]:
        return response
    headers = [
        (name, value)
        for name, value in response.headers.items()
        if name.lower() not in UNSTORED_HEADERS
    ]
    timeout = current_app.config["HTTP_CACHE_STORE_SECONDS"]
    cache_set(
        _stored_key(g.http_cache_etag),
        (response.status_code, headers, response.get_data()),
        timeout,
    )
    return response


def init_app_before_compression(app: Flask) -> None:
    """Before Flask-Compress: hooks registered earlier run later, so `store` sees the answer
    as it is sent."""
    app.after_request(store)


def init_app(app: Flask) -> None:
    """After every other extension: the 304 and stored answers come after their checks."""
    app.config.setdefault("HTTP_CACHE_ENABLED", True)
    app.config.setdefault("HTTP_CACHE_MAX_AGE", 60)  # seconds a browser may keep a public page
    app.config.setdefault("HTTP_CACHE_STORE_SECONDS", 5)  # answers kept and confirmed: _period
    app.config.setdefault("HTTP_CACHE_LOCAL_ENTRIES", 4000)  # without Redis: LocalStore, ~20 MB
    caching.watch(set(db.metadata.tables) - PRIVATE_TABLES)
    app.before_request(answer_from_cache)
    app.after_request(finish)
