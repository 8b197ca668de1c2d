"""Helpers for the fault tests: real threads racing on PostgreSQL, real Celery workers (through
the configured broker: Redis in CI, the filesystem locally) killed where the fault needs
them, and a private Redis a test may stop and start.

Worker tests run on either database: on PostgreSQL the worker opens the test database
itself; on SQLite (an in-memory test database) `shared_database` copies it to a file for the
worker and copies back what the worker left there, so the test process must not write
between the two copies.
"""

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections
from django.test import override_settings

from config.celery import app as celery_app
from tests.conftest import IN_CI
from tests.leads.conftest import quote_data  # noqa: F401 - the quote form as a browser posts it
from tests.parallel import free_port

ROOT = Path(__file__).resolve().parents[2]

on_postgresql = pytest.mark.skipif(
    "postgresql" not in django_settings.DATABASES["default"]["ENGINE"],
    reason="row locks need PostgreSQL (CI runs it)",
)


# --- Threads --------------------------------------------------------------------------------


def run_at_once(workers: int, target) -> list:
    """Start `workers` threads together; return what each returned or raised."""
    barrier = threading.Barrier(workers)
    results = [None] * workers

    def run(i):
        try:
            barrier.wait()
            results[i] = target(i)
        except Exception as error:  # noqa: BLE001 - the test inspects every outcome
            results[i] = error
        finally:
            connections.close_all()  # this thread's connection, so the test db can be dropped

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def wait_for(check, *, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


# --- Worker processes ------------------------------------------------------------------------


@contextmanager
def shared_database(tmp_path: Path):
    """A DATABASE_URL another process can open, holding this test's data. PostgreSQL: the
    test database itself. SQLite: the test database lives in this process's memory, so it
    is copied to a file for the worker, and what the worker left there is copied back."""
    if connection.vendor == "postgresql":
        url = urlsplit(os.environ["DATABASE_URL"])
        yield urlunsplit(url._replace(path=f"/{connection.settings_dict['NAME']}"))
        return
    path = tmp_path / "worker.sqlite3"
    connection.ensure_connection()
    with closing(sqlite3.connect(path)) as file:
        connection.connection.backup(file)
    yield f"sqlite:///{path}"
    with closing(sqlite3.connect(path)) as file:
        file.backup(connection.connection)


class Worker:
    """A `celery worker` process on a private queue, logging to a file the test reads."""

    def __init__(self, process: subprocess.Popen, log: Path, marker: Path | None):
        self.process = process
        self.log_path = log
        self.marker = marker

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_log(self, text: str, *, count: int = 1, timeout: float = 60) -> None:
        if not wait_for(lambda: self.log().count(text) >= count, timeout=timeout):
            raise AssertionError(f"{text!r} ×{count} never logged:\n{self.log()}")

    def paused_pid(self, *, timeout: float = 60) -> int:
        """The process stopped in the paused function (the worker itself, or its child)."""
        if not wait_for(self.marker.exists, timeout=timeout):
            raise AssertionError(f"the worker never reached the pause:\n{self.log()}")
        return int(self.marker.read_text())

    def kill(self, pid: int | None = None) -> None:
        """SIGKILL: nothing runs after it, not a `finally`, not a rollback in Python."""
        os.kill(pid or self.process.pid, signal.SIGKILL)
        if pid in (None, self.process.pid):
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # warm shutdown: the task in hand finishes first
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


@pytest.fixture
def celery_worker(tmp_path):
    """`with celery_worker(database_url, pause_at="leads.services.routing:_schedule_waves"):` runs
    a worker on a private queue and sends this process's tasks to it through the broker
    (not eager) until the block ends. With `pause_at`, the first call of that function
    hangs until the test kills the process (tests/resilience/paused_worker.py). Extra
    keyword arguments are the worker's environment."""
    count = iter(range(100))

    @contextmanager
    def run(database_url: str, *, pause_at: str = "", pool: str = "solo", **env):
        n = next(count)
        queue = f"fault-{uuid.uuid4().hex[:8]}"  # no other worker can take our tasks
        log = tmp_path / f"worker{n}.log"
        marker = tmp_path / f"worker{n}.paused" if pause_at else None
        launcher = (
            ["-m", "tests.resilience.paused_worker", pause_at, str(marker)]
            if pause_at
            else ["-m", "celery", "-A", "config", "worker"]
        )
        # Its queue and the speed-critical one beside it (marketplace.tasking.fast_queue).
        queues = f"{queue},{queue}-fast"
        options = [f"--pool={pool}", "--queues", queues, "--without-gossip", "--without-mingle"]
        options += ["--without-heartbeat", "--loglevel=INFO"]
        if pool == "prefork":
            options.append("--concurrency=1")
        with log.open("w") as output:
            process = subprocess.Popen(
                [sys.executable, *launcher, *options],
                cwd=ROOT,
                env={
                    **os.environ,
                    "DJANGO_SETTINGS_MODULE": "config.settings",
                    "DATABASE_URL": database_url,
                    "CELERY_TASK_DEFAULT_QUEUE": queue,  # what it enqueues stays with it
                    "EMAIL_URL": "dummymail://",
                    **env,
                },
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        worker = Worker(process, log, marker)
        celery_app.conf.task_always_eager = False
        celery_app.conf.task_default_queue = queue
        try:
            yield worker
        finally:
            celery_app.conf.task_default_queue = "celery"
            celery_app.conf.task_always_eager = True
            worker.stop()
            forget_unacked(queue)
            forget_unacked(f"{queue}-fast")

    return run


def forget_unacked(queue: str) -> None:
    """Redis keeps a killed worker's message as unacknowledged, to hand it back after the
    visibility timeout (an hour); this private queue has no worker left to take it."""
    if not celery_app.conf.broker_url.startswith("redis://"):
        return
    with celery_app.connection_for_write() as conn:
        client = conn.default_channel.client
        for tag, payload in client.hgetall("unacked").items():
            if json.loads(payload)[-1] == queue:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
        client.delete(queue)


# --- A private Redis ------------------------------------------------------------------------


class PrivateRedis:
    """A redis-server of the test's own, on a free port of this xdist worker's: stopping it
    never touches the shared Redis other tests (and other engineers' suites) use, and no
    other server takes the port before it starts again."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_for(self._answers, timeout=10):
            raise AssertionError("the private redis-server did not start")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture
def private_redis(tmp_path):
    if shutil.which("redis-server") is None:
        if IN_CI:
            pytest.fail("redis-server is missing: CI installs it (.ci/run)")
        pytest.skip("redis-server is not installed")
    redis = PrivateRedis(tmp_path)
    redis.start()
    yield redis
    redis.kill()


@contextmanager
def broker_and_cache_at(redis: PrivateRedis):
    """This process's Celery broker and Django cache on `redis`, as a deployment whose
    REDIS_URL names it (the cache in the next database, as settings do)."""
    cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis.url(1),
            "KEY_PREFIX": "fairlead",
        }
    }
    with override_settings(CACHES=cache), celery_broker_at(redis.url(0)):
        yield


@contextmanager
def celery_broker_at(url: str):
    """Celery keeps its connection and producer pools from the first task it sends: let go
    of them, so the next task goes to `url`, and again on the way out. (They are not
    closed: kombu keeps one pool per broker URL, and hands the same one back.)"""

    def reset_pools():
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    original = celery_app.conf.broker_url
    reset_pools()
    celery_app.conf.broker_url = url
    try:
        yield
    finally:
        reset_pools()
        celery_app.conf.broker_url = original
