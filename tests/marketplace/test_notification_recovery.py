"""A message whose sender died, hung or failed is sent again by the sweep, exactly once."""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import uuid
from contextlib import closing, contextmanager
from datetime import timedelta
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core import mail
from django.core.checks import run_checks
from django.db import connection
from django.utils import timezone

from config.celery import app as celery_app
from marketplace import notifications
from marketplace.models import Notification
from marketplace.tasks import send_notification, sweep_notifications
from tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs, not even `except`."""


def backend(*steps):
    """An email provider that plays `steps` in turn, one per call: a callable runs (then
    the call "delivers" and returns a provider id), an exception is raised."""
    calls = iter(steps)

    def send(notification):
        step = next(calls)
        if isinstance(step, BaseException):
            raise step
        return step()

    return mock.patch.dict(notifications.BACKENDS, {"email": send})


def test_a_message_whose_worker_died_mid_send_is_sent_again_once_its_claim_is_stale(clock):
    message = NotificationFactory()
    with backend(WorkerKilled()), pytest.raises(WorkerKilled):
        notifications.send(message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sending", 1)

    clock.shift(timedelta(minutes=9))
    assert sweep_notifications() == 0  # it may still be on its way
    message.refresh_from_db()
    assert message.status == "sending"

    clock.shift(timedelta(minutes=2))
    assert sweep_notifications() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)
    assert [m.to for m in mail.outbox] == [[message.to]]
    clock.shift(timedelta(hours=1))
    assert sweep_notifications() == 0
    assert len(mail.outbox) == 1


def test_the_stuck_threshold_is_a_setting(clock, settings):
    settings.NOTIFICATION_STUCK_AFTER = timedelta(minutes=30)
    message = NotificationFactory()
    with backend(WorkerKilled()), pytest.raises(WorkerKilled):
        notifications.send(message.pk)
    clock.shift(timedelta(minutes=29))
    assert sweep_notifications() == 0
    clock.shift(timedelta(minutes=2))
    assert sweep_notifications() == 1
    message.refresh_from_db()
    assert message.status == "sent"


def test_a_stuck_threshold_the_task_time_limit_still_allows_is_reported(settings):
    def warnings():
        return [m.id for m in run_checks() if m.id == "fairlead.W002"]

    assert warnings() == []  # the defaults: 10 minutes, above the 5-minute time limit
    settings.NOTIFICATION_STUCK_AFTER = timedelta(minutes=5)
    assert warnings() == ["fairlead.W002"]


def test_the_sweep_leaves_a_send_in_progress_alone_however_late_its_message_was_due(clock):
    # A text held by quiet hours since last night: due long ago, claimed just now.
    message = NotificationFactory(send_after=timezone.now() - timedelta(hours=9))
    seen = {}

    def sweep_meanwhile():
        seen["swept"] = sweep_notifications()
        seen["status"] = Notification.objects.get(pk=message.pk).status

    with backend(sweep_meanwhile):
        notifications.send(message.pk)
    assert seen == {"swept": 0, "status": "sending"}
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)


def test_a_send_that_finishes_after_the_sweep_gave_up_on_it_is_not_sent_again(clock):
    message = NotificationFactory()
    delivered = []

    def slow_delivery():
        clock.shift(timedelta(minutes=11))
        assert notifications.due_notification_ids() == [message.pk]  # re-queued
        delivered.append("first")

    with backend(slow_delivery, lambda: delivered.append("second")):
        notifications.send(message.pk)  # the slow one finishes after all
        message.refresh_from_db()
        assert message.status == "sent"
        notifications.send(message.pk)  # the sweep's task arrives: nothing left to do
    message.refresh_from_db()
    assert (message.status, message.attempts, delivered) == ("sent", 1, ["first"])


def test_a_late_finish_never_overwrites_the_newer_attempt(clock):
    message = NotificationFactory()

    def hung_then_delivered():
        clock.shift(timedelta(minutes=11))
        notifications.due_notification_ids()
        notifications.send(message.pk)  # the sweep's attempt, while the first still hangs
        return "first"

    with backend(hung_then_delivered, lambda: "second"):
        notifications.send(message.pk)
    message.refresh_from_db()
    assert (message.status, message.provider_id, message.attempts) == ("sent", "second", 2)


@pytest.mark.parametrize("retries", [0, send_notification.max_retries], ids=["retry", "last try"])
def test_a_late_failure_leaves_a_message_the_newer_attempt_sent_alone(clock, retries):
    message = NotificationFactory()

    def hung_then_failed():
        clock.shift(timedelta(minutes=11))
        notifications.due_notification_ids()
        notifications.send(message.pk)
        raise ConnectionError("SMTP server went away")

    with backend(hung_then_failed, lambda: "second"):
        # Neither queued again (to be sent twice) nor failed (on its last try): the newer
        # attempt delivered it, so there is nothing to retry.
        send_notification.apply(args=[message.pk], retries=retries)
    message.refresh_from_db()
    assert (message.status, message.provider_id, message.last_error) == ("sent", "second", "")


def test_a_message_whose_retry_never_came_is_sent_by_the_sweep(clock):
    message = NotificationFactory()
    with backend(ConnectionError("SMTP server unreachable")), pytest.raises(ConnectionError):
        notifications.send(message.pk)  # the task would retry; its retry gets lost
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", 1)
    clock.shift(timedelta(minutes=15))
    assert sweep_notifications() == 0  # its retry may still come (backoff up to 10 minutes)
    clock.shift(timedelta(minutes=10))
    assert sweep_notifications() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)
    assert len(mail.outbox) == 1


# --- A real worker, killed while the provider has the message --------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_leaves_the_message_to_the_sweep(time_machine, tmp_path):
    """Through the configured broker (Redis in CI, else the filesystem), a real worker claims
    the message and opens the SMTP connection; the server never answers, and the worker is
    SIGKILLed there. The sweep sends it again, once, when its claim is stale."""
    message = NotificationFactory()
    queue = f"test-{uuid.uuid4().hex[:8]}"  # a private queue: no other worker can take it
    with _silent_smtp_server() as smtp, _database_shared_with(tmp_path) as database_url:
        worker = _start_worker(
            queue, DATABASE_URL=database_url, EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}"
        )
        celery_app.conf.task_always_eager = False
        try:
            send_notification.apply_async(args=[message.pk], queue=queue)
            smtp.wait_for_client(timeout=30)  # claimed, and now waiting on the provider
        finally:
            celery_app.conf.task_always_eager = True
            worker.send_signal(signal.SIGKILL)
            output = worker.communicate(timeout=30)[0]
            _forget_unacked(queue)
    assert worker.returncode == -signal.SIGKILL
    assert "send_notification[" in output, output  # it came through the broker

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sending", 1)
    assert sweep_notifications() == 0  # a fresh claim may be a send in progress
    time_machine.move_to(message.claimed_at + timedelta(minutes=10, seconds=1), tick=False)
    assert sweep_notifications() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)
    assert [m.to for m in mail.outbox] == [[message.to]]
    assert sweep_notifications() == 0
    assert len(mail.outbox) == 1


class _SilentSmtp:
    """Accepts connections and never greets: a provider that hangs."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.clients = []

    def wait_for_client(self, *, timeout: float) -> None:
        self.socket.settimeout(timeout)
        self.clients.append(self.socket.accept()[0])


@contextmanager
def _silent_smtp_server():
    server = _SilentSmtp()
    try:
        yield server
    finally:
        for client in server.clients:
            client.close()
        server.socket.close()


@contextmanager
def _database_shared_with(tmp_path):
    """A DATABASE_URL another process can open, holding this test's data. PostgreSQL: the
    test database itself. SQLite: the test database is in this process's memory, so it is
    copied to a file for the worker, and what the worker left there is copied back."""
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


def _start_worker(queue: str, **env) -> subprocess.Popen:
    return subprocess.Popen(
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
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _forget_unacked(queue: str) -> None:
    """Redis keeps the killed worker's message as unacknowledged, to hand it back to the
    queue after the visibility timeout; this private queue has no worker left to take it."""
    if not celery_app.conf.broker_url.startswith("redis://"):
        return
    with celery_app.connection_for_write() as conn:
        client = conn.default_channel.client
        for tag, payload in client.hgetall("unacked").items():
            if json.loads(payload)[-1] == queue:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
