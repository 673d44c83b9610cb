"""Search benchmark: import a realistic 100,000-ad data set, then time the ad search.

    .venv/bin/python bench/search_bench.py                      # SQLite file under bench/tmp
    .venv/bin/python bench/search_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench

The data set is generated from the demo texts (marketplace/demo_data/demo.json): titles, sentences
and organisation descriptions are recombined with other places, spread over counties roughly by
population and over challenges as unevenly as in the demo. It is written as an ordinary import
file and imported with the real import service into a fresh database, so the import time is the
one `flask import-data` would show. Search latency (wall and CPU) is measured in-process through
`search_ads`, the same call the /annonser page (with facets) and the JSON API (without) make.

--engine tantivy (the default) also measures the search index (marketplace/search/engine.py):
building it after the import (the import + index time of a new machine), the memory a process
holds for searching (RSS before and after the searches), and a write: the index writer's CPU
for one changed ad, whatever the number of web workers (they only reopen the index). Before
the engine, every worker rebuilt a bitset snapshot of all open ads after each write (1.7 s of
CPU and ~600 MB per worker at 100,000 ads, issue 17); matching used it last and it is gone.
--engine database measures the database's own full text (the fallback).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from marketplace import create_app, reference  # noqa: E402
from marketplace.ads.models import Ad, AdKind, AdStatus  # noqa: E402
from marketplace.clock import today  # noqa: E402
from marketplace.config import Config  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from marketplace.imports import services as imports  # noqa: E402
from marketplace.organisations.models import Sector  # noqa: E402
from marketplace.organisations.names import reserved_body  # noqa: E402
from marketplace.search.services import AdQuery, search_ads  # noqa: E402

TMP = ROOT / "bench" / "tmp"
DEMO = ROOT / "marketplace" / "demo_data" / "demo.json"

# Inhabitants in thousands (SCB, rounded): where organisations and ads are.
COUNTY_WEIGHTS = {
    "01": 2450, "03": 400, "04": 300, "05": 470, "06": 370, "07": 205, "08": 245,
    "09": 61, "10": 157, "12": 1420, "13": 340, "14": 1760, "17": 283, "18": 306,
    "19": 280, "20": 288, "21": 288, "22": 245, "23": 132, "24": 275, "25": 250,
}  # fmt: skip
SECTOR_WEIGHTS = {"civil": 65, "public": 12, "business": 23}
KIND_WEIGHTS = {"need": 45, "offer": 40, "idea": 15}
NAME_WORDS = [
    "Solsidan", "Gemenskap", "Bron", "Framtid", "Vänskap", "Grannar", "Trygghet", "Kraft",
    "Ljuset", "Hopp", "Mötesplatsen", "Ungdom", "Seniorerna", "Kultur", "Naturen", "Gläntan",
    "Fyren", "Kompassen", "Linden", "Vägen", "Hamnen", "Källan", "Tillsammans", "Välkomna",
]  # fmt: skip
STOPWORDS = {
    "och", "att", "som", "för", "med", "till", "den", "det", "har", "inte", "från", "eller",
    "vill", "kan", "våra", "vårt", "vår", "också", "gärna", "under", "efter", "inför", "medan",
    "varje", "många", "fler", "alla", "andra", "egen", "eget", "ungefär", "omkring", "kommer",
    "finns", "behöver", "söker", "erbjuder",
}  # fmt: skip


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text.replace("\n", " ")) if s.strip()]


class Vocabulary:
    """Titles, sentences and descriptions from the demo, keyed by challenge, with their places."""

    def __init__(self, demo: dict) -> None:
        self.places = sorted(
            {m.name for m in reference.municipalities().values()}
            | {"Norrliden", "Berga", "Rosengård", "Holma", "Södermalm", "Rinkeby", "Tensta"}
            | {"Järva", "Hisingen", "Råslätt", "Vivalla", "Möllevången", "Sofielund"},
            key=len,
            reverse=True,
        )
        self._place = re.compile(r"\b(" + "|".join(map(re.escape, self.places)) + r")\b")
        self._parts: dict[str, list[str]] = {}
        self.titles: dict[str, list[str]] = defaultdict(list)
        self.sentences: dict[str, list[str]] = defaultdict(list)
        words: Counter[str] = Counter()
        for ad in demo["ads"]:
            for challenge in ad["challenges"]:
                self.titles[challenge].append(ad["title"])
                self.sentences[challenge].extend(_sentences(ad["body"]))
            for word in re.findall(r"[a-zåäöé]+", (ad["title"] + " " + ad["body"]).lower()):
                if len(word) >= 5 and word not in STOPWORDS:
                    words[word] += 1
        self.descriptions = [
            s for org in demo["organisations"] for s in _sentences(org["description"])
        ]
        self.query_words = [word for word, _n in words.most_common(400)]
        counts = Counter(c for ad in demo["ads"] for c in ad["challenges"])
        self.challenges = list(counts)
        self.challenge_weights = [counts[c] for c in self.challenges]

    def localise(self, text: str, place: str) -> str:
        """The text with its places replaced by `place` (each text split at its places once:
        a regular expression of 300 names over every sentence made 1,000,000 ads take an hour)."""
        parts = self._parts.get(text)
        if parts is None:
            parts = self._parts[text] = self._place.split(text)[::2]
        return place.join(parts)


def _municipalities(county: str) -> tuple[list[str], list[int]]:
    codes = [m.code for m in reference.municipalities_by_county()[county]]
    # The county seat (code ending in 80) is by far the biggest almost everywhere.
    return codes, [6 if code.endswith("80") else 1 for code in codes]


def generate(ads: int, organisations: int, seed: int) -> dict:
    """An import document with `organisations` organisations and `ads` ads."""
    rng = random.Random(seed)
    vocab = Vocabulary(json.loads(DEMO.read_text(encoding="utf-8")))
    counties = list(COUNTY_WEIGHTS)
    county_weights = list(COUNTY_WEIGHTS.values())
    municipality_choices = {code: _municipalities(code) for code in counties}
    orgs = []
    bodies: set[str] = set()  # the import takes one organisation per public body
    for number in range(organisations):
        county = rng.choices(counties, county_weights)[0]
        codes, weights = municipality_choices[county]
        municipality = rng.choices(codes, weights)[0]
        place = reference.municipalities()[municipality].name
        sector = rng.choices(list(SECTOR_WEIGHTS), list(SECTOR_WEIGHTS.values()))[0]
        word = rng.choice(NAME_WORDS)
        if sector == "public":
            name = rng.choice([f"{place} kommun", f"{place} kommun, socialförvaltningen"])
            name = rng.choice([name, reference.counties()[county].region_name])
            body = reserved_body(name)
            if body is not None and body.code in bodies:  # one organisation per public body
                name = f"{word}skolan i {place}"  # a public body's unit: no reserved name
            elif body is not None:
                bodies.add(body.code)
        elif sector == "business":
            name = rng.choice(
                [f"{word} i {place} AB", f"{place} Fastigheter AB", f"{word}konsult AB"]
            )
        else:
            name = rng.choice(
                [
                    f"Föreningen {word} {place}",
                    f"Stiftelsen {word}",
                    f"Kooperativet {word} i {place}",
                    f"Svenska kyrkan i {place}",
                    f"IF {word} {place}",
                    f"Kvinnojouren i {place}",
                    f"{place} {word.lower()}förening",
                ]
            )
        description = " ".join(
            vocab.localise(s, place) for s in rng.sample(vocab.descriptions, rng.randint(1, 3))
        )
        challenges = sorted(
            set(rng.choices(vocab.challenges, vocab.challenge_weights, k=rng.randint(1, 3)))
        )
        orgs.append(
            {
                "ref": f"bo{number}",
                "name": name,
                "org_number": None,
                "sector": sector,
                "county": county,
                "municipality": municipality,
                "description": description,
                "challenges": challenges,
                # Regions' and municipalities' names are reserved: an import must say how
                # they were verified (README, Bulk import).
                **({"verified_via": "review"} if sector == "public" else {}),
            }
        )
    start = today() - timedelta(days=180)
    items = []
    for number in range(ads):
        org = rng.choice(orgs)
        challenges = sorted(
            set(rng.choices(vocab.challenges, vocab.challenge_weights, k=rng.randint(1, 3)))
        )
        area = rng.random()
        county = org["county"] if area > 0.08 else None  # 8 % for all of Sweden
        municipality = org["municipality"] if county and area > 0.45 else None
        place = reference.municipalities()[org["municipality"]].name
        main = challenges[0]
        sentences = rng.sample(
            vocab.sentences[main], min(len(vocab.sentences[main]), rng.randint(2, 5))
        )
        published = start + timedelta(days=rng.randint(0, 180))
        items.append(
            {
                "ref": f"ba{number}",
                "organisation": org["ref"],
                "kind": rng.choices(list(KIND_WEIGHTS), list(KIND_WEIGHTS.values()))[0],
                "title": vocab.localise(rng.choice(vocab.titles[main]), place)[:120],
                "body": " ".join(vocab.localise(s, place) for s in sentences),
                "challenges": challenges,
                "county": county,
                "municipality": municipality,
                "seeking": sorted(rng.sample(list(SECTOR_WEIGHTS), rng.randint(1, 3))),
                "published": published.isoformat(),
                "expires": (published + timedelta(days=rng.randint(30, 240))).isoformat(),
            }
        )
    return {"organisations": orgs, "ads": items, "_vocabulary": vocab.query_words}


def text_queries(words: list[str], count: int, rng: random.Random) -> list[str]:
    """One or two common words; a fifth end with a half-typed word, as in live search."""
    queries = []
    for _ in range(count):
        picked = rng.sample(words[:200], rng.choice([1, 1, 2]))
        if rng.random() < 0.2:
            picked[-1] = picked[-1][: max(4, len(picked[-1]) // 2)]
        queries.append(" ".join(picked))
    return queries


def filter_queries(count: int, rng: random.Random, text: list[str] | None = None) -> list[AdQuery]:
    challenges = list(reference.challenges())
    counties = list(COUNTY_WEIGHTS)
    queries = []
    for index in range(count):
        query = AdQuery(sort="newest", text=text[index] if text else "")
        for name in rng.sample(
            ["kind", "challenge", "county", "seeking", "sector"], rng.randint(1, 3)
        ):
            if name == "kind":
                query.kinds = [rng.choice(list(AdKind))]
            elif name == "challenge":
                query.challenges = rng.sample(challenges, rng.randint(1, 2))
            elif name == "county":
                query.county = rng.choices(counties, list(COUNTY_WEIGHTS.values()))[0]
                if rng.random() < 0.5:
                    codes, weights = _municipalities(query.county)
                    query.municipality = rng.choices(codes, weights)[0]
            elif name == "seeking":
                query.seeking = [rng.choice(list(Sector))]
            else:
                query.sectors = [rng.choice(list(Sector))]
        if text:
            query.sort = "relevance"
        queries.append(query)
    return queries


CPU_TIMES: list[float] = []


def timed(queries: list[AdQuery], with_facets: bool) -> tuple[list[float], int]:
    """Milliseconds per query (first page of 20), and the total number of hits; the CPU time of
    each (this process, all its threads) goes to CPU_TIMES."""
    times, hits = [], 0
    CPU_TIMES.clear()
    for query in queries:
        started, cpu = time.perf_counter(), time.process_time()
        result = search_ads(query, page=1, per_page=20, with_facets=with_facets)
        times.append((time.perf_counter() - started) * 1000)
        CPU_TIMES.append((time.process_time() - cpu) * 1000)
        hits += result.total
        db.session.rollback()  # end the read transaction, as a request would
    return times, hits


def rss_mb() -> tuple[float, float]:
    """This process's resident memory: (anonymous, file-backed) MB, from /proc."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("RssAnon:", "RssFile:")):
            name, amount = line.split(":")
            values[name] = int(amount.split()[0]) / 1024
    return values.get("RssAnon", 0.0), values.get("RssFile", 0.0)


