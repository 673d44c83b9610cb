"""Saved-search benchmark: time publishing an ad with 10,000 saved searches present.

    .venv/bin/python bench/alerts_bench.py                      # SQLite file under bench/tmp
    .venv/bin/python bench/alerts_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench

Loads the demo organisations and ads (marketplace/demo_data), then saves N searches spread like
real ones would be: most with a word or two from the demo texts, many narrowed to a county (a
few to a municipality), some to a challenge, a kind or a partner sector. `--immediate` sets the
share with the rhythm "Direkt" (1.0 by default: the worst case, every search is checked on every
publish). Then it publishes ads from the demo texts, each in its own transaction, and reports
how long `alert_new_ad` (the saved-search part of ads.events.ad_published: working out whom to
alert and recording it) takes, the whole publish (validation, insert, the saved-search part,
commit) without the other domains' reactions, and the worker's writing of the alert e-mails
into the outbox afterwards (notifications.write_deferred).
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from marketplace import create_app, reference  # noqa: E402
from marketplace.accounts.models import User  # noqa: E402
from marketplace.ads import services as ad_services  # noqa: E402
from marketplace.ads.models import Ad, AdKind  # noqa: E402
from marketplace.alerts import services as alerts  # noqa: E402
from marketplace.alerts.models import Rhythm, SavedSearch, SavedSearchChallenge  # noqa: E402
from marketplace.clock import utcnow  # noqa: E402
from marketplace.config import Config  # noqa: E402
from marketplace.demo import load_demo_data  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from marketplace.notifications import services as notifications  # noqa: E402
from marketplace.organisations.models import Organisation, Sector  # noqa: E402
from marketplace.search import index as search_index  # noqa: E402

TMP = ROOT / "bench" / "tmp"
STOPWORD_TEXT = (
    "och att som för med till den det har inte från eller vill kan våra vårt vår också gärna "
    "under efter inför varje många fler alla andra egen eget ungefär vi ni de en ett är på i "
    "av om ska man sig sin sina oss er där här hur vad när kommer finns både mellan genom"
)
STOPWORDS = frozenset(STOPWORD_TEXT.split())


class BenchConfig(Config):
    TESTING = False
    DEBUG = True  # allows the development secret
    MAIL_BACKEND = "memory"
    HUEY_IMMEDIATE = True


def vocabulary() -> list[str]:
    words: Counter[str] = Counter()
    for ad in db.session.scalars(sa.select(Ad)):
        for word in re.findall(r"\w+", f"{ad.title} {ad.body}".lower()):
            if len(word) > 3 and word not in STOPWORDS and not word.isdigit():
                words[word] += 1
    return [word for word, _count in words.most_common(400)]


def save_searches(count: int, immediate: float, without_words: float, rng: random.Random) -> None:
    words = vocabulary()
    counties = list(reference.counties())
    municipalities = reference.municipalities_by_county()
    challenges = list(reference.challenges())
    users = [
        User(
            email=f"bench{number}@example.com",
            name=f"Bench {number}",
            password_hash="not-a-hash",  # noqa: S106  nobody logs in
            email_confirmed_at=utcnow(),
        )
        for number in range(max(1, count // 5))
    ]
    db.session.add_all(users)
    db.session.flush()
    rows, links = [], []
    for number in range(count):
        county = rng.choice(counties) if rng.random() < 0.6 else None
        municipality = None
        if county and rng.random() < 0.2:
            municipality = rng.choice(municipalities[county]).code
        text = ""
        if rng.random() >= without_words:
            text = " ".join(rng.sample(words, rng.choice((1, 1, 1, 2, 2, 3))))
        saved = SavedSearch(
            user_id=users[number % len(users)].id,
            name=f"Bevakning {number}",
            rhythm=Rhythm.IMMEDIATE if rng.random() < immediate else Rhythm.DAILY,
            text=text,
            county_code=county,
            municipality_code=municipality,
        )
        if rng.random() < 0.25:
            saved.kinds = rng.sample(list(AdKind), rng.choice((1, 2)))
        if rng.random() < 0.15:
            saved.seeking = rng.sample(list(Sector), 1)
        if rng.random() < 0.1:
            saved.sectors = rng.sample(list(Sector), 1)
        rows.append(saved)
    db.session.add_all(rows)
    db.session.flush()
    for saved in rows:
        if rng.random() < 0.35:
            for slug in rng.sample(challenges, rng.choice((1, 1, 2))):
                links.append(SavedSearchChallenge(saved_search_id=saved.id, challenge=slug))
    db.session.add_all(links)
    db.session.commit()


def publish_timings(runs: int, rng: random.Random) -> tuple[list[float], ...]:
    templates = list(db.session.scalars(sa.select(Ad).limit(200)))
    organisations = list(db.session.scalars(sa.select(Organisation)))
    counties = [None, *reference.counties()]
    alert_ms, alert_cpu_ms, publish_ms, alerts_queued = [], [], [], []
    worker_ms, worker_cpu_ms = [], []
    for _run in range(runs):
        template = rng.choice(templates)
        fields = {
            "kind": template.kind,
            "title": template.title,
            "body": template.body,
            "challenges": template.challenge_slugs,
            "county_code": rng.choice(counties),
            "seeking": template.seeking,
        }
        started = time.perf_counter()
        ad = ad_services.build_ad(rng.choice(organisations), None, **fields)
        db.session.flush()
        before, before_cpu = time.perf_counter(), time.process_time()
        queued = alerts.alert_new_ad(ad)
        after, after_cpu = time.perf_counter(), time.process_time()
        db.session.commit()
        finished = time.perf_counter()
        worker_cpu = time.process_time()
        while notifications.write_deferred():  # the worker's part, after the commit
            pass
        worker_ms.append((time.perf_counter() - finished) * 1000)
        worker_cpu_ms.append((time.process_time() - worker_cpu) * 1000)
        alert_ms.append((after - before) * 1000)
        alert_cpu_ms.append((after_cpu - before_cpu) * 1000)
        publish_ms.append((finished - started) * 1000)
        alerts_queued.append(queued)
    return alert_ms, alert_cpu_ms, publish_ms, alerts_queued, worker_ms, worker_cpu_ms


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=f"sqlite:///{TMP / 'alerts_bench.db'}")
    parser.add_argument("--searches", type=int, default=10_000)
    parser.add_argument("--immediate", type=float, default=1.0, help="share with rhythm Direkt")
    parser.add_argument(
        "--without-words", type=float, default=0.15, help="share of searches with filters only"
    )
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    TMP.mkdir(parents=True, exist_ok=True)
    if args.database_url.startswith("sqlite:///"):
        Path(args.database_url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    app = create_app(BenchConfig, SQLALCHEMY_DATABASE_URI=args.database_url)
    rng = random.Random(args.seed)
    with app.app_context(), app.test_request_context():
        db.drop_all()
        with db.engine.begin() as connection:
            search_index.drop_index(connection)
        db.create_all()
        load_demo_data(only_if_empty=False)
        started = time.perf_counter()
        save_searches(args.searches, args.immediate, args.without_words, rng)
        print(
            f"{args.searches} saved searches ({args.immediate:.0%} immediate, "
            f"{args.without_words:.0%} without words) "
            f"saved in {time.perf_counter() - started:.1f} s on {db.engine.dialect.name}"
        )
        publish_timings(3, rng)  # warm caches (stemmer, templates, statement cache)
        alert_ms, alert_cpu_ms, publish_ms, queued, worker_ms, worker_cpu_ms = publish_timings(
            args.runs, rng
        )
        print(
            f"alert_new_ad: median {statistics.median(alert_ms):.1f} ms, "
            f"p95 {percentile(alert_ms, 0.95):.1f} ms, max {max(alert_ms):.1f} ms "
            f"(CPU time of this process: median {statistics.median(alert_cpu_ms):.1f} ms, "
            f"p95 {percentile(alert_cpu_ms, 0.95):.1f} ms)"
        )
        print(
            f"publish incl. alerts and commit: median {statistics.median(publish_ms):.1f} ms, "
            f"p95 {percentile(publish_ms, 0.95):.1f} ms, max {max(publish_ms):.1f} ms"
        )
        print(f"alerts per ad: median {statistics.median(queued):.0f}, max {max(queued)}")
        print(
            f"worker writing them into the outbox: median {statistics.median(worker_ms):.1f} ms, "
            f"p95 {percentile(worker_ms, 0.95):.1f} ms (CPU median "
            f"{statistics.median(worker_cpu_ms):.1f} ms)"
        )
        db.session.remove()
        db.drop_all()


if __name__ == "__main__":
    main()
