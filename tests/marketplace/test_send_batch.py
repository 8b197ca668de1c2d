"""A batch of messages (a wave's offers on one channel) is sent under the same rules as one
message, in a constant number of statements: one claim, one read, one finish for the emails
that went out plainly."""

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
def test_a_batch_takes_three_statements_whatever_its_size(clock, count):
    batch = emails(count)
    with CaptureQueriesContext(connection) as queries:
        notifications.send_many([m.pk for m in batch])
    assert len(queries) == 3  # claim, read, finish
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


def test_the_messages_that_went_out_before_the_worker_was_stopped_are_marked_sent(clock):
    batch = emails(3)
    deliver = notifications.BACKENDS["email"]

    def provider(notification):
        if notification.pk == batch[2].pk:
            raise WorkerKilled
        return deliver(notification)

    with (
        mock.patch.dict(notifications.BACKENDS, {"email": provider}),
        pytest.raises(WorkerKilled),
    ):
        notifications.send_many([m.pk for m in batch])
    statuses = [Notification.objects.get(pk=m.pk).status for m in batch]
    # The third may or may not have reached the provider: the sweep settles it.
    assert statuses == ["sent", "sent", "sending"]


def test_a_batch_finished_after_the_sweep_took_it_changes_nothing(clock):
    batch = emails(2)
    deliver = notifications.BACKENDS["email"]

    def provider(notification):
        # While this worker sends, the sweep gives the first message to a newer attempt.
        Notification.objects.filter(pk=batch[0].pk).update(
            status="sending", claimed_at=timezone.now().replace(year=2030)
        )
        return deliver(notification)

    with mock.patch.dict(notifications.BACKENDS, {"email": provider}):
        notifications.send_many([m.pk for m in batch])
    assert Notification.objects.get(pk=batch[0].pk).status == "sending"  # the newer attempt's
    assert Notification.objects.get(pk=batch[1].pk).status == "sent"
