"""A batch of messages (a wave's offers on one channel) is read in one query, then each is
claimed, sent and finished on its own under send()'s rules: a worker killed mid-batch leaves
only the message it was sending to the sweep."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketplace import notifications
from marketplace.models import Notification
from tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


class WorkerKilled(BaseException):
    """A time limit or a signal: not an Exception, so nothing catches it on the way out."""


def emails(count: int, **fields) -> list[Notification]:
    return [NotificationFactory(**fields) for _ in range(count)]


@pytest.mark.parametrize("count", [2, 20])
def test_a_batch_is_read_once_then_claimed_and_finished_message_by_message(clock, count):
    batch = emails(count)
    with CaptureQueriesContext(connection) as queries:
        notifications.send_many([m.pk for m in batch])
    assert len(queries) == 1 + 2 * count  # the read; each one's claim and finish
    assert sorted(m.to[0] for m in mail.outbox) == sorted(m.to for m in batch)
    for message in batch:
        message.refresh_from_db()
        assert (message.status, message.attempts, message.provider_id) == ("sent", 1, "")
        assert message.sent_at is not None


def test_a_failing_message_goes_to_its_own_task_and_the_rest_are_sent(clock):
    batch = emails(3)
    deliver = notifications.BACKENDS["email"]

    def provider(notification):
        if notification.pk == batch[1].pk:
            raise ConnectionError("SMTP server unreachable")
        return deliver(notification)

    with (
        mock.patch.dict(notifications.BACKENDS, {"email": provider}),
        mock.patch.object(notifications.send_notification, "apply_async") as retried,
    ):
        notifications.send_many([m.pk for m in batch])
    retried.assert_called_once_with(args=[batch[1].pk], countdown=5)
    statuses = {m.pk: m.status for m in Notification.objects.filter(pk__in=[m.pk for m in batch])}
    assert statuses == {batch[0].pk: "sent", batch[1].pk: "queued", batch[2].pk: "sent"}
    assert "unreachable" in Notification.objects.get(pk=batch[1].pk).last_error
    assert len(mail.outbox) == 2


def test_a_message_another_sender_holds_is_not_sent_again(clock):
    mine, taken = emails(2)
    Notification.objects.filter(pk=taken.pk).update(status="sending", attempts=1)
    notifications.send_many([mine.pk, taken.pk])
    assert [m.to for m in mail.outbox] == [[mine.to]]
    taken.refresh_from_db()
    assert (taken.status, taken.attempts) == ("sending", 1)


def test_messages_not_due_yet_wait_for_the_sweep(clock):
    due, later = emails(2)
    Notification.objects.filter(pk=later.pk).update(send_after=timezone.now() + timedelta(hours=1))
    notifications.send_many([due.pk, later.pk])
    assert [m.to for m in mail.outbox] == [[due.to]]
    later.refresh_from_db()
    assert (later.status, later.attempts) == ("queued", 0)


def test_a_one_time_link_is_removed_once_sent_in_a_batch(clock):
    plain, reset = emails(1)[0], emails(1, template="account/password_reset_key")[0]
    notifications.send_many([plain.pk, reset.pk])
    plain.refresh_from_db()
    reset.refresh_from_db()
    assert (plain.status, reset.status) == ("sent", "sent")
    assert reset.body == notifications.SECRET_REMOVED
    assert plain.body != notifications.SECRET_REMOVED


def test_a_worker_killed_mid_batch_leaves_only_the_message_it_was_sending(clock):
    """A kill runs no `finally`: what was sent is marked sent already, the one being sent is
    left to the sweep, and the task delivered again sends the rest at once."""
    batch = emails(4)
    deliver = notifications.BACKENDS["email"]

    def provider(notification):
        if notification.pk == batch[1].pk:
            raise WorkerKilled
        return deliver(notification)

    ids = [m.pk for m in batch]
    with (
        mock.patch.dict(notifications.BACKENDS, {"email": provider}),
        pytest.raises(WorkerKilled),
    ):
        notifications.send_many(ids)
    statuses = [Notification.objects.get(pk=pk).status for pk in ids]
    assert statuses == ["sent", "sending", "queued", "queued"]

    notifications.send_many(ids)  # the task, delivered again (acks late)
    statuses = [Notification.objects.get(pk=pk).status for pk in ids]
    assert statuses == ["sent", "sending", "sent", "sent"]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(batch[i].to for i in (0, 2, 3))


def test_a_message_another_sender_claims_while_the_batch_runs_is_theirs(clock):
    batch = emails(2)
    deliver = notifications.BACKENDS["email"]

    def provider(notification):
        # While this worker sends the first, the sweep's task claims the second.
        Notification.objects.filter(pk=batch[1].pk, status="queued").update(
            status="sending", claimed_at=timezone.now() + timedelta(seconds=1), attempts=1
        )
        return deliver(notification)

    with mock.patch.dict(notifications.BACKENDS, {"email": provider}):
        notifications.send_many([m.pk for m in batch])
    assert [m.to for m in mail.outbox] == [[batch[0].to]]
    second = Notification.objects.get(pk=batch[1].pk)
    assert (second.status, second.attempts) == ("sending", 1)  # the other sender's


def test_each_message_is_claimed_at_its_own_time(clock):
    """A slow provider must not leave later messages with an old claim, which the sweep
    would take for a send that died long ago and give to another sender."""
    batch = emails(2)
    deliver = notifications.BACKENDS["email"]

    def slow_provider(notification):
        clock.shift(timedelta(seconds=40))
        return deliver(notification)

    with mock.patch.dict(notifications.BACKENDS, {"email": slow_provider}):
        notifications.send_many([m.pk for m in batch])
    first, second = (Notification.objects.get(pk=m.pk) for m in batch)
    assert second.claimed_at - first.claimed_at == timedelta(seconds=40)


def test_the_batch_is_read_whole_before_the_first_send(clock, monkeypatch):
    """Streamed, the read would hold its cursor open through every provider call."""
    from django.db.models.query import QuerySet

    def streamed(*args, **kwargs):
        raise AssertionError("the batch was streamed")

    monkeypatch.setattr(QuerySet, "iterator", streamed)
    batch = emails(3)
    notifications.send_many([m.pk for m in batch])
    assert len(mail.outbox) == 3
