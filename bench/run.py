"""`make bench`: the whole performance picture at national scale, on SQLite and PostgreSQL.

    .venv/bin/python bench/run.py                         # 100,000 ads on SQLite and PostgreSQL
    .venv/bin/python bench/run.py --size 1m --sqlite-only # growth: 1,000,000 ads (or 300k)
    .venv/bin/python bench/run.py --sqlite-only --quick   # a small run to check the set-up

For each database, in one run on one machine:

1. data: 100,000 open ads (300,000 or 1,000,000 with --size) from one organisation per five ads
   (bench/search_bench.py's generator, Swedish text recombined from the demo), imported with the
   real import service, then the search index built (both timed); a tenth of the ads closed; one
   confirmed member per organisation; 10,000 saved searches (bench/alerts_bench.py).
   --build-only stops here; --reuse measures what an earlier run of the size built.
2. in-process latency: the ad search (search_ads on the mix below, and search_bench's older
   suites of 40), one ad's matches (matching.find_matches), publishing one ad
   (ads.services.publish_ad: it works out whom the matching notifications and saved-search
   alerts go to and records that with the ad; the worker's writing of those e-mails into the
   outbox is timed apart), and mail delivery (the outbox delivered, over MAIL_CONNECTIONS
   connections, to an aiosmtpd server on loopback in this process).
3. pages over HTTP: gunicorn as in production (deploy/gunicorn.conf.py, SECRET_KEY set,
   FLASK_DEBUG unset, a private redis-server as the shared cache when there is one) on a free
   loopback port, and wrk with 8 connections (issue 17), each run from the same server so that
   ratios to /healthz come from one run: the search page on the mix of 1,000 distinct searches
   (bench/search_mix.py: words common and rare from the generated ads, with and without
   filters; a Lua script takes the URLs in turn), its htmx fragment on another such mix, one
   search URL repeated anonymously (the stored answer, and 304 with If-None-Match), an ad page
   (a different ad per request), the start page and /healthz: requests/s, the ratio to /healthz,
   latency percentiles and the workers' CPU per request (/proc: CPU per page). Requests say
   Accept-Encoding: gzip, br, as browsers do. Then the workers' memory (what searching added to
   each) and a write: ads changed one at a time, applied by the index writer as the worker's
   follower does (this process), CPU of the writer plus every worker's.
4. page weight (bytes over the wire as served: HTML, CSS and JS, compressed as a browser would
   get them) and Lighthouse scores (npm `lighthouse`, headless Chromium) for the start, search
   and ad pages, and the import's and the index rebuild's progress bars on a pseudo-terminal
   (first database of a 100,000-ad run only: none of these depends on the database or size).

The table (targets beside measured figures, and the figures of the run before the search
engine) goes to bench/results/latest.md and .json (growth-300k / growth-1m for the other sizes,
and bench/results/growth.md draws them together); a --quick run writes bench/tmp/quick.md and
.json instead, so it never replaces a full run's committed figures. Timings depend on the
machine and on what else runs on it: the load average is recorded with the results.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import math
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
TMP = ROOT / "bench" / "tmp"
RESULTS = ROOT / "bench" / "results"
TMP.mkdir(parents=True, exist_ok=True)
# The task queue is configured when marketplace is imported: keep the benchmark's off instance/.
os.environ.setdefault("HUEY_SQLITE_PATH", str(TMP / "huey.db"))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import alerts_bench  # noqa: E402
import growth  # noqa: E402
import lighthouse_scores  # noqa: E402
import search_bench  # noqa: E402
import search_mix  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from flask import current_app  # noqa: E402

from marketplace import create_app  # noqa: E402
from marketplace.accounts.models import User  # noqa: E402
from marketplace.ads import services as ad_services  # noqa: E402
from marketplace.ads.models import (  # noqa: E402
    Ad,
    AdKind,
    AdStatus,
    open_ads_condition,
)
from marketplace.clock import today, utcnow  # noqa: E402
from marketplace.config import Config  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from marketplace.imports import services as imports  # noqa: E402
from marketplace.matching import services as matching  # noqa: E402
from marketplace.notifications import services as notifications  # noqa: E402
from marketplace.notifications.models import OutboxEmail, OutboxStatus  # noqa: E402
from marketplace.organisations.models import Membership, Organisation, Role, Sector  # noqa: E402
from marketplace.search import index as search_index  # noqa: E402
from marketplace.search.services import AdQuery, search_ads  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1/bench"
CATEGORIES = lighthouse_scores.CATEGORIES
SEARCH_FILTERS = ("kind", "challenge", "county", "seeking", "sector")


@dataclass
class Size:
    ads: int  # open ads, after CLOSED_SHARE of the generated ones are closed
    organisations: int
    saved_searches: int
    queries: int
    matches: int
    publishes: int
    mails: int
    duration: int  # seconds per wrk run
    warmup: int

    @property
    def generated(self) -> int:
        return math.ceil(self.ads / (1 - CLOSED_SHARE))


FULL = Size(100_000, 20_000, 10_000, 40, 30, 10, 600, 10, 5)
QUICK = Size(5_000, 1_000, 1_000, 40, 20, 10, 300, 3, 3)
# Growth (--size): the same measures with more open ads; organisations grow with them, the saved
# searches stay at 10,000 (what publishing costs depends on them, not on the ads).
SIZES = {
    "100k": FULL,
    "300k": Size(300_000, 60_000, 10_000, 40, 30, 10, 600, 10, 5),
    "1m": Size(1_000_000, 200_000, 10_000, 40, 30, 10, 600, 10, 5),
}


# --- small helpers ------------------------------------------------------------------------


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], share: float) -> float:
    return search_bench.percentile(values, share)


def latency(values: list[float], cpu: list[float] | None = None) -> dict[str, float]:
    """Wall-clock milliseconds, and (on SQLite: the database's work too) this process's CPU ms."""
    figures = {
        "n": len(values),
        "median_ms": round(statistics.median(values), 2),
        "p95_ms": round(percentile(values, 0.95), 2),
        "max_ms": round(max(values), 2),
    }
    if cpu:
        figures["cpu_median_ms"] = round(statistics.median(cpu), 2)
        figures["cpu_p95_ms"] = round(percentile(cpu, 0.95), 2)
    return figures


class Stopwatch:
    """Wall-clock and CPU milliseconds of a block, appended to two lists."""

    def __init__(self, wall: list[float], cpu: list[float]) -> None:
        self.wall, self.cpu = wall, cpu

    def __enter__(self) -> Stopwatch:
        self.started, self.cpu_started = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc_info) -> None:
        self.wall.append((time.perf_counter() - self.started) * 1000)
        self.cpu.append((time.process_time() - self.cpu_started) * 1000)


def timed_search(
    queries: list[tuple[AdQuery, int]], with_facets: bool
) -> tuple[list[float], list[float], list[int]]:
    """search_bench.timed with CPU time as well: a page of 20, as the page asks for; the wall
    and CPU ms and the hits of each query."""
    wall: list[float] = []
    cpu: list[float] = []
    hits: list[int] = []
    for query, page in queries:
        with Stopwatch(wall, cpu):
            result = search_ads(
                query, page=page, per_page=20, with_facets=with_facets, load_items=not with_facets
            )
        hits.append(result.total)
        db.session.rollback()  # end the read transaction, as a request would
    return wall, cpu, hits


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip() + ("+uncommitted changes" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# --- data ---------------------------------------------------------------------------------


def ensure_postgres_database(url: str) -> None:
    """createdb if the database is missing (the server must run; postgres needs no password)."""
    name = url.rsplit("/", 1)[-1].split("?")[0]
    host = re.search(r"@([^/:]+)", url)
    command = ["createdb", "-h", host.group(1) if host else "127.0.0.1", "-U", "postgres", name]
    subprocess.run(command, capture_output=True, check=False)


def fresh_database(url: str) -> None:
    if url.startswith("sqlite:///"):
        db.session.remove()
        db.engine.dispose()
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    db.drop_all()
    with db.engine.begin() as connection:
        search_index.drop_index(connection)
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    db.create_all()


CLOSED_SHARE = 0.1  # ads that have found their partner: they must not slow anything down


def all_unexpired(document: dict, seed: int) -> None:
    """Dates that keep every generated ad open today: published up to 150 days ago, open 1-200
    days more (search_bench's dates leave a third of them expired; here all of them count)."""
    rng = random.Random(seed)
    start = today()
    for ad in document["ads"]:
        ad["published"] = (start - timedelta(days=rng.randint(0, 150))).isoformat()
        ad["expires"] = (start + timedelta(days=rng.randint(1, 200))).isoformat()


def close_some_ads(count: int, rng: random.Random) -> None:
    ids = db.session.scalars(sa.select(Ad.id).order_by(Ad.id)).all()
    closed = rng.sample(list(ids), count)
    for start in range(0, len(closed), 5000):
        db.session.execute(
            sa.update(Ad)
            .where(Ad.id.in_(closed[start : start + 5000]))
            .values(status=AdStatus.PARTNER_FOUND, closed_at=utcnow())
        )
    db.session.commit()


def add_members() -> None:
    """One confirmed member per organisation, so matching e-mails have someone to go to."""
    organisation_ids = db.session.scalars(
        sa.select(Organisation.id).order_by(Organisation.id)
    ).all()
    now = utcnow()
    users = [
        {
            "email": f"member{organisation_id}@example.com",
            "name": f"Medlem {organisation_id}",
            "password_hash": "x",
            "email_confirmed_at": now,
            "acting_organisation_id": organisation_id,
        }
        for organisation_id in organisation_ids
    ]
    for start in range(0, len(users), 5000):
        db.session.execute(sa.insert(User.__table__), users[start : start + 5000])
    ids = dict(
        db.session.execute(
            sa.select(User.email, User.id).where(User.email.like("member%@example.com"))
        ).all()
    )
    links = [
        {
            "user_id": ids[f"member{organisation_id}@example.com"],
            "organisation_id": organisation_id,
            "role": Role.ADMIN,
        }
        for organisation_id in organisation_ids
    ]
    for start in range(0, len(links), 5000):
        db.session.execute(sa.insert(Membership.__table__), links[start : start + 5000])
    db.session.commit()


def build(
    url: str, data_file: Path, size: Size, words: list[str], seed: int, search_only: bool = False
) -> dict:
    """A fresh database with the data set; returns the import's timings. `search_only`: no
    members and saved searches (only matching's e-mails and publishing need them)."""
    rng = random.Random(seed)
    fresh_database(url)
    progress(f"{db.engine.dialect.name}: importing {size.generated:,} ads")
    started, cpu = time.perf_counter(), time.process_time()
    report = imports.import_file(data_file)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    progress(f"{db.engine.dialect.name}: imported in {seconds:.1f} s ({report})")
    close_some_ads(size.generated - size.ads, rng)
    if not search_only:
        add_members()
        progress(f"{db.engine.dialect.name}: saving {size.saved_searches:,} saved searches")
        alerts_bench.vocabulary = lambda: words[:400]  # the generator's words; no full scan
        alerts_bench.save_searches(size.saved_searches, 1.0, 0.15, rng)
    search_bench.analyze()
    index_seconds = index_cpu = 0.0
    if current_app.config["SEARCH_ENGINE"] == "tantivy":
        from marketplace.search import engine

        progress(f"{db.engine.dialect.name}: building the search index")
        started, cpu = time.perf_counter(), time.process_time()
        engine.get().rebuild()
        index_seconds, index_cpu = time.perf_counter() - started, time.process_time() - cpu
        progress(f"{db.engine.dialect.name}: index built in {index_seconds:.1f} s")
    open_ads = db.session.scalar(sa.select(sa.func.count(Ad.id)).where(open_ads_condition()))
    return {
        "import_s": round(seconds, 2),
        "import_cpu_s": round(cpu_seconds, 2),
        "index_s": round(index_seconds, 2),
        "index_cpu_s": round(index_cpu, 2),
        "import_report": str(report),
        "open_ads": open_ads,
    }


# --- in-process measurements ----------------------------------------------------------------


MIX = 1000  # distinct searches in the mix (issue 17)


def mix_searches(facts: dict, seed: int) -> list[dict]:
    """The mix of MIX searches (bench/search_mix.py) for this data and seed."""
    texts = facts.get("texts") or [ad["title"] + " " + ad["body"] for ad in facts["templates"]]
    return search_mix.searches(facts["shares"], texts, MIX, seed)


HIT_BUCKETS = ((0, 100), (100, 1_000), (1_000, 10_000), (10_000, 100_000), (100_000, 10**9))


def measure_search(size: Size, facts: dict, seed: int, mix_only: bool = False) -> dict:
    """search_ads in process: the mix of 1,000 distinct searches (search_mix), as the page asks
    (with facets) and as the API does (without), and the older suites of 40 (common words);
    `mix_only`: the mix as the page asks, nothing else."""
    rng = random.Random(seed)
    words = facts["words"]
    texts = search_bench.text_queries(words, size.queries, rng)
    mix = [search_mix.ad_query(args) for args in mix_searches(facts, seed)]
    suites = {
        "text": [(AdQuery(text=q, sort="relevance"), 1) for q in texts],
        "filters": [(q, 1) for q in search_bench.filter_queries(size.queries, rng)],
        "text + filters": [
            (q, 1)
            for q in search_bench.filter_queries(
                size.queries, rng, search_bench.text_queries(words, size.queries, rng)
            )
        ],
        "mix": mix,
    }
    memory_before = memory_mb(os.getpid())
    timed_search(suites["text"][:20], True)  # warm caches and the connection pool
    if mix_only:
        suites = {"mix": mix}
    result = {}
    for name, queries in suites.items():
        for with_facets, caller in ((True, "page"), (False, "api"))[: 1 if mix_only else 2]:
            times, cpu, hits = timed_search(queries, with_facets)
            result[f"{name} ({caller})"] = {
                **latency(times, cpu),
                "mean_hits": sum(hits) // len(queries),
                "median_hits": round(statistics.median(hits)),
            }
            if name == "mix" and caller == "page":
                result["mix by hits"] = {
                    f"{low:,}–{high:,}" if high < 10**9 else f"≥ {low:,}": {
                        "n": len(chosen),
                        "cpu_median_ms": round(statistics.median(chosen), 2),
                        "cpu_p95_ms": round(percentile(chosen, 0.95), 2),
                    }
                    for low, high in HIT_BUCKETS
                    if (chosen := [c for c, h in zip(cpu, hits, strict=True) if low <= h < high])
                }
    memory_after = memory_mb(os.getpid())
    result["memory in process"] = {
        "anon_mb": round(memory_after["anon"] - memory_before["anon"], 1),
        "file_mb": round(memory_after["file"] - memory_before["file"], 1),
        "index_on_disk_mb": round(index_size_mb(), 1),
    }
    return result


def measure_matches(size: Size, seed: int) -> dict:
    rng = random.Random(seed)
    ids = db.session.scalars(sa.select(Ad.id).where(open_ads_condition()).order_by(Ad.id)).all()
    chosen = rng.sample(list(ids), min(size.matches, len(ids)))
    matching.find_matches(ad_services.get_ad(chosen[0]))  # document frequencies, once a process
    db.session.rollback()
    times: list[float] = []
    cpu: list[float] = []
    found = []
    for ad_id in chosen:
        ad = ad_services.get_ad(ad_id)
        with Stopwatch(times, cpu):
            matches = matching.find_matches(ad)
        found.append(len(matches))
        db.session.rollback()
    return {**latency(times, cpu), "mean_matches": round(statistics.mean(found), 1)}


def measure_publish(app, size: Size, facts: dict, seed: int) -> dict:
    """publish_ad as the ad form calls it: it decides whom to notify and records that with the
    ad (outbox jobs); the worker writes the e-mails afterwards (timed apart, as "worker")."""
    rng = random.Random(seed)
    members = db.session.execute(
        sa.select(User.id, Membership.organisation_id)
        .join(Membership, Membership.user_id == User.id)
        .where(User.email.like("member%@example.com"))
    ).all()
    templates = facts["templates"]
    times: list[float] = []
    cpu: list[float] = []
    worker: list[float] = []
    worker_cpu: list[float] = []
    queued = []
    for run in range(size.publishes + 3):  # the first three warm up (templates, statements)
        user_id, organisation_id = rng.choice(members)
        template = rng.choice(templates)
        with app.test_request_context():
            author = db.session.get(User, user_id)
            organisation = db.session.get(Organisation, organisation_id)
            before = db.session.scalar(sa.select(sa.func.count(OutboxEmail.id)))
            db.session.commit()
            started, cpu_started = time.perf_counter(), time.process_time()
            ad_services.publish_ad(
                organisation,
                author,
                kind=AdKind(template["kind"]),
                title=template["title"],
                body=template["body"],
                challenges=template["challenges"],
                county_code=template["county"],
                municipality_code=template["municipality"],
                seeking=[Sector(s) for s in template["seeking"]],
            )
            elapsed = (time.perf_counter() - started) * 1000
            elapsed_cpu = (time.process_time() - cpu_started) * 1000
            # The worker's part, as `flask worker` does it after the commit: the e-mails the
            # publish decided on are written into the outbox (delivery is measured below).
            written, cpu_written = time.perf_counter(), time.process_time()
            while notifications.write_deferred():
                pass
            writing = (time.perf_counter() - written) * 1000
            writing_cpu = (time.process_time() - cpu_written) * 1000
            after = db.session.scalar(sa.select(sa.func.count(OutboxEmail.id)))
            db.session.remove()
        if run >= 3:
            times.append(elapsed)
            cpu.append(elapsed_cpu)
            worker.append(writing)
            worker_cpu.append(writing_cpu)
            queued.append(after - before)
    return {
        **latency(times, cpu),
        "mean_emails_queued": round(statistics.mean(queued), 1),
        "max_emails_queued": max(queued),
        "worker": latency(worker, worker_cpu),
    }


class CountingHandler:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
        return "250 Message accepted for delivery"


def measure_mail(app, size: Size) -> dict:
    """Outbox rows delivered per second to a real SMTP server on loopback (MAIL_CONNECTIONS)."""
    handler = CountingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
        # Whatever the publishing runs queued is "sent" already; real messages are the models.
        models = db.session.scalars(
            sa.select(OutboxEmail).order_by(OutboxEmail.id.desc()).limit(20)
        ).all()
        db.session.execute(
            sa.update(OutboxEmail)
            .where(OutboxEmail.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.SENT, sent_at=utcnow())
        )
        if not models:
            with app.test_request_context():
                notifications.queue_email(
                    key="bench:model", to="someone@example.com", template="test_message",
                    name="Kim",
                )  # fmt: skip
            db.session.flush()
            models = db.session.scalars(sa.select(OutboxEmail)).all()
        rows = []
        stamp = int(time.time())
        for number in range(size.mails):
            model = models[number % len(models)]
            rows.append(
                {
                    "key": f"bench:{stamp}:{number}",
                    "recipient": f"reader{number}@example.com",
                    "subject": model.subject,
                    "text_body": model.text_body,
                    "html_body": model.html_body,
                    "headers": model.headers,
                    "status": OutboxStatus.PENDING,
                    "attempts": 0,
                    "next_attempt_at": utcnow(),
                    "last_error": "",
                }
            )
        db.session.execute(sa.insert(OutboxEmail.__table__), rows)
        db.session.commit()
        mean_bytes = statistics.mean(len(r["text_body"]) + len(r["html_body"]) for r in rows)
        started, cpu_started = time.perf_counter(), time.process_time()
        delivered = 0
        while sent := notifications.deliver_due():
            delivered += sent
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
    finally:
        controller.stop()
    return {
        "delivered": delivered,
        "received": handler.count,
        "seconds": round(seconds, 2),
        "per_second": round(delivered / seconds, 1) if seconds else 0.0,
        "cpu_seconds": round(cpu_seconds, 2),  # this process: the worker and the SMTP server
        "mean_message_chars": round(mean_bytes),
    }


# --- over HTTP --------------------------------------------------------------------------------

WRK_SCRIPT = r"""
-- Rotates through the paths in a file (one per line); each thread starts at its own place.
local counter = 1
local threads = {}
local paths = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  counter = (id * math.floor(#paths / 2)) % #paths
  wrk.headers["Accept-Encoding"] = "gzip, br"
  if args[2] == "htmx" then wrk.headers["HX-Request"] = "true" end
end

function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "status_errors": %d, ' ..
    '"socket_errors": %d, "p50_us": %d, "p90_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.status,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max))
end
"""


class Server:
    """gunicorn with the production settings on a free loopback port."""

    def __init__(self, database_url: str, redis_url: str = "") -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
        env.update(
            GUNICORN_BIND=f"127.0.0.1:{self.port}",
            SECRET_KEY="bench-" + os.urandom(16).hex(),
            DATABASE_URL=database_url,
            BASE_URL=self.base,
            LOG_LEVEL="warning",
            MAIL_BACKEND="file",
            # No Redis here: without a shared store, several workers must not rate-limit (the
            # gunicorn config refuses per-process limits); the bench measures pages, not limits.
            FLASK_RATELIMIT_ENABLED="false",
            SEARCH_INDEX_DIR=current_app.config["SEARCH_INDEX_DIR"],  # the one build() made
            # As in production with several workers (README): one shared cache (cards, stored
            # answers, the data generation). Without it, each worker keeps its own.
            CACHE_REDIS_URL=redis_url,
        )
        self.log = (TMP / "gunicorn.log").open("w")
        self.process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "app:app"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(self.base + "/healthz", timeout=5) as answer,  # noqa: S310
            ):
                if answer.status == 200:
                    return
            if self.process.poll() is not None:
                break
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"gunicorn did not start; see {TMP / 'gunicorn.log'}")

    def workers(self) -> list[int]:
        """The gunicorn workers' process ids (the master's children)."""
        children: list[int] = []
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            with contextlib.suppress(OSError):
                children += [int(n) for n in (task / "children").read_text().split()]
        return sorted(children)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds these processes have used (all their threads)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / TICK


