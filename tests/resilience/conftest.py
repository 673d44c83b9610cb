"""Servers a resilience test starts and stops under the app: a private redis-server, a private
PostgreSQL cluster. Each on a free port of its own, nothing saved to disk beyond tmp_path."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """redis-server on one port, stopped and started again by the test (the same port)."""

    def __init__(self, executable: str, directory) -> None:
        self.executable = executable
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        command = [self.executable, "--port", str(self.port), "--bind", "127.0.0.1"]
        self.process = subprocess.Popen(
            [*command, "--save", "", "--appendonly", "no"],
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self.answers():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"redis-server on port {self.port} did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()  # as a crash would: no goodbye to the clients
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = RedisServer(executable, tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def on_postgresql() -> bool:
    import os

    return os.environ.get("DATABASE_URL", "").startswith("postgres")


# Concurrent requests need connections of their own: the in-memory SQLite test database is one
# connection shared by every thread, so races are tested on PostgreSQL (CI runs both).
requires_postgresql = pytest.mark.skipif(
    not on_postgresql(), reason="concurrent requests need PostgreSQL (DATABASE_URL)"
)


def at_once(count: int, request) -> list:
    """Run `request(number)` in `count` threads released together; their results, in order."""
    import threading

    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(number: int) -> None:
        barrier.wait()
        try:
            results[number] = request(number)
        except BaseException as error:  # noqa: BLE001  reported by the test's assertion
            results[number] = error

    threads = [threading.Thread(target=run, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


# --- a private PostgreSQL cluster ---------------------------------------------------------------


def _postgres_program(name: str) -> str | None:
    import glob

    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


class PostgresCluster:
    """A PostgreSQL cluster of the test's own (initdb, pg_ctl), stopped and started under the app.

    PostgreSQL refuses to run as root: as root, the cluster runs as the `postgres` user.
    """

    def __init__(self, initdb: str, pg_ctl: str) -> None:
        import os
        import pwd
        import tempfile

        self.pg_ctl = pg_ctl
        self.port = free_port()
        self.directory = tempfile.mkdtemp(prefix="samverkanstorget-pg-")
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.directory, account.pw_uid, account.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self.data = os.path.join(self.directory, "data")
        self._run(
            initdb, "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"
        )
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/resilience"

    def _run(self, *command: str) -> None:
        subprocess.run(
            [*self.prefix, *command],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=120,
        )

    def start(self) -> None:
        # fsync and full-page writes off: only an operating-system crash could lose data then,
        # and the test crashes the server, not the machine. synchronous_commit stays on: off,
        # a commit returns before its WAL leaves the server's memory, so the crash below
        # (stop) forgets the last ~200 ms of commits: the member the test had just created
        # was gone after the restart, and the first POST was answered as if logged out.
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        )
        self._run(
            self.pg_ctl, "-D", self.data, "-o", options, "-l", self.data + "/log", "-w", "start"
        )

    def stop(self) -> None:
        """As a crash or a failover would: no clean goodbye to the connected clients."""
        self._run(self.pg_ctl, "-D", self.data, "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        subprocess.run(
            [*self.prefix, self.pg_ctl, "-D", self.data, "-m", "immediate", "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A private PostgreSQL on a free port with an empty `resilience` database (skipped when the
    PostgreSQL server programs are not installed)."""
    import os
    import pwd

    initdb, pg_ctl = _postgres_program("initdb"), _postgres_program("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("initdb/pg_ctl are not installed (apt-get install postgresql)")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root without a postgres user to run PostgreSQL as")
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser")
    cluster = PostgresCluster(initdb, pg_ctl)
    try:
        cluster.start()
        import sqlalchemy as sa

        admin = sa.create_engine(
            cluster.url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as connection:
            connection.exec_driver_sql("CREATE DATABASE resilience")
        admin.dispose()
        yield cluster
    finally:
        cluster.remove()
