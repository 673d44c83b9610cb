"""Configuration: class defaults, overridden by environment variables (see .env.example)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"

DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105  refused outside debug/testing (create_app)


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_url() -> str:
    """DATABASE_URL, normalised to the psycopg 3 driver; an SQLite file under instance/ by default."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{INSTANCE / 'samverkanstorget.db'}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    SQLALCHEMY_DATABASE_URI = database_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    INSTANCE_DIR = str(INSTANCE)

    # Sessions and cookies: HttpOnly and SameSite always, Secure when served over HTTPS.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", BASE_URL.startswith("https://"))
    REMEMBER_COOKIE_NAME = "remember_token"  # Flask-Login's name, which the log-in checks for
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30
    PREFERRED_URL_SCHEME = "https" if BASE_URL.startswith("https://") else "http"

    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead: a long form never loses its token
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024  # no uploads; bulk import uses the CLI

    BABEL_DEFAULT_LOCALE = "sv"
    BABEL_DEFAULT_TIMEZONE = "Europe/Stockholm"
    LANGUAGES = ("sv", "en")

    # Signed links (e-mail confirmation, password reset, invitations): lifetimes in seconds.
    CONFIRM_TOKEN_MAX_AGE = 60 * 60 * 48
    RESET_TOKEN_MAX_AGE = 60 * 60
    INVITE_TOKEN_MAX_AGE = 60 * 60 * 24 * 14

    # Rate limits (Flask-Limiter): memory by default, Redis when RATELIMIT_STORAGE_URI says so.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Redis down: count in this process instead (logged: "falling back to in-memory storage"),
    # and go back to Redis when it answers again; a hung Redis is given up after a second.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "10 per minute;50 per hour")
    RATELIMIT_LOGIN_ACCOUNT = os.environ.get("RATELIMIT_LOGIN_ACCOUNT", "10 per 15 minutes")
    RATELIMIT_RESET = os.environ.get("RATELIMIT_RESET", "5 per 15 minutes")
    RATELIMIT_CONTACT = os.environ.get("RATELIMIT_CONTACT", "10 per hour")
    # Per person: messages through "Kontakta organisationen" (new direct conversations, mostly).
    RATELIMIT_DIRECT_CONTACT = os.environ.get("RATELIMIT_DIRECT_CONTACT", "5 per hour;20 per day")
    RATELIMIT_AD_POSTING = os.environ.get("RATELIMIT_AD_POSTING", "20 per day")  # per person
    RATELIMIT_REPORT = os.environ.get("RATELIMIT_REPORT", "10 per hour;30 per day")  # per person
    RATELIMIT_JOIN = os.environ.get("RATELIMIT_JOIN", "5 per hour;20 per day")  # per person
    RATELIMIT_DOMAIN_PROOF = os.environ.get("RATELIMIT_DOMAIN_PROOF", "5 per hour")  # per person
    # Samverkansöverenskommelser, per person: saves, starts, approvals; and PDFs made.
    RATELIMIT_PARTNERSHIP = os.environ.get("RATELIMIT_PARTNERSHIP", "120 per hour;500 per day")
    RATELIMIT_PARTNERSHIP_EXPORT = os.environ.get("RATELIMIT_PARTNERSHIP_EXPORT", "30 per hour")

    # E-mail: "file" writes .eml files under instance/mail (development), "smtp" sends.
    MAIL_BACKEND = os.environ.get(
        "MAIL_BACKEND", "smtp" if os.environ.get("MAIL_SERVER") else "file"
    )
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL")
    MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", "10"))
    # SMTP connections a worker sends over at once: most of a message's time is spent waiting
    # for the server's replies (four round trips), so a few connections deliver several times more.
    MAIL_CONNECTIONS = int(os.environ.get("MAIL_CONNECTIONS", "2"))
    # Who runs the service (/om, the privacy page, the accessibility statement). Without
    # SITE_OPERATOR_NAME in the environment the pages show these demo values, marked as demo.
    SITE_OPERATOR_DEMO = not os.environ.get("SITE_OPERATOR_NAME")
    SITE_OPERATOR_NAME = os.environ.get("SITE_OPERATOR_NAME", "Exempelföreningen Samverkanstorget")
    SITE_OPERATOR_ORG_NUMBER = os.environ.get("SITE_OPERATOR_ORG_NUMBER", "802000-0000")
    SITE_OPERATOR_ADDRESS = os.environ.get("SITE_OPERATOR_ADDRESS", "Exempelgatan 1, 392 30 Kalmar")
    SITE_OPERATOR_EMAIL = os.environ.get("SITE_OPERATOR_EMAIL", "kontakt@samverkanstorget.example")
    SITE_OPERATOR_PHONE = os.environ.get("SITE_OPERATOR_PHONE", "")
    SITE_OPERATOR_PRIVACY_EMAIL = os.environ.get(
        "SITE_OPERATOR_PRIVACY_EMAIL", "dataskydd@samverkanstorget.example"
    )
    SITE_OPERATOR_ACCESSIBILITY_EMAIL = os.environ.get(
        "SITE_OPERATOR_ACCESSIBILITY_EMAIL", "tillganglighet@samverkanstorget.example"
    )
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Samverkanstorget <noreply@samverkanstorget.se>"
    )
    MAIL_FILE_DIR = str(INSTANCE / "mail")

    PER_PAGE = 20

    # Responses are compressed by the app (Flask-Compress), with whatever the browser accepts;
    # static files are compressed once (marketplace/assets.py). Streamed responses are left be.
    COMPRESS_ALGORITHM = ["zstd", "br", "gzip"]
    COMPRESS_BR_LEVEL = 4
    COMPRESS_LEVEL = 6
    COMPRESS_STREAMS = False
    # Cache for counts and statistics (marketplace/caching.py): in each process by default,
    # shared by every process (and invalidated for all of them at once) with Redis.
    CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL", "")
    CACHE_DEFAULT_TIMEOUT = int(os.environ.get("CACHE_DEFAULT_TIMEOUT", "60"))
    CACHE_ENABLED = True  # off: every cached call computes afresh (make bench measures that)
    # Kept in each process for at most this many seconds: the open ads' search snapshot when
    # another process may have changed the ads unseen (search/facets.py), the word rarities of
    # the match score (matching/terms.py: rarity changes slowly, a rebuild takes a second at
    # 100,000 ads) and the statistics (insights).
    FACET_SNAPSHOT_MAX_AGE = 300
    # Ad search (marketplace/search/engine.py): "tantivy" (an index on disk, per machine, kept
    # current from the change log by the worker) or "database" (SQL full text, no index files).
    SEARCH_ENGINE = os.environ.get("SEARCH_ENGINE", "tantivy")
    SEARCH_INDEX_DIR = os.environ.get("SEARCH_INDEX_DIR", str(INSTANCE / "search-index"))
    # Each search first applies the change log itself (one process, no worker: tests).
    SEARCH_INDEX_SYNC = _env_bool("SEARCH_INDEX_SYNC")
    SEARCH_CHANGE_KEEP_DAYS = 7  # change log rows kept; a machine away longer rebuilds
    MATCHING_DF_MAX_AGE = 3600
    INSIGHTS_CACHE_SECONDS = 60
    # Who may show the embeddable ad list (/inbaddning) in a frame: a CSP frame-ancestors value.
    EMBED_FRAME_ANCESTORS = "*"
    # Number of reverse proxies in front (nginx: 1) whose X-Forwarded-* headers are trusted.
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))

    # Background tasks (Huey): run by `flask --app app worker`; immediate (in-process) in tests.
    HUEY_IMMEDIATE = _env_bool("HUEY_IMMEDIATE")


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"  # noqa: S105
    # In-memory SQLite by default; the same suite runs on PostgreSQL when DATABASE_URL is set.
    SQLALCHEMY_DATABASE_URI = database_url() if os.environ.get("DATABASE_URL") else "sqlite://"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_BACKEND = "memory"
    HUEY_IMMEDIATE = True
    MATCHING_DF_MAX_AGE = 0  # each test's ads, not an earlier test's
    # "": a temporary directory of this process's own (each pytest-xdist worker), emptied
    # before each test.
    SEARCH_INDEX_DIR = os.environ.get("SEARCH_INDEX_DIR", "")
    SEARCH_INDEX_SYNC = True
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    BASE_URL = "http://localhost"
    SERVER_NAME = None