def memory_mb(pid: int) -> dict[str, float]:
    """A process's resident memory in MB: private (anonymous), file-backed (the search index's
    mapped files and the code: shared with the other workers) and PSS (shared pages divided
    among the processes that map them)."""
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("RssAnon:", "RssFile:")):
            name, amount = line.split(":")
            figures[name.removeprefix("Rss").lower()] = int(amount.split()[0]) / 1024
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            figures["pss"] = int(line.split()[1]) / 1024
    return figures


class Redis:
    """A private redis-server on a free loopback port (None if there is no redis-server)."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.url = ""
        executable = shutil.which("redis-server")
        if not executable:
            return
        port = free_port()
        self.process = subprocess.Popen(
            [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            cwd=TMP, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
                self.url = f"redis://127.0.0.1:{port}/0"
                return
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


def drain(server: Server) -> None:
    """Wait until requests left over from the last run are answered (wrk does not wait)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        started = time.perf_counter()
        with contextlib.suppress(OSError):
            fetch(server.base + "/healthz")
        if time.perf_counter() - started < 0.2:
            return


CONNECTIONS = 8  # wrk's connections (issue 17: p95 at 8 connections), over 2 threads

ONE_URL_SCRIPT = r"""
-- One path again and again, anonymously; with an ETag, as a browser repeating it would ask.
local path, etag
function init(args)
  path = args[1]
  etag = args[2]
  wrk.headers["Accept-Encoding"] = "gzip, br"
  if etag ~= "" then wrk.headers["If-None-Match"] = etag end
end
function request() return wrk.format("GET", path) end
""" + WRK_SCRIPT[WRK_SCRIPT.index("function done") :]


