"""The bench's pieces at a tiny size: its data builders leave consistent data, its counters
count, its statistics are right. No timing is asserted here: `make bench` reports times."""

import json
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.db.models import F

from bench import data, measure, run
from billing.services import ledger_mismatches
from credits.models import CreditClaim
from insights.analytics import Period, contractor_analytics
from leads.models import ContactAttempt, Lead, Offer, Purchase
from marketplace.models import Contractor, Notification, ServiceArea
from tests.factories import ServiceCategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _categories(plumbing):
    """The bench's data picks the categories migrations seed (plumbing and the first few);
    a transactional test run earlier in the same process has flushed them."""
    for slug in ("electrical", "hvac", "roofing"):
        ServiceCategoryFactory(slug=slug, name=slug.title())


def test_the_market_is_fifteen_signed_up_pros_and_the_watched_one_is_elite(metro_zips):
    elite = data.market()
    assert elite.tier == Contractor.Tier.ELITE and elite.onboarded_at is not None
    assert Contractor.objects.filter(service_areas__zip_code_id=data.MARKET_ZIP).count() == 15
    assert elite.account.balance_cents > 0


def test_the_routing_crowd_nests_n_pros_in_each_zip(metro_zips):
    pros = data.routing_crowd((2, 3, 5))
    assert len(pros) == 5
    zips = data.routing_zips((2, 3, 5))
    for n, code in zips.items():
        assert ServiceArea.objects.filter(zip_code_id=code).count() == n
    assert not ledger_mismatches()


def test_routing_one_lead_offers_every_eligible_pro(metro_zips):
    data.routing_crowd((2, 3, 5))
    series, queries, offers = run.routing_times((2, 3, 5), rounds=2)
    assert {n: offers[n] for n in offers} == {2: [2, 2], 3: [3, 3], 5: [5, 5]}
    assert all(len(s.values) == 2 for s in series.values())
    assert all(q > 0 for counts in queries.values() for q in counts)


def test_a_purchased_history_adds_up(metro_zips):
    small, big = data.pages_pair(small=3, big=40)
    for pro, count in ((small, 3), (big, 40)):
        assert Purchase.objects.filter(contractor=pro).count() == count
        assert Offer.objects.filter(contractor=pro, status="pending").count() == 10
        assert Notification.objects.filter(user=pro.user).count() == 2 * count
    assert ContactAttempt.objects.filter(purchase__contractor=big).exists()
    # Every offer carries its lead's keys, as routing makes them (analytics counts by them).
    assert not Offer.objects.exclude(
        category=F("lead__category"), zip_code=F("lead__zip_code"), utm_source=F("lead__utm_source")
    ).exists()
    assert not ledger_mismatches()  # every balance is the sum of its entries
    approved = CreditClaim.objects.filter(status=CreditClaim.Status.APPROVED)
    assert all(c.credited_cents == c.purchase.price_cents for c in approved)
    months = {
        d.month for d in Lead.objects.filter(purchases__contractor=big).dates("created_at", "month")
    }
    assert len(months) >= 10  # spread over the year, not bought today


def test_request_cost_counts_statements_and_history_rows(client, metro_zips, settings):
    settings.INTAKE_RATE_LIMIT = "100000/h"
    cost = measure.request_cost(
        lambda: client.post(
            "/api/v1/quote-requests/",
            json.dumps(run.quote_json(data.MARKET_ZIP, 1)),
            content_type="application/json",
        )
    )
    assert cost.status == 201
    assert cost.queries == len(cost.sql) > 0
    assert cost.history_rows >= 1  # the lead's own


def test_the_redis_counter_counts_commands_and_pipelines(settings):
    redis = pytest.importorskip("redis")
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis"):
        pytest.skip("needs REDIS_URL")
    client = redis.Redis.from_url(url)
    with measure.count_redis() as sent:
        client.set("bench-smoke", 1)
        with client.pipeline() as pipe:
            pipe.get("bench-smoke").delete("bench-smoke").execute()
    assert (sent.round_trips, sent.commands) == (2, 3)


def test_statistics():
    assert measure.percentile([1, 2, 3, 4, 5], 50) == 3
    assert measure.p95(list(range(101))) == 95
    few, many = measure.Series("a"), measure.Series("b")
    for values, s in (([1.0, 2.0], few), ([3.0, 4.0], many)):
        s.new_round()
        for v in values:
            s.add(v)
    assert measure.round_ratios(many, few) == [pytest.approx(3.95 / 1.95)]
    line = measure.Ratio("x ratio", 2.0, [1.5, 2.5], 3).line()
    assert line.startswith("x ratio: 2.00x (target <= 3x") and line.endswith(" OK")
    assert measure.Ratio("y", 0.1, [0.1], 0.3, higher_is_better=True).line().endswith("OVER")


def test_the_bench_starts_the_procfile_workers():
    commands = run.worker_commands()
    assert commands and all(c[1:4] == ["-m", "celery", "-A"] for c in commands)
    assert all("worker" in c for c in commands)


def test_the_pages_pair_has_its_analytics_rollup(metro_zips):
    """Bulk history skips the events: the bench rebuilds the rollup as the nightly run does."""
    small, big = data.pages_pair(small=3, big=12)
    today = date.today()
    period = Period(today - timedelta(days=400), today + timedelta(days=1), big.timezone)
    assert contractor_analytics(big, period).totals.leads == 12


def test_the_workers_stopped_for_the_web_tier_alone_are_continued_after():
    """`Processes.paused`: the named processes are stopped (state T) meanwhile, the others
    run, and all run again after."""

    def state(proc) -> str:
        return Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]

    def wait_for(proc, states: str) -> str:
        for _ in range(200):
            if (now := state(proc)) in states:
                return now
            time.sleep(0.01)
        return state(proc)

    spin = [sys.executable, "-c", "import time\nwhile True: time.sleep(0.005)"]
    procs = run.Processes(dict(os.environ))
    try:
        procs.start("worker-0", spin)
        procs.start("web", spin)
        worker, web = procs.named["worker-0"], procs.named["web"]
        with procs.paused("worker") as stopped:
            assert stopped == [worker]
            assert wait_for(worker, "T") == "T"
            assert state(web) != "T"
        assert wait_for(worker, "RS") in "RS"
        assert worker.poll() is None and web.poll() is None
    finally:
        procs.stop()
