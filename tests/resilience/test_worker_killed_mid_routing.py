"""A worker process SIGKILLed while it routes a lead: the lead is still routed, exactly once
(one set of waves, one offer per pro), by whichever comes first of the redelivered task
(acks_late + reject_on_worker_lost), the routing sweep and beat's wave sender.

Real worker processes through the configured broker (Redis in CI, the filesystem locally);
the clock is moved, never waited for, where a sweep is involved.
"""

import re
from datetime import timedelta

import pytest
from django.conf import settings

from config.celery import app as celery_app
from leads import services
from leads.models import Offer, Wave
from leads.tasks import route_lead, sweep_unrouted_leads
from marketplace.models import ZipCode
from tests.factories import ContractorFactory, LeadFactory, fund

from .conftest import shared_database

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TIERS = ["elite", "elite", "pro", "base"]


@pytest.fixture
def pros(metro_zips, plumbing):
    return [fund(ContractorFactory(tier=tier, service_zips=["92101"])) for tier in TIERS]


@pytest.fixture
def lead(pros, plumbing):
    return LeadFactory(zip_code=ZipCode.objects.get(code="92101"), category=plumbing)


def assert_routed_once(lead, pros, time_machine):
    """One claim, one set of waves; once every wave is due, one offer per pro."""
    lead.refresh_from_db()
    assert lead.routed_at is not None
    waves = Wave.objects.filter(lead=lead)
    assert sorted(waves.values_list("tier", flat=True)) == ["base", "elite", "pro"]
    time_machine.move_to(lead.routed_at + timedelta(minutes=max(settings.WAVE_DELAYS_MINUTES)))
    services.send_due_waves()
    assert waves.filter(sent_at__isnull=True).count() == 0
    assert sorted(Offer.objects.filter(lead=lead).values_list("contractor_id", flat=True)) == (
        sorted(pro.pk for pro in pros)
    )
    # Whatever arrives late (a redelivery, the sweep, beat) finds nothing left to do.
    assert services.route(lead.pk) is None
    assert sweep_unrouted_leads() == 0
    assert services.send_due_waves() == 0
    assert Offer.objects.filter(lead=lead).count() == len(pros)


def test_a_pool_process_killed_mid_routing_is_redelivered_and_routes_once(
    lead, pros, celery_worker, tmp_path, time_machine
):
    """Prefork, as deployed: the pool process dies holding the task, the worker puts the
    message back (reject_on_worker_lost) and its next process routes the lead."""
    with (
        shared_database(tmp_path) as database_url,
        celery_worker(
            database_url, pool="prefork", pause_at="leads.services.routing:_schedule_waves"
        ) as worker,
    ):
        route_lead.delay(lead.pk)
        child = worker.paused_pid()  # lead claimed, its waves not yet saved
        assert child != worker.process.pid
        worker.kill(child)
        worker.wait_for_log("] succeeded")
    log = worker.log()
    assert "WorkerLostError" in log and "signal 9 (SIGKILL)" in log, log
    route_task = re.compile(r"leads\.tasks\.route_lead\[[-0-9a-f]+\] (received|succeeded)")
    assert [m.group(1) for m in route_task.finditer(log)] == ["received", "received", "succeeded"]
    assert_routed_once(lead, pros, time_machine)


def test_a_worker_killed_mid_routing_leaves_the_lead_to_the_routing_sweep(
    lead, pros, celery_worker, tmp_path, time_machine
):
    """The whole worker dies (a machine lost): its message waits out the broker's
    visibility timeout, an hour on Redis. The sweep routes the lead once it has waited
    ROUTING_SWEEP_AFTER; the message that comes back later changes nothing."""
    with (
        shared_database(tmp_path) as database_url,
        celery_worker(database_url, pause_at="leads.services.routing:_schedule_waves") as worker,
    ):
        route_lead.delay(lead.pk)
        assert worker.paused_pid() == worker.process.pid
        worker.kill()
    lead.refresh_from_db()
    assert lead.routed_at is None  # its claim died with the transaction
    assert not Wave.objects.filter(lead=lead).exists()
    assert celery_app.conf.task_always_eager  # from here on, tasks run in this process

    time_machine.move_to(lead.updated_at + settings.ROUTING_SWEEP_AFTER, tick=False)
    assert sweep_unrouted_leads() == 0  # the task may still be on its way
    time_machine.shift(timedelta(seconds=1))
    assert sweep_unrouted_leads() == 1
    route_lead.apply(args=[lead.pk])  # the killed worker's message, back after the hour
    assert_routed_once(lead, pros, time_machine)


def test_a_worker_killed_while_sending_the_first_wave_leaves_nothing_half_done(
    lead, pros, celery_worker, tmp_path, time_machine
):
    """Killed inside the first wave's offers: the claim, the waves and the first wave's
    offers and messages are one transaction, so none of it is saved, and the redelivered
    task routes the lead, once."""
    with (
        shared_database(tmp_path) as database_url,
        celery_worker(database_url, pause_at="leads.services.routing:_make_offers") as worker,
    ):
        route_lead.delay(lead.pk)
        worker.paused_pid()
        worker.kill()
    lead.refresh_from_db()
    assert lead.routed_at is None
    assert not Wave.objects.filter(lead=lead).exists()
    assert not Offer.objects.filter(lead=lead).exists()

    route_lead.apply(args=[lead.pk])  # the redelivery
    elite = {pro.pk for pro in pros if pro.tier == "elite"}
    assert set(Offer.objects.filter(lead=lead).values_list("contractor_id", flat=True)) == elite
    assert Wave.objects.get(lead=lead, tier="elite").offers_made == len(elite)
    assert_routed_once(lead, pros, time_machine)