def wrk(
    server: Server,
    paths_file: Path,
    seconds: int,
    htmx: bool = False,
    *,
    etag: str | None = None,
    idle_rate: float = 0.0,
) -> dict:
    """wrk against the paths in a file, in turn (or, with `etag`, the file's one path again and
    again, with If-None-Match when etag is not ""); the workers' CPU per answered request, less
    what they use idle (`idle_rate`, CPU seconds a second: their threads that watch the index)."""
    drain(server)
    if etag is None:
        script = TMP / "rotate.lua"
        script.write_text(WRK_SCRIPT)
        script_args = [str(paths_file), "htmx" if htmx else "full"]
    else:
        script = TMP / "one-url.lua"
        script.write_text(ONE_URL_SCRIPT)
        script_args = [paths_file.read_text().split()[0], etag]
    command = [
        "wrk", "--latency", f"-c{CONNECTIONS}", "-t2", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(script), server.base, "--", *script_args,
    ]  # fmt: skip
    workers = server.workers()
    cpu_before, started = cpu_seconds(workers), time.monotonic()
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    raw_cpu = cpu_seconds(workers) - cpu_before
    worker_cpu = max(0.0, raw_cpu - idle_rate * (time.monotonic() - started))
    line = next(line for line in out.splitlines() if line.startswith("WRK_JSON "))
    raw = json.loads(line.removeprefix("WRK_JSON "))
    seconds_run = raw["duration_us"] / 1e6
    if not raw["requests"]:  # nothing answered within the run: no latency to speak of
        return {
            "requests_per_s": 0.0,
            "requests": 0,
            **dict.fromkeys(("p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms")),
            "bytes_per_request": 0,
            "errors": raw["status_errors"] + raw["socket_errors"],
            "workers_cpu_ms_per_request": None,
        }
    return {
        "requests_per_s": round(raw["requests"] / seconds_run, 1),
        "requests": raw["requests"],
        "p50_ms": round(raw["p50_us"] / 1000, 1),
        "p90_ms": round(raw["p90_us"] / 1000, 1),
        "p95_ms": round(raw["p95_us"] / 1000, 1),
        "p99_ms": round(raw["p99_us"] / 1000, 1),
        "max_ms": round(raw["max_us"] / 1000, 1),
        "bytes_per_request": round(raw["bytes"] / max(1, raw["requests"])),
        "errors": raw["status_errors"] + raw["socket_errors"],
        "workers_cpu_ms_per_request": round(worker_cpu * 1000 / raw["requests"], 2),
        "workers_cpu_raw_ms_per_request": round(raw_cpu * 1000 / raw["requests"], 2),
    }


