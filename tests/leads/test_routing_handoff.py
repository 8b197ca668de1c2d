"""Open leads go to routing exactly once, after commit; nothing is lost if the broker is down."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse

from leads import services
from leads.models import Lead
from leads.tasks import sweep_unrouted_leads
from marketplace.celery import app

pytestmark = pytest.mark.django_db


def test_routing_runs_only_after_commit_and_claims_the_lead_once(
    client, quote_data, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("leads:quote"), quote_data())
    lead = Lead.objects.get()
    assert lead.routed_at is None  # nothing ran before the commit
    for callback in callbacks:
        callback()
    lead.refresh_from_db()
    assert lead.routed_at is not None
    # Running routing again for the same lead changes nothing.
    first = lead.routed_at
    assert services.route(lead.pk) is None
    lead.refresh_from_db()
    assert lead.routed_at == first


def test_routing_task_is_counted_exactly_once(
    client, quote_data, monkeypatch, django_capture_on_commit_callbacks
):
    from leads import tasks

    calls = []
    monkeypatch.setattr(
        tasks.route_lead, "apply_async", lambda args=(), kwargs=None, **kw: calls.append(args)
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("leads:quote"), quote_data())
    assert calls == [(Lead.objects.get().pk,)]


def test_nothing_is_enqueued_when_the_transaction_rolls_back(
    quote_data, monkeypatch, django_capture_on_commit_callbacks
):
    from leads import tasks
    from leads.forms import QuoteRequestForm

    calls = []
    monkeypatch.setattr(tasks.route_lead, "apply_async", lambda *a, **kw: calls.append(a))
    form = QuoteRequestForm(quote_data())
    assert form.is_valid(), form.errors

    class Boom(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(Boom), transaction.atomic():
            services.submit_quote_request(
                form.quote_request(), submission=services.Submission(consent_text="x")
            )
            raise Boom
    assert calls == []
    assert not Lead.objects.exists()


def test_broker_down_still_answers_the_homeowner_and_the_sweep_routes_later(
    client, quote_data, clock, django_capture_on_commit_callbacks
):
    app.conf.task_always_eager = False
    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("leads:quote"), quote_data())
    finally:
        app.conf.broker_url = original
        app.conf.task_always_eager = True
    assert response.status_code == 302
    lead = Lead.objects.get()
    assert lead.status == Lead.Status.OPEN and lead.routed_at is None

    assert sweep_unrouted_leads() == 0  # too fresh: its own tasks may still be on the way
    clock.shift(timedelta(minutes=3))
    assert sweep_unrouted_leads() == 1  # routing; the confirmation email is the outbox's
    lead.refresh_from_db()
    assert lead.routed_at is not None
    assert sweep_unrouted_leads() == 0
