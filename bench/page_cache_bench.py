"""The search page's rendering and HTTP caching, measured alone (issue 17's "Rendering" and
"HTTP caching"), on SQLite:

    .venv/bin/python bench/page_cache_bench.py [--ads 20000] [--pages 300] [--seconds 5]

1. CPU per search page in this process (Flask's test client, production settings, the shared
   cache on as in production): distinct anonymous searches (bench/run.py's mix: one or two
   words and one filter), each URL asked once, so no answer is reused; cards and filter forms
   already drawn by earlier searches are. Median and p95 of CPU ms, against /healthz.
2. Over HTTP (gunicorn as in production, wrk -c32 -t2, Accept-Encoding: gzip, br): /healthz,
   the distinct searches, one search URL repeated anonymously, and the same with the
   If-None-Match a browser would send; requests/s and the ratio to /healthz from the same run.

The data (bench/run.py's generator and import) is built once into bench/tmp/page_cache_<n>.db.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import run  # noqa: E402  bench/run.py: data, gunicorn and wrk helpers

from marketplace import create_app  # noqa: E402
from marketplace.config import Config  # noqa: E402
from marketplace.extensions import db  # noqa: E402

IF_NONE_MATCH_SCRIPT = r"""
local path, etag
function init(args)
  path = args[1]
  etag = args[2]
  wrk.headers["Accept-Encoding"] = "gzip, br"
  if etag ~= "" then wrk.headers["If-None-Match"] = etag end
end
function request() return wrk.format("GET", path) end
function done(summary, latency, requests)
  io.write(string.format('WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"status_errors": %d, "socket_errors": %d, "p50_us": %d, "p90_us": %d, "p95_us": %d, ' ..
    '"p99_us": %d, "max_us": %d}\n', summary.requests, summary.duration, summary.bytes,
    summary.errors.status, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, latency:percentile(50),
    latency:percentile(90), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def build(url: str, ads: int, seed: int) -> list[str]:
    size = run.Size(ads, max(200, ads // 5), 100, 40, 20, 10, 100, 5, 3)
    words_file = run.TMP / f"page_cache_{ads}.words.json"
    if words_file.exists():
        return json.loads(words_file.read_text())
    document = run.search_bench.generate(size.generated, size.organisations, seed)
    run.all_unexpired(document, seed)
    words = document.pop("_vocabulary")
    data_file = run.TMP / f"page_cache_{ads}.json"
    data_file.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    run.build(url, data_file, size, words, seed)
    words_file.write_text(json.dumps(words, ensure_ascii=False))
    return words


def cpu_per_page(app, paths: list[str]) -> dict:
    client = app.test_client()
    for path in paths[:20]:  # warm the per-process snapshot, templates and the connection pool
        client.get(path)
    figures = {}
    for name, urls in (("healthz", ["/healthz"] * 200), ("search", paths[20:])):
        cpu = []
        for url in urls:
            started = time.process_time()
            response = client.get(url)
            cpu.append((time.process_time() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        figures[name] = {
            "n": len(cpu),
            "cpu_median_ms": round(statistics.median(cpu), 2),
            "cpu_p95_ms": round(run.percentile(cpu, 0.95), 2),
        }
    # The same searches again, each drawn afresh (no stored answer), but with the cards and
    # forms the first round drew: the cost of a search page for ads already seen.
    app.config["HTTP_CACHE_ENABLED"] = False
    cpu = []
    for url in paths[20:]:
        started = time.process_time()
        client.get(url)
        cpu.append((time.process_time() - started) * 1000)
    app.config["HTTP_CACHE_ENABLED"] = True
    figures["search, again (cards drawn)"] = {
        "n": len(cpu),
        "cpu_median_ms": round(statistics.median(cpu), 2),
        "cpu_p95_ms": round(run.percentile(cpu, 0.95), 2),
    }
    return figures


def wrk_one(server, path: str, etag: str, seconds: int) -> dict:
    run.drain(server)  # the last run's queued requests first
    script = run.TMP / "if_none_match.lua"
    script.write_text(IF_NONE_MATCH_SCRIPT)
    command = [
        "wrk", "--latency", "-c32", "-t2", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(script), server.base, "--", path, etag,
    ]  # fmt: skip
    out = run.subprocess.run(command, capture_output=True, text=True, check=True).stdout
    raw = json.loads(
        next(line for line in out.splitlines() if line.startswith("WRK_JSON ")).split(" ", 1)[1]
    )
    return {
        "requests_per_s": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p95_ms": round(raw["p95_us"] / 1000, 1),
        "errors": raw["status_errors"] + raw["socket_errors"],
    }


def over_http(url: str, paths: list[str], seconds: int) -> dict:
    files = {}
    for name, chosen in (("healthz", ["/healthz"]), ("search", paths), ("warm", paths[:100])):
        files[name] = run.TMP / f"page-cache-{name}.txt"
        files[name].write_text("\n".join(chosen) + "\n")
    server = run.Server(url)
    try:
        time.sleep(3)
        repeated = paths[0]
        files["repeated"] = run.TMP / "page-cache-repeated.txt"
        files["repeated"].write_text(repeated + "\n")
        run.wrk(server, files["warm"], 3)  # every worker builds its search snapshot
        run.wrk(server, files["repeated"], 2)
        _status, _body, headers = run.fetch(server.base + repeated)
        etag = headers.get("ETag", "")
        # The repeats first: a run of slow distinct searches leaves a queue behind it.
        results = {
            "healthz": run.wrk(server, files["healthz"], seconds),
            "search (one URL repeated)": wrk_one(server, repeated, "", seconds),
            "search (repeated, If-None-Match)": wrk_one(server, repeated, etag, seconds),
            "search (distinct URLs)": run.wrk(server, files["search"], seconds),
        }
        results["search (repeated, If-None-Match)"]["etag"] = etag or None
    finally:
        server.stop()
    healthz = results["healthz"]["requests_per_s"]
    for figures in results.values():
        figures["ratio_to_healthz"] = round(figures["requests_per_s"] / max(healthz, 0.1), 3)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ads", type=int, default=20_000)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-http", action="store_true")
    args = parser.parse_args()
    path = run.TMP / f"page_cache_{args.ads}.db"
    url = f"sqlite:///{path}"
    settings = {
        "SECRET_KEY": "bench-only",
        "SQLALCHEMY_DATABASE_URI": url,
        "BASE_URL": "http://127.0.0.1:5000",
        "HUEY_IMMEDIATE": False,
        "MAIL_BACKEND": "file",
        "MAIL_FILE_DIR": str(run.TMP / "mail"),
    }
    app = create_app(Config, **settings)
    with app.app_context():
        words = build(url, args.ads, args.seed)
        paths = run.search_paths(words, args.pages + 20, args.seed)
        result = {"ads": args.ads, "commit": run.git_commit(), "load": os.getloadavg()[0]}
        result["in_process"] = cpu_per_page(app, paths)
        db.session.remove()
        db.engine.dispose()
        if not args.no_http:
            result["http"] = over_http(
                url, run.search_paths(words, 500, args.seed + 1), args.seconds
            )
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
