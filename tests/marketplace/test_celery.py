"""Celery: configuration, and a real worker taking a task from the configured broker."""

import os
import subprocess
import sys
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings

from config.celery import app as celery_app
from marketplace.tasking import FairleadTask

ROOT = Path(__file__).resolve().parents[2]


def test_tasks_are_acked_late_requeued_on_worker_loss_and_json_only():
    conf = celery_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.result_serializer == "json"


def test_broker_is_redis_when_configured_and_the_filesystem_otherwise():
    if os.environ.get("REDIS_URL"):
        assert celery_app.conf.broker_url.startswith("redis://")
    else:
        assert celery_app.conf.broker_url.startswith("filesystem://")


def test_tasks_retry_transient_failures_with_backoff():
    from marketplace.tasks import record_heartbeat

    assert isinstance(record_heartbeat, FairleadTask)
    assert ConnectionError in record_heartbeat.autoretry_for
    assert record_heartbeat.retry_backoff and record_heartbeat.retry_jitter
    assert record_heartbeat.max_retries >= 5


def test_beat_schedule_lives_in_settings():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["worker-heartbeat"]["task"] == "marketplace.tasks.record_heartbeat"
    assert celery_app.conf.beat_schedule == schedule


@pytest.mark.slow
def test_a_real_worker_runs_a_task_sent_through_the_broker():
    """Not eager: the message goes through Redis (CI) or the filesystem broker (locally)."""
    celery_app.conf.task_always_eager = False
    queue = f"test-{uuid.uuid4().hex[:8]}"  # a private queue: no other worker can take it
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--queues",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        payload = uuid.uuid4().hex
        result = celery_app.send_task("marketplace.tasks.ping", args=[payload], queue=queue)
        # Eager tasks run earlier in this process can leave Celery thinking it is inside a
        # task; this is the test process, not a worker, so waiting here is safe.
        assert result.get(timeout=60, disable_sync_subtasks=False) == f"pong:{payload}"
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
    assert "marketplace.tasks.ping" in output
    assert "succeeded" in output


class _Task:
    """What the task signals are sent with (a task, hashable), as far as they read it."""

    def __init__(self, *, eager: bool):
        self.request = SimpleNamespace(is_eager=eager)


@pytest.mark.django_db(transaction=True)
def test_a_worker_keeps_its_database_connection_from_task_to_task(monkeypatch):
    """Celery's Django fixup would close it around every task: each task then paid for a new
    PostgreSQL backend (about 20 ms of routing's 60). It is kept, as a web process keeps
    its own, and checked as Django checks one between requests (CONN_MAX_AGE)."""
    from celery import signals
    from celery.fixups.django import DjangoWorkerFixup
    from django.db import connections

    assert settings.CELERY_DB_REUSE_MAX >= 100
    fixup = DjangoWorkerFixup(celery_app)
    connection = connections["default"]
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    connection.ensure_connection()
    kept = connection.connection
    task = _Task(eager=False)
    for _ in range(3):  # three tasks, as a worker runs them
        fixup.on_task_prerun(sender=task)
        signals.task_prerun.send(sender=task, task_id="t", task=task, args=(), kwargs={})
        connection.cursor().execute("SELECT 1")
        fixup.on_task_postrun(sender=task)
        signals.task_postrun.send(sender=task, task_id="t", task=task, args=(), kwargs={})
    assert connection.connection is kept

    checked = []
    monkeypatch.setattr("django.db.close_old_connections", lambda: checked.append(True))
    signals.task_postrun.send(sender=task, task_id="t", task=task, args=(), kwargs={})
    assert checked  # past its age, or broken: closed, as after a request
    eager = _Task(eager=True)
    signals.task_postrun.send(sender=eager, task_id="t", task=eager, args=(), kwargs={})
    assert len(checked) == 1  # an eager task runs in its caller's transaction: left alone


def test_a_starting_worker_forks_its_pool_with_no_database_connection(monkeypatch):
    from celery import signals
    from django.db import connections

    from config.celery import _no_connection_into_the_pool

    closed = []
    monkeypatch.setattr(connections, "close_all", lambda: closed.append(True))
    assert _no_connection_into_the_pool in [ref() for _, ref in signals.worker_init.receivers]
    _no_connection_into_the_pool(sender=None)
    assert closed
