"""A double tap (or a script posting one request ten times) is one request: one lead, one
confirmation email. The copies are answered on the page only, so the form cannot be used to
flood someone's mailbox."""

import threading

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import connections
from django.test import Client
from django.urls import reverse

from leads.models import Lead
from marketplace.models import Notification
from tests.leads import conftest as leads_fixtures

pytestmark = pytest.mark.django_db

quote_data = leads_fixtures.quote_data
api_quote = leads_fixtures.api_quote

COPIES = 10


def assert_one_request_and_one_email():
    assert Lead.objects.count() == COPIES
    assert Lead.objects.filter(status=Lead.Status.OPEN).count() == 1
    original = Lead.objects.get(status=Lead.Status.OPEN)
    copies = Lead.objects.exclude(pk=original.pk)
    assert set(copies.values_list("status", "rejection_reason", "duplicate_of")) == {
        (Lead.Status.REJECTED, Lead.RejectReason.DUPLICATE, original.pk)
    }
    assert Notification.objects.filter(template="received").count() == 1
    assert [m.to for m in mail.outbox] == [[original.email]]
    assert original.reference in mail.outbox[0].subject
    return original, copies


def test_ten_identical_requests_send_one_confirmation(
    client, quote_data, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(COPIES):
            assert client.post(reverse("leads:quote"), quote_data()).status_code == 302
    _, copies = assert_one_request_and_one_email()

    # A copy is answered on its page: it was not sent again, and no new email came.
    page = client.get(reverse("leads:sent", args=[copies.first().status_token]))
    text = page.content.decode()
    assert "did not send this one again" in text
    assert "We are sending a confirmation" not in text
    assert "no new email" in text


def test_ten_identical_api_requests_send_one_confirmation(
    api_client, api_quote, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        replies = [
            api_client.post(reverse("api:quote-requests"), api_quote(), format="json")
            for _ in range(COPIES)
        ]
    assert [r.status_code for r in replies] == [201] * COPIES
    assert [r.json()["status"] for r in replies] == ["open"] + ["rejected"] * (COPIES - 1)
    assert_one_request_and_one_email()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "postgresql" not in django_settings.DATABASES["default"]["ENGINE"],
    reason="ten requests at once need PostgreSQL (CI runs it)",
)
def test_ten_identical_requests_at_once_send_one_confirmation(quote_data):
    data = quote_data()
    barrier = threading.Barrier(COPIES)
    statuses = []

    def submit():
        try:
            barrier.wait()
            statuses.append(Client().post(reverse("leads:quote"), data).status_code)
        finally:
            connections.close_all()  # this thread's connection, so the test db can be dropped

    threads = [threading.Thread(target=submit) for _ in range(COPIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses == [302] * COPIES
    assert_one_request_and_one_email()
