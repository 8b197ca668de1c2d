import pytest
from django.urls import reverse

from marketplace.models import Heartbeat
from marketplace.tasks import record_heartbeat

pytestmark = pytest.mark.django_db


def test_health_reports_database_broker_and_last_worker_heartbeat(client, clock):
    record_heartbeat.delay()
    response = client.get(reverse("marketplace:health"))
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"] == "ok"
    assert body["status"] == "ok"
    assert body["worker_last_seen"] == "2026-03-02T14:00:00+00:00"
    assert response["Cache-Control"].startswith("max-age=0")


def test_health_is_503_when_the_broker_is_unreachable(client, settings):
    from config.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get(reverse("marketplace:health"))
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")
    assert response.json()["database"] == "ok"


def test_heartbeat_task_updates_one_row(clock):
    record_heartbeat.delay()
    clock.shift(60)
    record_heartbeat.delay()
    assert Heartbeat.objects.count() == 1


def test_a_stale_heartbeat_is_reported_without_failing_web(client, clock):
    record_heartbeat.delay()
    clock.shift(60 * 10)
    body = client.get(reverse("marketplace:health")).json()
    assert body["worker"] == "stale"
    assert body["status"] == "ok"


def test_unknown_api_urls_answer_json_and_pages_answer_a_page(client):
    response = client.get("/api/v1/offers/not-a-number/accept/")
    assert response.status_code == 404
    assert response.json() == {"non_field_errors": ["Not found."]}
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()