def measure_writes(count: int, rng: random.Random) -> dict[str, float]:
    """CPU of the index writer per changed ad (median of `count` single-ad commits)."""
    from marketplace.search import engine

    ids = db.session.scalars(
        sa.select(Ad.id).where(Ad.status == AdStatus.OPEN).order_by(Ad.id).limit(5000)
    ).all()
    writer = engine.get()
    writer.catch_up()
    cpu_index, wall_commit = [], []
    for ad_id in rng.sample(list(ids), count):
        ad = db.session.get(Ad, ad_id)
        started = time.perf_counter()
        ad.title = ad.title + " (uppdaterad)"
        db.session.commit()
        wall_commit.append((time.perf_counter() - started) * 1000)
        cpu = time.process_time()
        writer.catch_up()
        cpu_index.append((time.process_time() - cpu) * 1000)
    return {
        "index_cpu_ms": statistics.median(cpu_index),
        "commit_ms": statistics.median(wall_commit),
    }


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def analyze() -> None:
    """Statistics for the planner after building; on PostgreSQL VACUUM too: bulk updates (closing
    ads, setting last days) leave a dead row per ad, which doubles the heap pages a full-text
    lookup visits until autovacuum gets there (on a live database it has)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE"
            )
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


def fresh_database(url: str) -> None:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    db.drop_all()
    db.create_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=f"sqlite:///{TMP / 'bench.db'}")
    parser.add_argument("--ads", type=int, default=100_000)
    parser.add_argument("--organisations", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--closed", type=float, default=0.1, help="share of ads to close after import"
    )
    parser.add_argument("--engine", choices=("tantivy", "database"), default="tantivy")
    args = parser.parse_args()
    TMP.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)

    load_before = os.getloadavg()[0]
    progress(f"generating {args.ads:,} ads and {args.organisations:,} organisations")
    started = time.perf_counter()
    document = generate(args.ads, args.organisations, args.seed)
    words = document.pop("_vocabulary")
    data_file = TMP / f"bench_{args.ads}.json"
    data_file.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    generated = time.perf_counter() - started
    size = data_file.stat().st_size / 1e6

    # A throwaway key: the benchmark never serves requests.
    index_dir = TMP / f"search-index-{args.ads}"
    app = create_app(
        Config,
        SECRET_KEY="bench-only",  # noqa: S106
        SQLALCHEMY_DATABASE_URI=args.database_url,
        SEARCH_ENGINE=args.engine,
        SEARCH_INDEX_DIR=str(index_dir),
    )
    index_seconds = index_cpu = 0.0
    with app.app_context():
        fresh_database(args.database_url)
        dialect = db.engine.dialect.name
        progress(f"importing into {dialect}")
        started, cpu = time.perf_counter(), time.process_time()
        report = imports.import_file(data_file)
        import_seconds = time.perf_counter() - started
        import_cpu = time.process_time() - cpu
        progress(f"imported in {import_seconds:.1f} s: {report}")
        started, cpu = time.perf_counter(), time.process_time()
        again = imports.import_file(data_file)
        reimport_seconds = time.perf_counter() - started
        reimport_cpu = time.process_time() - cpu
        # Some ads have found their partner: closed ads must not slow the search down.
        ids = db.session.scalars(sa.select(Ad.id)).all()
        closed = rng.sample(list(ids), int(len(ids) * args.closed))
        for start in range(0, len(closed), 5000):
            db.session.execute(
                sa.update(Ad)
                .where(Ad.id.in_(closed[start : start + 5000]))
                .values(status=AdStatus.PARTNER_FOUND)
            )
        db.session.commit()
        analyze()
        if args.engine == "tantivy":
            from marketplace.search import engine

            progress("building the search index")
            started, cpu = time.perf_counter(), time.process_time()
            engine.get().rebuild()
            index_seconds = time.perf_counter() - started
            index_cpu = time.process_time() - cpu
            progress(f"index built in {index_seconds:.1f} s")
            engine._engines.clear()  # searches open it afresh, as a new web worker would
        memory_before = rss_mb()
        open_ads = db.session.scalar(
            sa.select(sa.func.count(Ad.id)).where(
                Ad.status == AdStatus.OPEN, Ad.expires_on >= today()
            )
        )

        progress("searching")
        texts = text_queries(words, args.queries, rng)
        suites = {
            "text": [AdQuery(text=q, sort="relevance") for q in texts],
            "filters": filter_queries(args.queries, rng),
            "text + filters": filter_queries(
                args.queries, rng, text_queries(words, args.queries, rng)
            ),
        }
        timed(suites["text"][:20], True)  # warm the caches and the connection pool
        rows = []
        for name, queries in suites.items():
            for with_facets, caller in ((True, "page (facets)"), (False, "API (no facets)")):
                times, hits = timed(queries, with_facets)
                progress(f"{name}, {caller}: median {statistics.median(times):.1f} ms")
                rows.append(
                    (
                        name,
                        caller,
                        len(queries),
                        statistics.median(times),
                        percentile(times, 0.95),
                        max(times),
                        statistics.median(CPU_TIMES),
                        hits / len(queries),
                    )
                )
        memory_after = rss_mb()
        writes = measure_writes(20, rng) if args.engine == "tantivy" else {}

    print(f"\n## {dialect}: {args.ads:,} ads, {args.organisations:,} organisations\n")
    print(f"- data file: {size:.0f} MB, generated in {generated:.1f} s")
    # CPU time is this process only (for PostgreSQL the server's work is not in it); on a busy
    # machine it shows what the import costs better than the wall clock does.
    print(f"- import: {import_seconds:.1f} s wall, {import_cpu:.1f} s CPU ({report})")
    print(f"- search engine: {args.engine}")
    if args.engine == "tantivy":
        print(f"- index build: {index_seconds:.1f} s wall, {index_cpu:.1f} s CPU")
        print(
            f"- import + index: {import_seconds + index_seconds:.1f} s wall "
            f"(a new machine also builds the index only once)"
        )
    print(
        f"- memory for searching (RSS growth over all searches): anonymous "
        f"{memory_after[0] - memory_before[0]:+.0f} MB, file-backed (the index, shared "
        f"between workers) {memory_after[1] - memory_before[1]:+.0f} MB"
    )
    if writes:
        print(
            f"- a write (one ad changed): commit {writes['commit_ms']:.1f} ms; index writer "
            f"{writes['index_cpu_ms']:.1f} ms CPU, once per machine; web workers only reopen "
            "the index"
        )
    print(
        f"- second import of the same file: {reimport_seconds:.1f} s wall, "
        f"{reimport_cpu:.1f} s CPU ({again})"
    )
    print(f"- open ads after closing {args.closed:.0%}: {open_ads:,}")
    print(f"- load average (1 min) before/after: {load_before:.1f} / {os.getloadavg()[0]:.1f}")
    print(f"- CPUs: {os.cpu_count()}; Python {sys.version.split()[0]}\n")
    print("| queries | caller | n | median ms | p95 ms | max ms | CPU median ms | mean hits |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name, caller, n, median, p95, slowest, cpu, hits in rows:
        print(
            f"| {name} | {caller} | {n} | {median:.1f} | {p95:.1f} | {slowest:.1f} | {cpu:.1f} "
            f"| {hits:,.0f} |"
        )
    print()
    print("sample text queries:", ", ".join(repr(q) for q in texts[:8]))


if __name__ == "__main__":
    main()
