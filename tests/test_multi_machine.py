"""More than one machine: two app servers and two workers share one database and one Redis."""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from marketplace import create_app
from marketplace.config import TestConfig
from marketplace.extensions import db
from marketplace.notifications import services as notifications
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _redis_available(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on {port} did not start")


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A Redis of this test run's own (redis-server on a free port, nothing saved to disk), so
    that parallel runs never share rate limits or queues; TEST_REDIS_URL names another."""
    if os.environ.get("TEST_REDIS_URL"):
        url = os.environ["TEST_REDIS_URL"].rstrip("/")
        if not _redis_available(url):
            pytest.skip(f"Redis is not answering at {url}")
        yield url
        return
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = _free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path_factory.mktemp("redis"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while not _redis_available(url):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"redis-server on port {port} did not start")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def cluster(tmp_path, smtp_server, redis_url):
    """Shared PostgreSQL (or an SQLite file when the suite runs on SQLite) and Redis; env for processes."""
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path / 'cluster.db'}"
    for number in (7, 8):
        redis.Redis.from_url(f"{redis_url}/{number}").flushdb()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "cluster-shared-secret",
        "BASE_URL": "http://127.0.0.1",
        "RATELIMIT_STORAGE_URI": f"{redis_url}/7",
        "RATELIMIT_LOGIN": "4 per minute",
        "RATELIMIT_LOGIN_ACCOUNT": "100 per minute",
        "HUEY_REDIS_URL": f"{redis_url}/8",
        "MAIL_SERVER": smtp_server.hostname,
        "MAIL_PORT": str(smtp_server.port),
        "SEARCH_INDEX_DIR": str(tmp_path / "search-index"),  # one machine's, unless a test says
    }
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url)
    processes: list[subprocess.Popen] = []
    with app.app_context():
        db.drop_all()
        db.create_all()
        smtp_server.handler.messages.clear()
        yield app, environment, processes
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=15)
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def _start_server(environment: dict, processes: list) -> int:
    port = _free_port()
    processes.append(
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                "1",
                "--bind",
                f"127.0.0.1:{port}",
                "app:app",
            ],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )
    _wait_until_up(port)
    return port


def _start_worker(environment: dict, processes: list) -> None:
    processes.append(
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "worker", "--workers", "2"],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )


def _browser() -> urllib.request.OpenerDirector:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
    )


def _status(opener, url: str, data: dict | None = None) -> tuple[int, str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with opener.open(url, data=body, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _log_in(opener, port: int, email: str, password: str) -> int:
    _, page = _status(opener, f"http://127.0.0.1:{port}/konto/logga-in")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert token, "the log-in form carries a CSRF token"
    status, _ = _status(
        opener,
        f"http://127.0.0.1:{port}/konto/logga-in",
        {"csrf_token": token.group(1), "email": email, "password": password},
    )
    return status


def test_two_app_servers_share_log_ins_and_rate_limits(cluster):
    _app, environment, processes = cluster
    person = factories.user(email="flera@example.com")
    first, second = _start_server(environment, processes), _start_server(environment, processes)

    opener = _browser()
    assert _log_in(opener, first, person.email, factories.PASSWORD) == 303
    status, _ = _status(opener, f"http://127.0.0.1:{second}/konto/installningar")
    assert status == 200, "a session made on one server is valid on the other"

    attacker = _browser()
    statuses = [
        _log_in(attacker, port, person.email, "fel-lösenord-igen")
        for port in (first, second, first, second, first)
    ]
    # Limit: 4 log-in POSTs per minute per address. The log-in above came from the same address,
    # so three more attempts, alternating between the servers, use up the shared allowance.
    assert statuses == [422, 422, 422, 429, 429]


def test_two_workers_deliver_each_queued_mail_exactly_once(cluster, smtp_server):
    _app, environment, processes = cluster
    for number in range(30):
        notifications.queue_email(
            key=f"cluster:{number}",
            to=f"mottagare{number}@example.com",
            template="test_message",
            name=f"Nummer {number}",
        )
    db.session.commit()
    _start_worker(environment, processes)
    _start_worker(environment, processes)
    deadline = time.monotonic() + 60
    while len(smtp_server.handler.messages) < 30 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)  # a duplicate, if any, would arrive now
    recipients = sorted(message["To"] for message in smtp_server.handler.messages)
    assert recipients == sorted(f"mottagare{n}@example.com" for n in range(30))


def test_each_machine_keeps_its_own_search_index_current_from_the_change_log(cluster, tmp_path):
    """Two machines (each a web server, a worker and its own index directory) and one database:
    a machine that starts empty builds its index, then both follow the change log, so an ad
    published or closed anywhere is found or gone on every machine within seconds."""
    from marketplace.ads.models import AdStatus

    _app, environment, processes = cluster
    first_ad = factories.ad(title="Läxhjälp i Kalmar", body="Tisdagar.")
    ports, directories = [], []
    for name in ("a", "b"):
        directory = tmp_path / f"search-index-{name}"
        machine = {**environment, "SEARCH_INDEX_DIR": str(directory)}
        ports.append(_start_server(machine, processes))
        _start_worker(machine, processes)
        directories.append(directory)

    def page(port: int, words: str) -> str:
        query = urllib.parse.urlencode({"q": words})
        return _status(_browser(), f"http://127.0.0.1:{port}/annonser?{query}")[1]

    def wait_for(condition, seconds: float = 30) -> float:
        started = time.monotonic()
        while not condition():
            assert time.monotonic() - started < seconds, "not within the time allowed"
            time.sleep(0.2)
        return time.monotonic() - started

    # Started empty: each worker builds its machine's index; "hjälp" finds "Läxhjälp" only
    # through the index (the database's own full text has no compound parts).
    wait_for(lambda: all((directory / "current").exists() for directory in directories), 60)
    wait_for(lambda: all("Läxhjälp i Kalmar" in page(port, "hjälp") for port in ports))

    factories.ad(title="Läxhjälp i Lund", body="Torsdagar.")
    took = wait_for(lambda: all("Läxhjälp i Lund" in page(port, "hjälp") for port in ports))
    assert took < 10

    first_ad.status = AdStatus.PARTNER_FOUND
    db.session.commit()
    took = wait_for(lambda: all("Läxhjälp i Kalmar" not in page(port, "hjälp") for port in ports))
    assert took < 10
