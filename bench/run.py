"""`make bench`: the whole performance picture at national scale, on SQLite and PostgreSQL.

    .venv/bin/python bench/run.py                         # 100,000 ads on SQLite and PostgreSQL
    .venv/bin/python bench/run.py --sqlite-only --quick   # a small run to check the set-up

For each database, in one run on one machine:

1. data: 100,000 ads from 20,000 organisations (bench/search_bench.py's generator, Swedish text
   recombined from the demo), imported with the real import service (timed); a tenth of the ads
   closed; one confirmed member per organisation; 10,000 saved searches (bench/alerts_bench.py).
2. in-process latency: the ad search (search_bench's query suites), one ad's matches
   (matching.find_matches), publishing one ad (ads.services.publish_ad: it works out whom the
   matching notifications and saved-search alerts go to and records that with the ad; the
   worker's writing of those e-mails into the outbox is timed apart), and mail
   delivery (the outbox delivered, over MAIL_CONNECTIONS connections, to an aiosmtpd server on
   loopback in this process).
3. pages over HTTP: gunicorn as in production (deploy/gunicorn.conf.py, SECRET_KEY set,
   FLASK_DEBUG unset) on a free loopback port and wrk (-c32 -t2) against the search page (a
   different text query plus one filter per request, full page and htmx fragment), an ad page
   (a different ad per request), the start page and /healthz; requests/s, the ratio to /healthz
   and latency percentiles. Requests say Accept-Encoding: gzip, br, as browsers do.
4. page weight (bytes over the wire as served: HTML, CSS and JS, compressed as a browser would
   get them) and Lighthouse scores (npm `lighthouse`, headless Chromium) for the start, search
   and ad pages (first database only: neither depends on the database).

The table (targets beside measured figures) goes to bench/results/latest.md and .json; a
--quick run writes bench/tmp/quick.md and .json instead, so it never replaces a full run's
committed figures. Timings depend on the machine and on what else runs on it: the load
average is recorded with the results.
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
import lighthouse_scores  # noqa: E402
import search_bench  # noqa: E402
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


def timed_search(queries: list[AdQuery], with_facets: bool) -> tuple[list, list, int]:
    """search_bench.timed with CPU time as well: the first page of 20, as the page asks for."""
    wall: list[float] = []
    cpu: list[float] = []
    hits = 0
    for query in queries:
        with Stopwatch(wall, cpu):
            result = search_ads(query, page=1, per_page=20, with_facets=with_facets)
        hits += result.total
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


def build(url: str, data_file: Path, size: Size, words: list[str], seed: int) -> dict:
    """A fresh database with the data set; returns the import's timings."""
    rng = random.Random(seed)
    fresh_database(url)
    progress(f"{db.engine.dialect.name}: importing {size.generated:,} ads")
    started, cpu = time.perf_counter(), time.process_time()
    report = imports.import_file(data_file)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    progress(f"{db.engine.dialect.name}: imported in {seconds:.1f} s ({report})")
    close_some_ads(size.generated - size.ads, rng)
    add_members()
    progress(f"{db.engine.dialect.name}: saving {size.saved_searches:,} saved searches")
    alerts_bench.vocabulary = lambda: words[:400]  # the generator's words; no 100,000-ad scan
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


