"""allauth's account emails (verification, password reset) go through the Notification
outbox: written with the request, sent by a task, swept if that task is lost."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from marketplace import notifications
from marketplace.models import Notification
from marketplace.notifications import SECRET_REMOVED
from marketplace.tasks import sweep_notifications
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_password_reset_email_is_an_outbox_row_sent_once(
    client, contractor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": "alice@example.com"})
    row = Notification.objects.get()
    assert (row.template, row.to, row.user) == (
        "account/email/password_reset_key",
        "alice@example.com",
        contractor.user,
    )
    assert row.status == Notification.Status.SENT
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
    # The key left with the email; the outbox keeps no usable copy.
    assert row.body == SECRET_REMOVED
    assert sweep_notifications() == 0


def test_a_verification_email_lost_with_its_task_is_sent_by_the_sweep(client, time_machine):
    # The request's task never reaches a worker (the broker was down, or the worker died
    # before taking it): the on-commit enqueue is not run here.
    client.post(
        reverse("account_signup"),
        {"email": "late@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    row = Notification.objects.get(to="late@example.com")
    assert row.status == Notification.Status.QUEUED
    assert row.template == "account/email/email_confirmation_signup"
    assert mail.outbox == []
    time_machine.move_to(row.created_at + timedelta(minutes=1, seconds=1), tick=False)
    assert sweep_notifications() == 1
    assert len(mail.outbox) == 1
    assert "/accounts/confirm-email/" in mail.outbox[0].body
    row.refresh_from_db()
    assert row.status == Notification.Status.SENT


def test_the_reset_link_still_works_end_to_end(
    client, contractor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": "alice@example.com"})
    link = re.search(r"https?://[^/\s]+(/\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    response = client.post(
        form_url, {"password1": "fresh-secret-4321", "password2": "fresh-secret-4321"}
    )
    assert response.status_code == 302
    contractor.user.refresh_from_db()
    assert contractor.user.check_password("fresh-secret-4321")


def test_the_admin_hides_a_queued_account_email(admin_client, contractor):
    admin_client.post(reverse("account_reset_password"), {"email": "alice@example.com"})
    row = Notification.objects.get(template="account/email/password_reset_key")
    page = admin_client.get(reverse("admin:marketplace_notification_change", args=[row.pk]))
    assert page.status_code == 200
    assert "/accounts/password/reset/key/" not in page.content.decode()


def test_the_admin_list_refuses_a_filter_on_the_text(admin_client, contractor):
    """?body__contains= would read a queued key a character at a time."""
    admin_client.post(reverse("account_reset_password"), {"email": "alice@example.com"})
    url = reverse("admin:marketplace_notification_changelist")
    for lookup in ("body__contains", "body__startswith", "body"):
        response = admin_client.get(url, {lookup: "/accounts/password/reset/key/"})
        assert response.status_code == 400, lookup
    assert admin_client.get(url, {"template": "account_locked"}).status_code == 200


def test_an_account_email_that_fails_for_good_keeps_no_key(
    client, contractor, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(notification):
        raise notifications.PermanentFailure("550 mailbox unavailable")

    monkeypatch.setitem(notifications.BACKENDS, Notification.Channel.EMAIL, refuse)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": "alice@example.com"})
    row = Notification.objects.get(template="account/email/password_reset_key")
    assert row.status == Notification.Status.FAILED
    assert row.body == SECRET_REMOVED