def search_paths(words: list[str], count: int, seed: int) -> list[str]:
    """Distinct /annonser URLs: one or two words and one filter, as a visitor narrows a search."""
    rng = random.Random(seed)
    from marketplace import reference

    counties = list(search_bench.COUNTY_WEIGHTS)
    challenges = list(reference.challenges())
    paths: dict[str, None] = {}
    while len(paths) < count:
        args: dict[str, str | list[str]] = {
            "q": " ".join(rng.sample(words[:200], rng.choice([1, 1, 2])))
        }
        name = rng.choice(SEARCH_FILTERS)
        if name == "kind":
            args["kind"] = rng.choice([k.value for k in AdKind])
        elif name == "challenge":
            args["challenge"] = rng.choice(challenges)
        elif name == "county":
            args["county"] = rng.choices(counties, list(search_bench.COUNTY_WEIGHTS.values()))[0]
        else:
            args[name] = rng.choice([s.value for s in Sector])
        paths["/annonser?" + urlencode(args, doseq=True)] = None
    return list(paths)


def ad_paths(count: int, seed: int) -> list[str]:
    rows = db.session.execute(
        sa.select(Ad.id, Ad.slug).where(open_ads_condition()).order_by(Ad.id)
    ).all()
    rng = random.Random(seed)
    return [f"/annonser/{ad_id}-{slug}" for ad_id, slug in rng.sample(rows, min(count, len(rows)))]


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310  loopback only
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        return answer.status, answer.read(), dict(answer.headers.items())


def decoded(body: bytes, encoding: str | None) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "br":
        import brotli

        return brotli.decompress(body)
    return body


def page_weight(server: Server, path: str, htmx: bool = False) -> dict:
    """Bytes a first visit transfers (bodies as encoded on the wire): the HTML, its CSS and JS."""
    accept = {"Accept-Encoding": "gzip, br"}
    headers = {**accept, "HX-Request": "true"} if htmx else accept
    status, body, response_headers = fetch(server.base + path, headers)
    encoding = response_headers.get("Content-Encoding")
    html = decoded(body, encoding).decode("utf-8")
    result = {
        "status": status,
        "html_bytes": len(body),
        "html_uncompressed": len(html.encode()),
        "encoding": encoding or "identity",
        "assets": {},
    }
    if not htmx:
        links = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
        scripts = re.findall(r'<script src="([^"]+)"', html)
        for href in links + scripts:
            _status, asset, asset_headers = fetch(server.base + href.replace("&amp;", "&"), accept)
            result["assets"][href] = {
                "bytes": len(asset),
                "encoding": asset_headers.get("Content-Encoding", "identity"),
                "cache_control": asset_headers.get("Cache-Control", ""),
            }
    result["total_bytes"] = result["html_bytes"] + sum(
        a["bytes"] for a in result["assets"].values()
    )
    return result


def lighthouse(server: Server, path: str, name: str) -> dict:
    try:
        report = lighthouse_scores.audit(server.base + path, TMP / f"lighthouse-{name}.json")
    except lighthouse_scores.LighthouseError as error:
        return {"error": str(error)}
    return {"scores": report.scores, "failed_audits": report.below_full}


def measure_http(database_url: str, size: Size, facts: dict, seed: int, extras: bool) -> dict:
    """gunicorn + wrk: /healthz, the search mix (1,000 distinct URLs in turn, full pages and
    htmx fragments), one search URL repeated anonymously (stored answer, and 304 with
    If-None-Match), an ad page, the start page; the workers' memory before and after searching;
    the CPU a write costs the machine (index writer and every worker)."""
    # Disjoint URLs for the warm-up, the full pages and the fragments: no stored answer of a
    # warm-up is counted as speed (cards drawn by earlier searches are reused, as on a live site).
    mixes = [[search_mix.url(args) for args in mix_searches(facts, seed + n)] for n in range(3)]
    searches = list(dict.fromkeys(u for mix in mixes for u in mix))
    warm, distinct, fragments = searches[:MIX], searches[MIX : 2 * MIX], searches[2 * MIX :]
    count = 5000 if size.ads >= FULL.ads else 500
    ads = ad_paths(2 * count, seed)
    repeated = next(url for url in distinct if "q=" in url)
    files = {}
    for name, paths in {
        "search-warm": warm,
        "search": distinct,
        "search-fragment": fragments,
        "search-repeated": [repeated],
        "ad-warm": ads[:count],
        "ad": ads[count:],
        "start": ["/"],
        "healthz": ["/healthz"],
    }.items():
        files[name] = TMP / f"paths-{name}.txt"
        files[name].write_text("\n".join(paths) + "\n")
    writes_ids = db.session.scalars(
        sa.select(Ad.id).where(open_ads_condition()).order_by(Ad.id).limit(5000)
    ).all()
    db.session.remove()
    db.engine.dispose()
    redis = Redis()
    server = Server(database_url, redis.url)
    result: dict = {"shared_cache": "Redis" if redis.url else "none (per worker)"}
    try:
        progress(f"gunicorn on {server.base}; wrk -c{CONNECTIONS} for {size.duration} s a run")
        time.sleep(size.warmup)  # the other workers finish starting
        for name in ("healthz", "start", "ad-warm"):  # every worker warms up, but not searching
            wrk(server, files[name], size.warmup)
        workers = server.workers()
        idle_rate = idle_cpu_rate(workers)
        result["workers_idle_cpu_ms_per_s"] = round(idle_rate * 1000, 2)
        memory_before = {pid: memory_mb(pid) for pid in workers}
        wrk(server, files["search-warm"], size.warmup)
        wrk(server, files["search-warm"], size.warmup, htmx=True)
        _status, _body, headers = fetch(server.base + repeated, {"Accept-Encoding": "gzip, br"})
        etag = headers.get("ETag", "")
        runs = {
            "healthz": (files["healthz"], False, None),
            "search (one URL repeated)": (files["search-repeated"], False, ""),
            "search (repeated, If-None-Match)": (files["search-repeated"], False, etag),
            "search": (files["search"], False, None),
            "search fragment": (files["search-fragment"], True, None),
            "ad": (files["ad"], False, None),
            "start": (files["start"], False, None),
        }
        throughput = {}
        for name, (paths_file, htmx, tag) in runs.items():
            throughput[name] = wrk(
                server, paths_file, size.duration, htmx, etag=tag, idle_rate=idle_rate
            )
            progress(
                f"  {name}: {throughput[name]['requests_per_s']} req/s, workers' CPU "
                f"{throughput[name].get('workers_cpu_ms_per_request')} ms a request"
            )
            if name == "search fragment":
                memory_after = {pid: memory_mb(pid) for pid in workers if pid in memory_before}
        healthz = throughput["healthz"]["requests_per_s"]
        for figures in throughput.values():
            figures["ratio_to_healthz"] = round(figures["requests_per_s"] / max(healthz, 0.1), 3)
        throughput["search"]["cycles"] = round(throughput["search"]["requests"] / MIX, 2)
        throughput["search (repeated, If-None-Match)"]["etag"] = etag or None
        result["throughput"] = throughput
        result["repeated_path"] = repeated
        result["memory"] = worker_memory(memory_before, memory_after)
        progress("a write: the index writer and the workers")
        result["write"] = measure_write(server, writes_ids)
        if extras:
            progress("page weight and Lighthouse")
            shown = {"start": "/", "search": repeated, "ad": ads[count]}
            weight = {name: page_weight(server, path) for name, path in shown.items()}
            weight["search fragment"] = page_weight(server, fragments[0], htmx=True)
            result["weight"] = weight
            result["weight_paths"] = shown
            result["lighthouse"] = {
                name: lighthouse(server, path, name) for name, path in shown.items()
            }
    finally:
        server.stop()
        redis.stop()
    return result


