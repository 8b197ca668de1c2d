"""What each pytest-xdist worker gets of its own, so parallel workers never share state.

- PostgreSQL: pytest-django gives each worker its own test database (test_<name>_gw0,
  test_<name>_gw1, ...). Migrating one takes seconds of CPU, so the first worker migrates
  a template and every worker's database is a copy of it (`template_database`).

The rest is handed to each worker as environment variables before its pytest starts
(tests/conftest.py, `pytest_xdist_setupnodes`): the settings read them as a deployment's,
and the Celery workers a test starts inherit them.

- Redis: worker i's REDIS_URL names database base + 2i: its broker and Celery results
  there, its cache (and so django-ratelimit's counters, which `cache.clear()` between tests
  empties with FLUSHDB) in the next one, as config/settings.py derives it from REDIS_URL.
- CELERY_FS_DIR (the filesystem broker, without Redis): a folder per worker.
- Ports a test must choose before something listens on them (a redis-server it restarts):
  a block per worker below the kernel's ephemeral range, which servers bound to port 0 and
  outgoing connections draw from, so nothing else takes one between a stop and a start.
"""

import fcntl
import itertools
import os
import socket
import warnings
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

REDIS_DATABASES = 16  # redis-server's default `databases`
REDIS_DATABASES_PER_WORKER = 2  # the broker's, and the cache's next to it
# Set by hand they would not follow a worker's REDIS_URL: parallel runs refuse them.
FIXED_REDIS_SETTINGS = ["REDIS_CACHE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"]
PORTS_FROM, PORTS_PER_WORKER = 21_000, 100  # Linux hands out 32768-60999 itself
_port_turns = itertools.count()  # each call starts past the last port given


def worker_environment(index: int, environ: dict[str, str]) -> dict[str, str]:
    """The environment variables worker `index` (gw<index>) runs with, from the run's."""
    env = {"CELERY_FS_DIR": f"{environ.get('CELERY_FS_DIR') or 'var/test-celery'}/gw{index}"}
    if fixed := [name for name in FIXED_REDIS_SETTINGS if environ.get(name)]:
        raise pytest.UsageError(
            f"{', '.join(fixed)} set: a parallel run gives each worker its own Redis "
            "databases from REDIS_URL alone. Unset them, or run serially (-n0)."
        )
    if redis_url := environ.get("REDIS_URL"):
        url = urlsplit(redis_url)
        db = int(url.path.strip("/") or 0) + REDIS_DATABASES_PER_WORKER * index
        if db + REDIS_DATABASES_PER_WORKER > REDIS_DATABASES:
            raise pytest.UsageError(
                f"REDIS_URL={redis_url}: worker gw{index} would need Redis database {db + 1}, "
                f"and Redis has {REDIS_DATABASES}. Use fewer workers (-n) or a lower database."
            )
        env["REDIS_URL"] = urlunsplit(url._replace(path=f"/{db}"))
    return env


def worker_index() -> int:
    """This process's xdist worker number (gw3 -> 3); 0 in a serial run."""
    return int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))


def free_port() -> int:
    """A free port in this worker's block, for a server the test stops and starts again."""
    first = PORTS_FROM + PORTS_PER_WORKER * worker_index()
    start = next(_port_turns)
    for offset in range(PORTS_PER_WORKER):
        port = first + (start + offset) % PORTS_PER_WORKER
        with closing(socket.socket()) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {first}-{first + PORTS_PER_WORKER - 1}")


@contextmanager
def _shared_count(path: Path):
    """A number in a file that workers change one at a time: yields [n]; keeps what the
    caller sets it to."""
    with path.open("a+") as file:
        fcntl.flock(file, fcntl.LOCK_EX)  # until the file is closed
        file.seek(0)
        count = [int(file.read() or 0)]
        yield count
        file.seek(0)
        file.truncate()
        file.write(str(count[0]))


@contextmanager
def template_database(connection, shared: Path, blocker):
    """While open, this worker's test database is created as a copy of one migrated
    template (PostgreSQL's CREATE DATABASE ... TEMPLATE) instead of being migrated again.
    The first worker to get here migrates the template; the last one done drops it.
    `shared` is a folder every worker of the run sees; `blocker` is django_db_blocker."""
    test = connection.settings_dict["TEST"]
    worker_test_name = test["NAME"]
    template = worker_test_name.removesuffix(f"_{os.environ['PYTEST_XDIST_WORKER']}") + "_template"
    with _shared_count(shared / f"{template}.users") as users:
        if not users[0]:
            name = connection.settings_dict["NAME"]
            test["NAME"] = template
            try:
                with blocker.unblock():
                    connection.creation.create_test_db(
                        verbosity=0, autoclobber=True, serialize=False
                    )
                    connection.close()  # a database is copied only while no one is connected
            finally:
                # create_test_db pointed the connection at the template.
                test["NAME"] = worker_test_name
                connection.settings_dict["NAME"] = name
        users[0] += 1
    test["TEMPLATE"] = template
    try:
        yield
    finally:
        del test["TEMPLATE"]
        with blocker.unblock():
            _drop_if_left(connection, worker_test_name)
        with _shared_count(shared / f"{template}.users") as users:
            users[0] -= 1
            if not users[0]:
                with blocker.unblock():
                    connection.creation._destroy_test_db(template, verbosity=0)


def _drop_if_left(connection, name: str) -> None:
    """pytest-django only warns when a session still open on a worker's database stops it
    from dropping it: drop it anyway, and say which sessions were left (their last query),
    so that the test that leaks a connection can be found."""
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cursor.fetchone():
            return
        cursor.execute(
            "SELECT pid, application_name, state, query FROM pg_stat_activity WHERE datname = %s",
            [name],
        )
        sessions = cursor.fetchall()
        cursor.execute(f"DROP DATABASE {connection.ops.quote_name(name)} WITH (FORCE)")
    warnings.warn(f"{name} was still in use when the run ended: {sessions}", stacklevel=1)
