"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py app:app`."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: the app does no long-polling; a request is a few fast queries.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# Rate limits kept in each worker's memory (memory://, the default) are counted per process:
# with 5 workers, 43 wrong passwords per IP got through where 10 are documented. Several
# workers need the shared store; start with one worker, or set RATELIMIT_STORAGE_URI=redis://...
_limit_storage = os.environ.get("RATELIMIT_STORAGE_URI", "memory://").strip() or "memory://"
_limits_off = os.environ.get("FLASK_RATELIMIT_ENABLED", "").strip().lower() in {"false", "0"}
if workers > 1 and _limit_storage.startswith("memory://") and not _limits_off:
    raise SystemExit(
        f"Refusing to start {workers} workers with per-process rate limits "
        f"(RATELIMIT_STORAGE_URI={_limit_storage}): each worker would count log-in attempts on "
        "its own. Set RATELIMIT_STORAGE_URI=redis://host:6379/1 (see README, Production), or "
        "GUNICORN_WORKERS=1."
    )
worker_class = "gthread"
timeout = 30
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then (jitter: not all at once), but rarely: a new worker builds the open
# ads' snapshot for search and matching again on its first search (~1.3 s of CPU at 100,000 ads,
# marketplace/search/facets.py). At 2,000 requests, workers serving ~1,400 requests a second
# were replaced every few seconds and spent their time rebuilding it (make bench).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "100000"))
max_requests_jitter = max_requests // 10
# Load the app once in the master and fork the workers from it: a recycled worker is serving
# again at once instead of spending a second or two of CPU importing the app (measured with
# `make bench`), and the workers share the loaded code's memory. A code change needs a restart
# (not a HUP), which deploys do anyway. create_app() opens no database connection, so nothing
# is shared across the fork; post_fork below makes sure of it.
preload_app = True
# The reverse proxy terminates TLS and sets X-Forwarded-*; trust it only from loopback.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'


def post_fork(server, worker):
    """A forked worker must not reuse a database connection the master might have opened."""
    from marketplace.extensions import db

    app = server.app.wsgi()
    with app.app_context():
        db.engine.dispose(close=False)