def index_size_mb() -> float:
    return (
        sum(
            f.stat().st_size
            for f in Path(current_app.config["SEARCH_INDEX_DIR"]).rglob("*")
            if f.is_file()
        )
        / 1e6
    )


def idle_cpu_rate(workers: list[int], seconds: float = 3.0) -> float:
    """CPU seconds a second the workers use with no request to answer."""
    started, cpu = time.monotonic(), cpu_seconds(workers)
    time.sleep(seconds)
    return (cpu_seconds(workers) - cpu) / (time.monotonic() - started)


def worker_memory(before: dict[int, dict], after: dict[int, dict]) -> dict:
    """What searching added to each worker's memory (MB): the most and the mean over workers."""
    growth = {
        kind: [after[pid][kind] - before[pid][kind] for pid in after]
        for kind in ("anon", "file", "pss")
    }
    index_mb = index_size_mb()
    return {
        "workers": len(after),
        **{f"{kind}_max_mb": round(max(v), 1) for kind, v in growth.items()},
        **{f"{kind}_mean_mb": round(statistics.mean(v), 1) for kind, v in growth.items()},
        "anon_after_mean_mb": round(statistics.mean(m["anon"] for m in after.values()), 1),
        "index_on_disk_mb": round(index_mb, 1),
    }


def measure_write(server: Server, ad_ids: list[int], count: int = 10) -> dict:
    """CPU that one changed ad costs the machine's search: the index writer (this process, as
    the worker's follower thread does it: catch_up) plus every gunicorn worker (their readers
    reload the index by themselves), over the idle workers' own CPU for as long."""
    from marketplace.search import engine

    rng = random.Random(len(ad_ids))
    writer = engine.get()
    writer.catch_up()  # this process becomes the writer, with nothing left to apply
    db.session.remove()
    workers = server.workers()
    idle_rate = idle_cpu_rate(workers)
    started, workers_cpu, own_cpu = time.monotonic(), cpu_seconds(workers), time.process_time()
    changing = 0.0  # CPU of changing the ad and committing: the write itself, not the index's
    applied = []
    for ad_id in rng.sample(list(ad_ids), count):
        cpu = time.process_time()
        ad = db.session.get(Ad, ad_id)
        ad.title = ad.title + " (uppdaterad)"
        db.session.commit()
        changing += time.process_time() - cpu
        applied.append(writer.catch_up())
        db.session.remove()
        time.sleep(0.5)
    time.sleep(2)  # the workers' readers see the last commit (tantivy polls meta.json)
    elapsed = time.monotonic() - started
    writer_ms = (time.process_time() - own_cpu - changing) * 1000 / count
    workers_ms = (cpu_seconds(workers) - workers_cpu - idle_rate * elapsed) * 1000 / count
    return {
        "writes": count,
        "ads_applied": sum(applied),
        "workers": len(workers),
        "writer_cpu_ms": round(writer_ms, 2),
        "workers_cpu_ms": round(max(0.0, workers_ms), 2),
        "workers_idle_cpu_ms_per_s": round(idle_rate * 1000, 2),
        "total_cpu_ms": round(writer_ms + max(0.0, workers_ms), 2),
    }


# --- on a terminal ---------------------------------------------------------------------------

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
PTY_ADS = 20_000  # enough for the bars to run a few seconds, so that they can estimate


def on_terminal(command: list[str], env: dict[str, str]) -> tuple[int, str, float]:
    """Run a command with a pseudo-terminal as its stdout and stderr, as someone at a terminal
    would; its exit status, everything it wrote and the seconds it took."""
    import pty

    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child
        os.chdir(ROOT)
        os.execve(command[0], command, env)  # noqa: S606  our own venv's flask, no shell
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    _pid, status = os.waitpid(pid, 0)
    os.close(fd)
    return (
        os.waitstatus_to_exitcode(status),
        b"".join(chunks).decode(errors="replace"),
        (time.perf_counter() - started),
    )


