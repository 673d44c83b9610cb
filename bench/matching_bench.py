"""Matching benchmark: one ad's matches (matching.find_matches) among 100,000 open ads.

    .venv/bin/python bench/matching_bench.py                      # SQLite file under bench/tmp
    .venv/bin/python bench/matching_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench
    .venv/bin/python bench/matching_bench.py --reuse              # time again, same database

The data is search_bench's: ads generated from the demo texts, spread over counties by
population and over challenges as unevenly as in the demo, imported with the real import
service. Then every ad is made open (last day 30 to 240 days ahead) unless --closed asks for a
share to be closed, so "100,000 ads" means 100,000 open ads to match against. Latency is
measured in-process through `find_matches(ad, limit=10)`, the call the ad page's matches block,
the organisation's matches page and the API make, for randomly chosen open ads; the document
frequency table (built once per MATCHING_DF_MAX_AGE seconds per process) and the search index
the candidates come from (built once per machine, then kept current by the worker; under
bench/tmp, built again when missing or stale) are timed apart. The process's resident memory is
reported before matching and after the timing (the index is memory-mapped: file-backed, shared
by every process of the machine).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import sqlalchemy as sa  # noqa: E402
from search_bench import analyze, fresh_database, generate, percentile, rss_mb  # noqa: E402

from marketplace import create_app  # noqa: E402
from marketplace.ads.models import (  # noqa: E402
    Ad,
    AdStatus,
    open_ads_condition,
)
from marketplace.clock import today  # noqa: E402
from marketplace.config import Config  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from marketplace.imports import services as imports  # noqa: E402
from marketplace.matching import models as matching_models  # noqa: E402
from marketplace.matching import services as matching  # noqa: E402
from marketplace.matching import terms  # noqa: E402
from marketplace.search import engine  # noqa: E402

TMP = ROOT / "bench" / "tmp"


def build(args: argparse.Namespace, rng: random.Random) -> str:
    """Generate, import, open every ad (or close a share); returns what was done."""
    data_file = TMP / f"bench_{args.ads}.json"
    if not data_file.exists():  # search_bench writes the same file for the same size and seed
        document = generate(args.ads, args.organisations, args.seed)
        document.pop("_vocabulary")
        data_file.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    fresh_database(args.database_url)
    started = time.perf_counter()
    report = imports.import_file(data_file)
    seconds = time.perf_counter() - started
    ids = db.session.scalars(sa.select(Ad.id).order_by(Ad.id)).all()
    for start in range(0, len(ids), 5000):  # one last day per ad, the same on every database
        db.session.execute(
            sa.update(Ad),
            [
                {"id": ad_id, "expires_on": today() + timedelta(days=rng.randint(30, 240))}
                for ad_id in ids[start : start + 5000]
            ],
        )
        db.session.commit()
    closed = rng.sample(list(ids), int(len(ids) * args.closed))
    for start in range(0, len(closed), 5000):
        db.session.execute(
            sa.update(Ad)
            .where(Ad.id.in_(closed[start : start + 5000]))
            .values(status=AdStatus.PARTNER_FOUND)
        )
    db.session.commit()
    return f"import {seconds:.1f} s ({report})"


def prepare() -> None:
    """What migrations would have created on a database built before matching existed."""
    with db.engine.begin() as connection:
        matching_models.create_vocabulary(connection)
        matching_models.MATCHING_INDEX.create(connection, checkfirst=True)
    analyze()


def time_matches(ads: list[int], limit: int = 10) -> tuple[list[float], list[float], list[int]]:
    """Wall and CPU milliseconds per find_matches call, and how many matches each returned."""
    wall, cpu, found = [], [], []
    for ad_id in ads:
        ad = db.session.get(Ad, ad_id)
        started, process = time.perf_counter(), time.process_time()
        matches = matching.find_matches(ad, limit=limit)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - process) * 1000)
        found.append(len(matches))
        db.session.rollback()  # end the read transaction, as a request would
    return wall, cpu, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=f"sqlite:///{TMP / 'matching_bench.db'}")
    parser.add_argument("--ads", type=int, default=100_000)
    parser.add_argument("--organisations", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=200, help="ads whose matches are timed")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--closed", type=float, default=0.0, help="share of ads to close")
    parser.add_argument("--reuse", action="store_true", help="time an existing database again")
    args = parser.parse_args()
    TMP.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    load_before = os.getloadavg()[0]

    app = create_app(
        Config,
        SECRET_KEY="bench-only",  # noqa: S106  never serves a request
        SQLALCHEMY_DATABASE_URI=args.database_url,
        SEARCH_INDEX_DIR=str(TMP / f"matching-index-{args.database_url.split(':')[0]}"),
    )
    with app.app_context(), app.test_request_context():
        dialect = db.engine.dialect.name
        built = "reused" if args.reuse else build(args, rng)
        prepare()
        open_ads = db.session.scalar(sa.select(sa.func.count(Ad.id)).where(open_ads_condition()))
        total = db.session.scalar(sa.select(sa.func.count(Ad.id)))

        started, process = time.perf_counter(), time.process_time()
        index = engine.get()
        why = index.needs_rebuild()
        if why:
            index.rebuild()
        index.catch_up()
        index_seconds = time.perf_counter() - started
        index_cpu = time.process_time() - process
        index_state = f"built ({why})" if why else "current, reused"
        engine._engines.clear()  # matching opens it afresh, as a web worker would
        memory_before = rss_mb()
        started = time.perf_counter()
        stats = terms.term_stats()
        df_seconds = time.perf_counter() - started

        ids = db.session.scalars(sa.select(Ad.id).where(open_ads_condition())).all()
        sample = rng.sample(list(ids), min(args.queries, len(ids)))
        time_matches(sample[:10])  # warm the caches and the connection pool
        wall, cpu, found = time_matches(sample)
        memory_after = rss_mb()

    print(f"\n## matching on {dialect}: {open_ads:,} open ads of {total:,} ({built})\n")
    print(
        f"- document frequencies: {len(stats.df):,} terms, built in {df_seconds:.2f} s "
        "(once per MATCHING_DF_MAX_AGE per process)"
    )
    print(
        f"- search index: {index_state} in {index_seconds:.2f} s ({index_cpu:.2f} s CPU; once "
        "per machine, then kept current by the worker)"
    )
    print(
        f"- memory of this process (RSS) before matching / after the timing: "
        f"{memory_before[0]:.0f} / {memory_after[0]:.0f} MB anonymous, "
        f"{memory_before[1]:.0f} / {memory_after[1]:.0f} MB file-backed"
    )
    print(f"- load average (1 min) before/after: {load_before:.1f} / {os.getloadavg()[0]:.1f}")
    print(f"- CPUs: {os.cpu_count()}; Python {sys.version.split()[0]}\n")
    print("| call | n | median ms | p95 ms | max ms | CPU median ms | CPU p95 ms | mean matches |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| find_matches(ad, limit=10) | {len(wall)} | {statistics.median(wall):.1f} | "
        f"{percentile(wall, 0.95):.1f} | {max(wall):.1f} | {statistics.median(cpu):.1f} | "
        f"{percentile(cpu, 0.95):.1f} | {statistics.mean(found):.1f} |"
    )


if __name__ == "__main__":
    main()
