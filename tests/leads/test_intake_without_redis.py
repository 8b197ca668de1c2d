"""With Redis down for both the cache and the broker, intake still answers the homeowner.
(Redis killed during intake, then back, end to end:
tests/resilience/test_redis_down_during_intake.py.)"""

import pytest
from django.urls import reverse

from config.celery import app
from leads.models import Lead
from tests.resilience.conftest import celery_broker_at

pytestmark = pytest.mark.django_db

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def test_redis_down_for_cache_and_broker_still_answers_the_homeowner(
    client, quote_data, settings, django_capture_on_commit_callbacks
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD_REDIS,
        }
    }
    app.conf.task_always_eager = False
    try:
        with celery_broker_at(DEAD_REDIS), django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("leads:quote"), quote_data(phone="(512) 555-0177"))
    finally:
        app.conf.task_always_eager = True
    assert response.status_code == 302
    lead = Lead.objects.get()
    assert lead.flags.filter(code="area_code_mismatch").exists()  # answered from the database
