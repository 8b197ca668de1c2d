"""Open leads go to routing exactly once, after commit. Faults (a rolled-back transaction, the
broker down at intake, a worker killed mid-routing) are in tests/resilience/."""

import pytest
from django.urls import reverse

from leads import services
from leads.models import Lead

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