def measure_search(size: Size, words: list[str], seed: int) -> dict:
    rng = random.Random(seed)
    texts = search_bench.text_queries(words, size.queries, rng)
    suites = {
        "text": [AdQuery(text=q, sort="relevance") for q in texts],
        "filters": search_bench.filter_queries(size.queries, rng),
        "text + filters": search_bench.filter_queries(
            size.queries, rng, search_bench.text_queries(words, size.queries, rng)
        ),
    }
    timed_search(suites["text"][:20], True)  # warm caches and the connection pool
    result = {}
    for name, queries in suites.items():
        for with_facets, caller in ((True, "page"), (False, "api")):
            times, cpu, hits = timed_search(queries, with_facets)
            result[f"{name} ({caller})"] = {
                **latency(times, cpu),
                "mean_hits": hits // len(queries),
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


def measure_publish(app, size: Size, document: dict, seed: int) -> dict:
    """publish_ad as the ad form calls it: it decides whom to notify and records that with the
    ad (outbox jobs); the worker writes the e-mails afterwards (timed apart, as "worker")."""
    rng = random.Random(seed)
    members = db.session.execute(
        sa.select(User.id, Membership.organisation_id)
        .join(Membership, Membership.user_id == User.id)
        .where(User.email.like("member%@example.com"))
    ).all()
    templates = document["ads"]
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

    def __init__(self, database_url: str) -> None:

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

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


def drain(server: Server) -> None:
    """Wait until requests left over from the last run are answered (wrk does not wait)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        started = time.perf_counter()
        with contextlib.suppress(OSError):
            fetch(server.base + "/healthz")
        if time.perf_counter() - started < 0.2:
            return


def wrk(server: Server, paths_file: Path, seconds: int, htmx: bool = False) -> dict:
    drain(server)
    script = TMP / "rotate.lua"
    script.write_text(WRK_SCRIPT)
    command = [
        "wrk", "--latency", "-c32", "-t2", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(script), server.base, "--", str(paths_file), "htmx" if htmx else "full",
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
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


def measure_http(database_url: str, size: Size, words: list[str], seed: int, extras: bool) -> dict:
    # Three disjoint sets of searches and ads: the warm-up, the full pages and the fragments never
    # ask for the same URL, so no cached result is counted as speed.
    count = 5000 if size is FULL else 500
    searches = search_paths(words, 3 * count, seed)
    ads = ad_paths(3 * count, seed)
    files = {}
    for name, paths in {
        "search-warm": searches[:count],
        "search": searches[count : 2 * count],
        "search-fragment": searches[2 * count :],
        "ad-warm": ads[:count],
        "ad": ads[count : 2 * count],
        "start": ["/"],
        "healthz": ["/healthz"],
    }.items():
        files[name] = TMP / f"paths-{name}.txt"
        files[name].write_text("\n".join(paths) + "\n")
    db.session.remove()
    db.engine.dispose()
    server = Server(database_url)
    try:
        progress(f"gunicorn on {server.base}; wrk for {size.duration} s per page")
        pages = {
            "healthz": (files["healthz"], False),
            "start": (files["start"], False),
            "search": (files["search"], False),
            "search fragment": (files["search-fragment"], True),
            "ad": (files["ad"], False),
        }
        warm = {
            "healthz": (files["healthz"], False),
            "start": (files["start"], False),
            "search": (files["search-warm"], False),
            "search fragment": (files["search-warm"], True),
            "ad": (files["ad-warm"], False),
        }
        time.sleep(size.warmup)  # the other workers finish starting
        for paths_file, htmx in warm.values():  # every worker warms up
            wrk(server, paths_file, size.warmup, htmx)
        throughput = {}
        for name, (paths_file, htmx) in pages.items():
            throughput[name] = wrk(server, paths_file, size.duration, htmx)
            progress(f"  {name}: {throughput[name]['requests_per_s']} req/s")
        healthz = throughput["healthz"]["requests_per_s"]
        for figures in throughput.values():
            figures["ratio_to_healthz"] = round(figures["requests_per_s"] / max(healthz, 0.1), 3)
        result: dict = {"throughput": throughput}
        if extras:
            progress("page weight and Lighthouse")
            shown = {"start": "/", "search": searches[count], "ad": ads[count]}
            weight = {name: page_weight(server, path) for name, path in shown.items()}
            weight["search fragment"] = page_weight(server, searches[2 * count], htmx=True)
            result["weight"] = weight
            result["weight_paths"] = shown
            result["lighthouse"] = {
                name: lighthouse(server, path, name) for name, path in shown.items()
            }
    finally:
        server.stop()
    return result


# --- the report -------------------------------------------------------------------------------


def verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("PASS" if ok else "MISS")


def summary_rows(results: dict) -> list[tuple[str, str, dict[str, tuple[str, bool | None]]]]:
    """(measure, target, {database: (figure, passed)}) for the headline table."""
    rows: list[tuple[str, str, dict[str, tuple[str, bool | None]]]] = []

    def add(measure: str, target: str, figure) -> None:
        cells = {}
        for name, data in results["databases"].items():
            with contextlib.suppress(KeyError, TypeError, ZeroDivisionError):
                cells[name] = figure(name, data)
        rows.append((measure, target, cells))

    add(
        f"import {results['size']['generated']:,} ads",
        "< 30 s (SQLite)",
        lambda n, d: (
            f"{d['data']['import_s']:.1f} s",
            d["data"]["import_s"] < 30 if n == "sqlite" else None,
        ),
    )
    add(
        f"import + search index, {results['size']['generated']:,} ads",
        "< 45 s (SQLite)",
        lambda n, d: (
            f"{d['data']['import_s'] + d['data'].get('index_s', 0):.1f} s",
            d["data"]["import_s"] + d["data"].get("index_s", 0) < 45 if n == "sqlite" else None,
        ),
    )
    for suite, target in (("text + filters (page)", True), ("text + filters (api)", False)):
        add(
            f"search, {suite.replace('(page)', 'with facets').replace('(api)', 'API, no facets')}"
            " (median / p95)",
            "< 20 ms" if target else "info",
            lambda n, d, s=suite, t=target: (
                f"{d['search'][s]['median_ms']:.1f} / {d['search'][s]['p95_ms']:.1f} ms "
                f"(CPU {d['search'][s]['cpu_median_ms']:.0f} / {d['search'][s]['cpu_p95_ms']:.0f})",
                d["search"][s]["p95_ms"] < 20 if t else None,
            ),
        )
    add(
        "one ad's matches (median / p95)",
        "< 50 ms",
        lambda n, d: (
            f"{d['matches']['median_ms']:.1f} / {d['matches']['p95_ms']:.1f} ms "
            f"(CPU {d['matches']['cpu_median_ms']:.0f} / {d['matches']['cpu_p95_ms']:.0f})",
            d["matches"]["p95_ms"] < 50,
        ),
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
    )
    add(
        "mail delivery to SMTP on loopback",
        "≥ 200 /s",
        lambda n, d: (f"{d['mail']['per_second']:.0f} /s", d["mail"]["per_second"] >= 200),
    )
    for page in ("search", "search fragment", "ad", "start", "healthz"):
        ratio_target = page.startswith("search")
        add(
            f"{page} page: req/s (× /healthz)" if page != "healthz" else "/healthz: req/s",
            "≥ 0.33 × /healthz" if ratio_target else "info",
            lambda n, d, p=page, t=ratio_target: (
                f"{d['http']['throughput'][p]['requests_per_s']:.0f} "
                f"({d['http']['throughput'][p]['ratio_to_healthz']:.2f})",
                d["http"]["throughput"][p]["ratio_to_healthz"] >= 1 / 3 if t else None,
            ),
        )
        add(
            f"{page}: p95 latency, 32 connections",
            "< 50 ms",
            lambda n, d, p=page: (
                "no answer within the run"
                if d["http"]["throughput"][p]["p95_ms"] is None
                else f"{d['http']['throughput'][p]['p95_ms']:.1f} ms",
                (d["http"]["throughput"][p]["p95_ms"] or 1e9) < 50,
            ),
        )
    for page, limit in (("start", 40), ("search", 40), ("ad", 40), ("search fragment", 8)):
        add(
            f"page weight: {page} ({'HTML' if 'fragment' in page else 'HTML + CSS + JS'})",
            f"< {limit} KB",
            lambda n, d, p=page, lim=limit: (
                f"{d['http']['weight'][p]['total_bytes'] / 1000:.1f} KB",
                d["http"]["weight"][p]["total_bytes"] < lim * 1000,
            ),
        )
    for page in ("start", "search", "ad"):
        add(
            f"Lighthouse: {page} (perf / a11y / best practices / SEO)",
            "≥ 95 each",
            lambda n, d, p=page: (
                " / ".join(str(d["http"]["lighthouse"][p]["scores"][c]) for c in CATEGORIES),
                all(d["http"]["lighthouse"][p]["scores"][c] >= 95 for c in CATEGORIES),
            ),
        )
    return rows


def markdown(results: dict) -> str:
    names = list(results["databases"])
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
        "Targets are judged on wall-clock time (p95 where two figures are given). CPU is the "
        "benchmark process's CPU time: on SQLite it includes the database's work, on PostgreSQL "
        "the server's work is not in it. On a machine busy with other work the wall-clock figures "
        "grow with the load average; the CPU figures much less.",
        "",
        "| measure | target | " + " | ".join(names) + " |",
        "|---|---|" + "---|" * len(names),
    ]
    for measure, target, cells in summary_rows(results):
        shown = []
        for name in names:
            if name not in cells:
                shown.append("not measured")
                continue
            figure, passed = cells[name]
            shown.append(figure if passed is None else f"{figure} **{verdict(passed)}**")
        lines.append(f"| {measure} | {target} | " + " | ".join(shown) + " |")
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
                lines.append(
                    f"| {suite} | {f['n']} | {f['median_ms']} | {f['p95_ms']} | {f['max_ms']} "
                    f"| {f['cpu_median_ms']} | {f['cpu_p95_ms']} | {f['mean_hits']:,} |"
                )
        if "http" in data:
            lines += [
                "",
                "| page (wrk -c32 -t2) | req/s | × /healthz | p50 ms | p90 ms | p95 ms | p99 ms "
                "| bytes/response | errors |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
            ]
            for page, f in data["http"]["throughput"].items():
                lines.append(
                    f"| {page} | {f['requests_per_s']} | {f['ratio_to_healthz']} | {f['p50_ms']} "
                    f"| {f['p90_ms']} | {f['p95_ms']} | {f['p99_ms']} | {f['bytes_per_request']} "
                    f"| {f['errors']} |"
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
        for page, report in data.get("http", {}).get("lighthouse", {}).items():
            if "error" in report:
                lines.append(f"- Lighthouse {page}: {report['error']}")
            elif report["failed_audits"]:
                failed = "; ".join(
                    f"{k}: {', '.join(v)}" for k, v in report["failed_audits"].items()
                )
                lines.append(f"- Lighthouse {page}, audits below full marks: {failed}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5,000 ads, short wrk runs")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument(
        "--postgresql-url", default=os.environ.get("BENCH_POSTGRESQL_URL", DEFAULT_PG)
    )
    parser.add_argument("--no-http", action="store_true", help="skip gunicorn, wrk, Lighthouse")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--output", help="file name stem for the .md and .json results")
    args = parser.parse_args()
    size = QUICK if args.quick else FULL
    stem = (
        Path(args.output) if args.output else (TMP / "quick" if args.quick else RESULTS / "latest")
    )
    if not shutil.which("wrk") and not args.no_http:
        sys.exit("wrk is missing: apt-get install -y wrk")

    databases = {"sqlite": f"sqlite:///{TMP / 'run.db'}"}
    if not args.sqlite_only:
        ensure_postgres_database(args.postgresql_url)
        databases["postgresql"] = args.postgresql_url

    results: dict = {
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(),
        "size": {**size.__dict__, "generated": size.generated},
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_before": os.getloadavg()[0],
        },
        "databases": {},
    }
    progress(f"generating {size.generated:,} ads and {size.organisations:,} organisations")
    document = search_bench.generate(size.generated, size.organisations, args.seed)
    all_unexpired(document, args.seed)
    words = document.pop("_vocabulary")
    data_file = TMP / f"run_{size.generated}.json"
    data_file.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")

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
            SEARCH_INDEX_DIR=str(TMP / f"search-index-{name}"),
        )
        data: dict = {}
        results["databases"][name] = data
        with app.app_context():
            data["data"] = build(url, data_file, size, words, args.seed)
            phases = {
                "search": lambda: measure_search(size, words, args.seed),
                "matches": lambda: measure_matches(size, args.seed),
                "publish": lambda app=app: measure_publish(app, size, document, args.seed),
                "mail": lambda app=app: measure_mail(app, size),
            }
            if not args.no_http:
                phases["http"] = lambda url=url, index=index: measure_http(
                    url, size, words, args.seed, extras=index == 0
                )
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
    print(markdown(results))
    print(f"written to {stem.with_suffix('.md')} and .json", file=sys.stderr)


if __name__ == "__main__":
    main()
