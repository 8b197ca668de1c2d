"""Redis (broker and cache) dies while a homeowner sends a quote request: they get the
thank-you page, the lead and its confirmation are saved, and once Redis is back the sweeps
route the lead once and send the confirmation once, through a real worker.

The Redis is the test's own (a redis-server on a free port), never the shared one.
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from config.celery import app as celery_app
from leads.models import Lead, Offer, Wave
from leads.tasks import sweep_unrouted_leads
from marketplace.models import Notification
from marketplace.tasks import sweep_notifications
from tests.factories import ContractorFactory, fund

from .conftest import broker_and_cache_at, shared_database

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_quote_sent_while_redis_is_down_is_answered_then_routed_and_confirmed_once(
    client, quote_data, private_redis, celery_worker, tmp_path, time_machine
):
    pro = fund(ContractorFactory(tier="elite", service_zips=["92101"]))
    mail_dir = tmp_path / "mail"
    with broker_and_cache_at(private_redis):
        cache.set("alive", "yes")
        assert cache.get("alive") == "yes"  # this process's cache is on the private Redis
        private_redis.kill()

        celery_app.conf.task_always_eager = False  # tasks go to the (dead) broker
        try:
            response = client.post(reverse("leads:quote"), quote_data(), follow=True)
        finally:
            celery_app.conf.task_always_eager = True
        assert response.status_code == 200
        assert "Thank you, Dana Homeowner!" in response.content.decode()
        lead = Lead.objects.get()
        assert (lead.status, lead.routed_at) == (Lead.Status.OPEN, None)
        confirmation = Notification.objects.get(to="dana@example.com")
        assert (confirmation.template, confirmation.status) == ("received", "queued")
        assert confirmation.attempts == 0

        private_redis.start()
        time_machine.move_to(lead.updated_at + timedelta(seconds=50), tick=False)
        assert sweep_unrouted_leads() == 0  # too fresh: its own tasks may be on their way
        assert sweep_notifications() == 0
        # Beat's next sweeps, once their thresholds have passed: routing waits
        # ROUTING_SWEEP_AFTER for the lead's own task, the outbox a minute for the message's.
        wait = max(settings.ROUTING_SWEEP_AFTER, timedelta(minutes=1))
        time_machine.move_to(lead.updated_at + wait + timedelta(seconds=1), tick=True)
        with (
            shared_database(tmp_path) as database_url,
            celery_worker(
                database_url,
                REDIS_URL=private_redis.url(0),
                CELERY_BROKER_URL=private_redis.url(0),
                EMAIL_URL=f"filemail:///{mail_dir}",  # an absolute path: four slashes
            ) as worker,
        ):
            assert sweep_unrouted_leads() == 1
            assert sweep_notifications() == 1
            worker.wait_for_log("leads.tasks.route_lead[")
            # The confirmation (the elite pro's offer email is sent by the routing task).
            worker.wait_for_log("marketplace.tasks.send_notification[", count=2)
            worker.wait_for_log("] succeeded", count=2)
        assert "transport:   redis://" in worker.log()

    lead.refresh_from_db()
    assert lead.routed_at is not None
    assert Wave.objects.filter(lead=lead).count() == 3
    assert list(Offer.objects.filter(lead=lead).values_list("contractor", flat=True)) == [pro.pk]
    offer_email = Notification.objects.get(user=pro.user, channel="email", template="new_offer")
    assert (offer_email.status, offer_email.attempts) == ("sent", 1)
    confirmation.refresh_from_db()
    assert (confirmation.status, confirmation.attempts) == ("sent", 1)
    to_homeowner = [
        path for path in mail_dir.iterdir() if "To: dana@example.com" in path.read_text()
    ]
    assert len(to_homeowner) == 1
    assert f"We received your request {lead.reference}" in to_homeowner[0].read_text()
    # Later sweeps find nothing left: routed once, confirmed once.
    assert sweep_unrouted_leads() == 0
    assert sweep_notifications() == 0