def bar_shown(output: str) -> dict:
    """Whether a progress bar with counts ("12000/40000") and an estimate ("00:00:03") was
    drawn, and the last state it was drawn in."""
    states = [ANSI.sub("", s).strip() for s in re.split(r"[\r\n]", output)]
    bars = [s for s in states if re.search(r"\d+/\d+", s)]
    estimated = [s for s in bars if re.search(r"\d+/\d+\s+\d{2}:\d{2}:\d{2}", s)]
    shown = estimated or bars
    return {
        "counts": bool(bars),
        "estimate": bool(estimated),
        "states": len(bars),
        "sample": shown[len(shown) // 2] if shown else "",
    }


def measure_progress_bars(seed: int) -> dict:
    """`flask import-data` and `flask search-index rebuild` on a terminal (a pty), into a
    database of their own with PTY_ADS ads: do they show a bar with counts and an estimate?"""
    document = search_bench.generate(PTY_ADS, PTY_ADS // 5, seed)
    all_unexpired(document, seed)
    document.pop("_vocabulary")
    data_file = TMP / "terminal.json"
    data_file.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    database = TMP / "terminal.db"
    index_dir = TMP / "search-index-terminal"
    for suffix in ("", "-wal", "-shm"):
        Path(str(database) + suffix).unlink(missing_ok=True)
    shutil.rmtree(index_dir, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env.update(
        DATABASE_URL=f"sqlite:///{database}",
        SEARCH_INDEX_DIR=str(index_dir),
        SECRET_KEY="bench-only",  # noqa: S106  a throwaway database
        HUEY_SQLITE_PATH=str(TMP / "terminal-huey.db"),
        MAIL_BACKEND="file",
        TERM="xterm",
        COLUMNS="100",
    )
    flask = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "app"]
    status, output, _seconds = on_terminal([*flask, "db", "upgrade"], env)
    if status:
        raise RuntimeError(f"flask db upgrade failed: {output[-500:]}")
    result = {"ads": PTY_ADS}
    for name, command in (
        ("import", [*flask, "import-data", str(data_file)]),
        ("rebuild", [*flask, "search-index", "rebuild"]),
    ):
        status, output, seconds = on_terminal(command, env)
        result[name] = {"status": status, "seconds": round(seconds, 1), **bar_shown(output)}
        (TMP / f"terminal-{name}.txt").write_text(output)
    return result


# --- the report -------------------------------------------------------------------------------


def verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("PASS" if ok else "MISS")


BEFORE = RESULTS / "before-0043467.json"  # the last run before the search engine (issue 17)


def summary_rows(
    results: dict,
) -> list[tuple[str, str, dict[str, tuple[str, bool | None]], dict[str, str]]]:
    """(measure, target, {database: (figure, passed)}, {database: figure before}) for the
    headline table; "before" is the run on commit 0043467, before the search engine (where it
    measured the same thing), or what issue 17 measured."""
    rows: list[tuple[str, str, dict[str, tuple[str, bool | None]], dict[str, str]]] = []
    old = json.loads(BEFORE.read_text())["databases"] if BEFORE.exists() else {}
    generated = results["size"]["generated"]

    def add(measure: str, target: str, figure, before=None) -> None:
        cells, earlier = {}, {}
        for name, data in results["databases"].items():
            with contextlib.suppress(KeyError, TypeError, ZeroDivisionError, ValueError):
                cells[name] = figure(name, data)
            if isinstance(before, str):
                earlier[name] = before
            elif before is not None and name in old:
                with contextlib.suppress(KeyError, TypeError, ZeroDivisionError):
                    earlier[name] = before(name, old[name])
        rows.append((measure, target, cells, earlier))

    def http(d: dict, page: str) -> dict:
        return d["http"]["throughput"][page]

    sqlite_only = lambda n, ok: ok if n == "sqlite" else None  # noqa: E731

    # Issue 17's targets.
    add(
        f"import + search index, {generated:,} ads",
        "< 45 s (SQLite)",
        lambda n, d: (
            f"{d['data']['import_s'] + d['data'].get('index_s', 0):.1f} s "
            f"({d['data']['import_s']:.1f} + {d['data'].get('index_s', 0):.1f}; CPU "
            f"{d['data']['import_cpu_s']:.1f} + {d['data'].get('index_cpu_s', 0):.1f})",
            sqlite_only(n, d["data"]["import_s"] + d["data"].get("index_s", 0) < 45),
        ),
        lambda n, d: f"{d['data']['import_s']:.1f} s (no index)",
    )
    for tool, label in (("import", "`flask import-data`"), ("rebuild", "`search-index rebuild`")):
        add(
            f"progress bar on a terminal: {label} ({PTY_ADS:,} ads)",
            "counts + estimate",
            lambda n, d, t=tool: (
                f"`{d['terminal'][t]['sample']}`",
                d["terminal"][t]["counts"] and d["terminal"][t]["estimate"],
            ),
        )
    add(
        f"search page: CPU per page, mix of {MIX:,} distinct searches (workers' CPU / requests)",
        "≤ 15 ms",
        lambda n, d: (
            f"{http(d, 'search')['workers_cpu_ms_per_request']:.1f} ms"
            + (" (+ the server's)" if n == "postgresql" else ""),
            http(d, "search")["workers_cpu_ms_per_request"] <= 15,
        ),
        "~75–100 ms (issue 17's profile)",
    )
    add(
        "search page: req/s, the mix (× /healthz)",
        "≥ 0.15 × /healthz",
        lambda n, d: (
            f"{http(d, 'search')['requests_per_s']:.0f} ({http(d, 'search')['ratio_to_healthz']:.2f})",
            http(d, "search")["ratio_to_healthz"] >= 0.15,
        ),
        lambda n, d: (
            f"{d['http']['throughput']['search']['requests_per_s']:.0f} "
            f"({d['http']['throughput']['search']['ratio_to_healthz']:.2f}; 32 connections, "
            "common words + 1 filter)"
        ),
    )
    for page, short in (
        ("search (one URL repeated)", "stored answer"),
        ("search (repeated, If-None-Match)", "304"),
    ):
        add(
            f"search page: one URL repeated anonymously, {short} (× /healthz)",
            "≥ 0.8 × /healthz",
            lambda n, d, p=page: (
                f"{http(d, p)['requests_per_s']:.0f} ({http(d, p)['ratio_to_healthz']:.2f})",
                http(d, p)["ratio_to_healthz"] >= 0.8,
            ),
            "0.01–0.04 (README, before the HTTP cache)",
        )
    add(
        f"search page: p95 latency, the mix, {CONNECTIONS} connections",
        "< 50 ms",
        lambda n, d: (
            f"{http(d, 'search')['p95_ms']:.1f} ms",
            (http(d, "search")["p95_ms"] or 1e9) < 50,
        ),
        lambda n, d: f"{d['http']['throughput']['search']['p95_ms']:.0f} ms (32 connections)",
    )
    add(
        "memory: extra RSS per gunicorn worker for searching (private; shared index pages)",
        "≤ 50 MB private",
        lambda n, d: (
            f"{d['http']['memory']['anon_max_mb']:.0f} MB (mean "
            f"{d['http']['memory']['anon_mean_mb']:.0f}; file-backed "
            f"+{d['http']['memory']['file_max_mb']:.0f}, index {d['http']['memory']['index_on_disk_mb']:.0f}"
            " MB on disk)",
            d["http"]["memory"]["anon_max_mb"] <= 50,
        ),
        "~500–600 MB (issue 17)",
    )
    add(
        "a write (one ad changed): CPU for the index, writer + every worker",
        "≤ 50 ms",
        lambda n, d: (
            f"{d['http']['write']['total_cpu_ms']:.1f} ms (writer "
            f"{d['http']['write']['writer_cpu_ms']:.1f}, {d['http']['write']['workers']} workers "
            f"{d['http']['write']['workers_cpu_ms']:.1f})",
            d["http"]["write"]["total_cpu_ms"] <= 50,
        ),
        "8.6 s with 5 workers (issue 17)",
    )
    # The search in process (search_ads alone, no page), for comparison with earlier runs.
    for suite, caller in (("mix (page)", "with facets"), ("mix (api)", "API, no facets")):
        add(
            f"search_ads in process, the mix, {caller} (CPU median / p95)",
            "info",
            lambda n, d, s=suite: (
                f"{d['search'][s]['cpu_median_ms']:.1f} / {d['search'][s]['cpu_p95_ms']:.1f} ms"
                f" (wall {d['search'][s]['median_ms']:.1f} / {d['search'][s]['p95_ms']:.1f};"
                f" median hits {d['search'][s]['median_hits']:,})",
                None,
            ),
        )
    add(
        "search_ads in process, text + filters with facets, 40 common-word searches (CPU median / p95)",
        "info",
        lambda n, d: (
            f"{d['search']['text + filters (page)']['cpu_median_ms']:.1f} / "
            f"{d['search']['text + filters (page)']['cpu_p95_ms']:.1f} ms",
            None,
        ),
        lambda n, d: (
            f"{d['search']['text + filters (page)']['cpu_median_ms']:.1f} / "
            f"{d['search']['text + filters (page)']['cpu_p95_ms']:.1f} ms"
        ),
    )
    # The other targets of the bench.
    add(
        "one ad's matches (median / p95)",
        "< 50 ms",
        lambda n, d: (
            f"{d['matches']['median_ms']:.1f} / {d['matches']['p95_ms']:.1f} ms "
            f"(CPU {d['matches']['cpu_median_ms']:.0f} / {d['matches']['cpu_p95_ms']:.0f})",
            d["matches"]["p95_ms"] < 50,
        ),
        lambda n, d: f"{d['matches']['median_ms']:.1f} / {d['matches']['p95_ms']:.1f} ms",
    )
    add(
        f"publish one ad, {results['size']['saved_searches']:,} saved searches (median / p95)",
        "< 200 ms",
        lambda n, d: (
            f"{d['publish']['median_ms']:.0f} / {d['publish']['p95_ms']:.0f} ms "
            f"(CPU {d['publish']['cpu_median_ms']:.0f} / {d['publish']['cpu_p95_ms']:.0f}; "
            f"{d['publish']['mean_emails_queued']:.0f} e-mails, written by the worker in "
            f"{d['publish']['worker']['median_ms']:.0f} ms, CPU "
            f"{d['publish']['worker']['cpu_median_ms']:.0f})",
            d["publish"]["p95_ms"] < 200,
        ),
        lambda n, d: f"{d['publish']['median_ms']:.0f} / {d['publish']['p95_ms']:.0f} ms",
    )
    add(
        "mail delivery to SMTP on loopback",
        "≥ 200 /s",
        lambda n, d: (f"{d['mail']['per_second']:.0f} /s", d["mail"]["per_second"] >= 200),
        lambda n, d: f"{d['mail']['per_second']:.0f} /s",
    )
    add(
        "/healthz: workers' CPU per request (what the ratios are measured against)",
        "info",
        lambda n, d: (f"{http(d, 'healthz')['workers_cpu_ms_per_request']:.1f} ms", None),
        "~1.0 ms (issue 17)",
    )
    for page in ("search fragment", "ad", "start", "healthz"):
        add(
            f"{page} page: req/s (× /healthz)" if page != "healthz" else "/healthz: req/s",
            "info",
            lambda n, d, p=page: (
                f"{http(d, p)['requests_per_s']:.0f} ({http(d, p)['ratio_to_healthz']:.2f})",
                None,
            ),
            lambda n, d, p=page: (
                f"{d['http']['throughput'][p]['requests_per_s']:.0f} "
                f"({d['http']['throughput'][p]['ratio_to_healthz']:.2f})"
            ),
        )
        add(
            f"{page}: p95 latency, {CONNECTIONS} connections",
            "< 50 ms",
            lambda n, d, p=page: (
                "no answer within the run"
                if http(d, p)["p95_ms"] is None
                else f"{http(d, p)['p95_ms']:.1f} ms",
                (http(d, p)["p95_ms"] or 1e9) < 50,
            ),
            lambda n, d, p=page: f"{d['http']['throughput'][p]['p95_ms']:.0f} ms (32 connections)",
        )
    for page, limit in (("start", 40), ("search", 40), ("ad", 40), ("search fragment", 8)):
        add(
            f"page weight: {page} ({'HTML' if 'fragment' in page else 'HTML + CSS + JS'})",
            f"< {limit} KB",
            lambda n, d, p=page, lim=limit: (
                f"{d['http']['weight'][p]['total_bytes'] / 1000:.1f} KB",
                d["http"]["weight"][p]["total_bytes"] < lim * 1000,
            ),
            lambda n, d, p=page: f"{d['http']['weight'][p]['total_bytes'] / 1000:.1f} KB",
        )
    for page in ("start", "search", "ad"):
        add(
            f"Lighthouse: {page} (perf / a11y / best practices / SEO)",
            "≥ 95 each",
            lambda n, d, p=page: (
                " / ".join(str(d["http"]["lighthouse"][p]["scores"][c]) for c in CATEGORIES),
                all(d["http"]["lighthouse"][p]["scores"][c] >= 95 for c in CATEGORIES),
            ),
            lambda n, d, p=page: " / ".join(
                str(d["http"]["lighthouse"][p]["scores"][c]) for c in CATEGORIES
            ),
        )
    return rows


def markdown(results: dict) -> str:
    names = list(results["databases"])
    shared = {
        d["http"].get("shared_cache")
        for d in results["databases"].values()
        if "http" in d and d["http"].get("shared_cache")
    }
    mix = results.get("search_mix", {})
    lines = [
        "# Benchmark results",
        "",
        f"Run {results['started']} on commit {results['commit']}: "
        f"{results['size']['ads']:,} open ads ({results['size']['generated']:,} imported, the rest "
        f"closed; {results['size']['organisations']:,} organisations, "
        f"{results['size']['saved_searches']:,} saved searches), "
        f"{results['machine']['cpus']} CPUs, Python {results['machine']['python']}, "
        f"load average {results['machine']['load_before']:.1f} before, "
        f"{results['machine']['load_after']:.1f} after. "
        f"`make bench` writes this file; see bench/run.py for what each figure means. "
        "Ratios to /healthz come from the same run. CPU per page is the gunicorn workers' CPU "
        "time during the run, less what they use idle, divided by the requests answered: on "
        "SQLite it includes the "
        "database's work, on PostgreSQL the server's work is not in it. In-process CPU is the "
        "benchmark process's. The machine is shared (2 CPUs, other people's work): wall-clock "
        "figures and requests/s grow worse with the load average, the CPU figures much less."
        + (f" Shared cache of the workers: {', '.join(sorted(shared))}." if shared else ""),
        "",
    ]
    if mix:
        lines += [
            f"The search mix: {MIX:,} distinct searches (bench/search_mix.py), words drawn from "
            "the generated ads — "
            + "; ".join(
                f"{tier} ({found['words']:,} words, e.g. {', '.join(found['examples'][:3])})"
                for tier, found in mix.items()
            )
            + " — one to three words, a tenth with no words (filters only), half with filters.",
            "",
        ]
    lines += [
        "| measure | target | " + " | ".join(f"{name} before | {name}" for name in names) + " |",
        "|---|---|" + "---|---|" * len(names),
    ]
    for measure, target, cells, earlier in summary_rows(results):
        shown = []
        for name in names:
            shown.append(earlier.get(name, "—"))
            if name not in cells:
                shown.append("not measured")
                continue
            figure, passed = cells[name]
            shown.append(figure if passed is None else f"{figure} **{verdict(passed)}**")
        lines.append(f"| {measure} | {target} | " + " | ".join(shown) + " |")
    lines += [
        "",
        "Before: the run of commit 0043467 (bench/results/before-0043467.json, the search on "
        "SQLite FTS5 / PostgreSQL full text with per-process bitsets), where it measured the same "
        "thing; otherwise the figure issue 17 measured.",
    ]
    for name, data in results["databases"].items():
        lines += ["", f"## {name}", ""]
        for phase, error in data.get("errors", {}).items():
            lines.append(f"- **{phase} failed**: `{error}`")
        if "data" in data:
            lines.append(
                f"- import: {data['data']['import_s']:.1f} s wall, "
                f"{data['data']['import_cpu_s']:.1f} s CPU in this process "
                f"({data['data']['import_report']}); open ads: {data['data']['open_ads']:,}"
            )
            lines.append(
                f"- search index build: {data['data'].get('index_s', 0):.1f} s wall, "
                f"{data['data'].get('index_cpu_s', 0):.1f} s CPU"
            )
        if "mail" in data:
            mail = data["mail"]
            lines.append(
                f"- mail: {mail['delivered']:,} messages (about {mail['mean_message_chars']:,} "
                f"characters each) in {mail['seconds']} s ({mail['cpu_seconds']} s CPU in this "
                f"process, SMTP server included), {mail['received']:,} received"
            )
        if "search" in data:
            lines += [
                "",
                "| search suite (caller) | n | median ms | p95 ms | max ms | CPU median ms "
                "| CPU p95 ms | mean hits |",
                "|---|---:|---:|---:|---:|---:|---:|---:|",
            ]
            for suite, f in data["search"].items():
                if "n" not in f:
                    continue
                lines.append(
                    f"| {suite} | {f['n']} | {f['median_ms']} | {f['p95_ms']} | {f['max_ms']} "
                    f"| {f['cpu_median_ms']} | {f['cpu_p95_ms']} | {f['mean_hits']:,} |"
                )
            if "mix by hits" in data["search"]:
                lines += [
                    "",
                    "| the mix (page) by hits | n | CPU median ms | CPU p95 ms |",
                    "|---|---:|---:|---:|",
                ]
                for bucket, f in data["search"]["mix by hits"].items():
                    lines.append(
                        f"| {bucket} | {f['n']} | {f['cpu_median_ms']} | {f['cpu_p95_ms']} |"
                    )
        if "http" in data:
            lines += [
                "",
                f"| page (wrk -c{CONNECTIONS} -t2) | req/s | × /healthz | workers' CPU ms / "
                "request | p50 ms | p90 ms | p95 ms | p99 ms | bytes/response | errors |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            ]
            for page, f in data["http"]["throughput"].items():
                lines.append(
                    f"| {page} | {f['requests_per_s']} | {f['ratio_to_healthz']} "
                    f"| {f.get('workers_cpu_ms_per_request', '')} | {f['p50_ms']} "
                    f"| {f['p90_ms']} | {f['p95_ms']} | {f['p99_ms']} | {f['bytes_per_request']} "
                    f"| {f['errors']} |"
                )
            if "memory" in data["http"]:
                m = data["http"]["memory"]
                lines.append("")
                lines.append(
                    f"- memory of the {m['workers']} workers, what searching added (MB, most / "
                    f"mean): private {m['anon_max_mb']} / {m['anon_mean_mb']}, file-backed "
                    f"(mapped index files, shared) {m['file_max_mb']} / {m['file_mean_mb']}, PSS "
                    f"{m['pss_max_mb']} / {m['pss_mean_mb']}; private memory of a worker after "
                    f"searching {m['anon_after_mean_mb']} MB; the index on disk "
                    f"{m['index_on_disk_mb']} MB"
                )
            if "write" in data["http"]:
                w = data["http"]["write"]
                lines.append(
                    f"- a write: {w['writes']} ads changed one at a time, {w['ads_applied']} "
                    f"applied by the index writer: {w['writer_cpu_ms']} ms of its CPU each, and "
                    f"{w['workers_cpu_ms']} ms over all {w['workers']} gunicorn workers (their "
                    f"readers reloading; idle they use {w['workers_idle_cpu_ms_per_s']} ms a "
                    "second, taken off)"
                )
            if "cycles" in data["http"]["throughput"].get("search", {}):
                lines.append(
                    f"- the search mix went round {data['http']['throughput']['search']['cycles']}"
                    f" times in its run; the URL repeated: `{data['http'].get('repeated_path')}`"
                )
        if "weight" in data.get("http", {}):
            lines += [
                "",
                "| page | HTML bytes (uncompressed) | CSS + JS bytes | total | encoding |",
                "|---|---:|---:|---:|---|",
            ]
            for page, w in data["http"]["weight"].items():
                assets = sum(a["bytes"] for a in w["assets"].values())
                lines.append(
                    f"| {page} | {w['html_bytes']:,} ({w['html_uncompressed']:,}) | {assets:,} "
                    f"| {w['total_bytes']:,} | {w['encoding']} |"
                )
            lines.append("")
            lines.append(
                "Pages weighed: "
                + ", ".join(f"{k} `{v}`" for k, v in data["http"]["weight_paths"].items())
            )
        if "terminal" in data:
            for tool, t in data["terminal"].items():
                if isinstance(t, dict):
                    lines.append(
                        f"- on a terminal, {tool} of {data['terminal']['ads']:,} ads: "
                        f"{t['seconds']} s, exit {t['status']}, {t['states']} states of the bar "
                        f"drawn, counts {'yes' if t['counts'] else 'no'}, estimate "
                        f"{'yes' if t['estimate'] else 'no'}: `{t['sample']}`"
                    )
        for page, report in data.get("http", {}).get("lighthouse", {}).items():
            if "error" in report:
                lines.append(f"- Lighthouse {page}: {report['error']}")
            elif report["failed_audits"]:
                failed = "; ".join(
                    f"{k}: {', '.join(v)}" for k, v in report["failed_audits"].items()
                )
                lines.append(f"- Lighthouse {page}, audits below full marks: {failed}")
    return "\n".join(lines) + "\n"


def postgresql_url(base: str, label: str) -> str:
    """One PostgreSQL database per size (bench, bench_300k, bench_1m), so a built one is kept."""
    return base if label == "100k" else f"{base}_{label}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5,000 ads, short wrk runs")
    parser.add_argument(
        "--size", choices=list(SIZES), default="100k", help="open ads (growth: 300k, 1m)"
    )
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgresql-only", action="store_true")
    parser.add_argument(
        "--postgresql-url", default=os.environ.get("BENCH_POSTGRESQL_URL", DEFAULT_PG)
    )
    parser.add_argument("--no-http", action="store_true", help="skip gunicorn, wrk, Lighthouse")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the data a --build-only (or earlier) run of this size built, if there",
    )
    parser.add_argument("--build-only", action="store_true", help="build the data and stop")
    parser.add_argument(
        "--search-only",
        action="store_true",
        help="only the search's measures (the default for --size 300k and 1m: growth)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--output", help="file name stem for the .md and .json results")
    parser.add_argument(
        "--redraw", action="store_true", help="draw the .md again from the .json, measure nothing"
    )
    args = parser.parse_args()
    label = "quick" if args.quick else args.size
    size = QUICK if args.quick else SIZES[args.size]
    search_only = args.search_only or label in ("300k", "1m")
    default_stem = RESULTS / ("latest" if label == "100k" else f"growth-{label}")
    stem = Path(args.output) if args.output else (TMP / "quick" if args.quick else default_stem)
    if args.redraw:
        results = json.loads(stem.with_suffix(".json").read_text())
        stem.with_suffix(".md").write_text(markdown(results))
        growth.write(RESULTS)
        return
    if not shutil.which("wrk") and not args.no_http:
        sys.exit("wrk is missing: apt-get install -y wrk")

    databases = {}
    if not args.postgresql_only:
        databases["sqlite"] = f"sqlite:///{TMP / f'run-{label}.db'}"
    if not args.sqlite_only:
        databases["postgresql"] = postgresql_url(args.postgresql_url, label)
        ensure_postgres_database(databases["postgresql"])

    results: dict = {
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(),
        "label": label,
        "size": {**size.__dict__, "generated": size.generated},
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_before": os.getloadavg()[0],
        },
        "databases": {},
    }
    data_file = TMP / f"run_{size.generated}.json"
    facts_file = TMP / f"run_{size.generated}.facts.json"
    if args.reuse and data_file.exists() and facts_file.exists():
        facts = json.loads(facts_file.read_text(encoding="utf-8"))
    else:
        progress(f"generating {size.generated:,} ads and {size.organisations:,} organisations")
        document = search_bench.generate(size.generated, size.organisations, args.seed)
        all_unexpired(document, args.seed)
        # What the measures need of the data, kept apart so that --reuse need not read it all.
        facts = {
            "words": document.pop("_vocabulary"),
            "shares": search_mix.word_shares(document["ads"], args.seed),
            "templates": document["ads"][:200],
            "texts": search_mix.ad_texts(document["ads"], args.seed),
        }
        data_file.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        facts_file.write_text(json.dumps(facts, ensure_ascii=False), encoding="utf-8")
        del document
    words = facts["words"]
    results["search_mix"] = {
        name: {"words": len(found), "examples": found[:5]}
        for name, found in search_mix.tiers(facts["shares"]).items()
    }

    def save() -> None:
        results["machine"]["load_after"] = os.getloadavg()[0]
        stem.parent.mkdir(parents=True, exist_ok=True)
        stem.with_suffix(".json").write_text(
            json.dumps(results, indent=2, ensure_ascii=False) + "\n"
        )
        stem.with_suffix(".md").write_text(markdown(results))

    for index, (name, url) in enumerate(databases.items()):
        app = create_app(
            Config,
            SECRET_KEY="bench-only",  # noqa: S106  never serves a request
            SQLALCHEMY_DATABASE_URI=url,
            BASE_URL="http://127.0.0.1:5000",
            HUEY_IMMEDIATE=False,
            MAIL_BACKEND="file",
            MAIL_FILE_DIR=str(TMP / "mail"),
            CACHE_ENABLED=False,  # in-process figures are the uncached cost of each call
            SEARCH_INDEX_DIR=str(TMP / f"search-index-{name}-{label}"),
        )
        data: dict = {}
        results["databases"][name] = data
        built_file = TMP / f"built-{name}-{label}.json"
        with app.app_context():
            if args.reuse and built_file.exists():
                data["data"] = json.loads(built_file.read_text())
                data["data"]["reused"] = True
                progress(f"{name}: reusing the data built {data['data'].get('built', '?')}")
            else:
                built_file.unlink(missing_ok=True)
                data["data"] = build(url, data_file, size, words, args.seed, search_only)
                data["data"]["built"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
                built_file.write_text(json.dumps(data["data"]))
            if args.build_only:
                save()
                db.session.remove()
                db.engine.dispose()
                continue
            phases = {"search": lambda: measure_search(size, facts, args.seed, search_only)}
            if not search_only:
                phases["matches"] = lambda: measure_matches(size, args.seed)
                phases["publish"] = lambda app=app: measure_publish(app, size, facts, args.seed)
                phases["mail"] = lambda app=app: measure_mail(app, size)
            if not args.no_http:
                phases["http"] = lambda url=url, index=index: measure_http(
                    url,
                    size,
                    facts,
                    args.seed,
                    extras=index == 0 and label in ("100k", "quick") and not search_only,
                )
            if index == 0 and label in ("100k", "quick") and not search_only:
                phases["terminal"] = lambda: measure_progress_bars(args.seed)
            for phase, measure in phases.items():
                progress(f"{name}: {phase}")
                try:
                    data[phase] = measure()
                except Exception as error:  # noqa: BLE001  report the rest; say what failed
                    progress(f"{name}: {phase} failed: {error!r}")
                    data.setdefault("errors", {})[phase] = repr(error)
                    db.session.rollback()
                save()
            db.session.remove()
            db.engine.dispose()
        progress(f"{name}: done")

    save()
    if not args.build_only:
        growth.write(RESULTS)
    print(markdown(results))
    print(f"written to {stem.with_suffix('.md')} and .json", file=sys.stderr)


if __name__ == "__main__":
    main()
