"""Routing: who is offered a lead, in which wave, and when."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError
from django.utils import timezone

from leads import services
from leads.models import Lead, Offer, Purchase, Wave
from marketplace.models import Contractor, Notification, ServiceArea, SmsOptOut, ZipCode
from tests.factories import (
    ContractorFactory,
    LeadFactory,
    ServiceCategoryFactory,
    UserFactory,
    fund,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def downtown(metro_zips):
    return ZipCode.objects.get(code="92101")


def pro(tier="elite", zip_code="92101", **kwargs):
    contractor = ContractorFactory(tier=tier, **kwargs)
    ServiceArea.objects.create(contractor=contractor, zip_code_id=zip_code)
    return fund(contractor)


def open_lead(downtown, plumbing, **kwargs):
    return LeadFactory(zip_code=downtown, category=plumbing, status=Lead.Status.OPEN, **kwargs)


def offered(lead):
    return set(Offer.objects.filter(lead=lead).values_list("contractor_id", flat=True))


def test_elite_are_offered_at_once_pro_after_ten_minutes_base_after_twenty(
    clock, downtown, plumbing
):
    elite, pro_, base = pro("elite"), pro("pro"), pro("base")
    lead = open_lead(downtown, plumbing)
    services.route(lead.pk)
    assert offered(lead) == {elite.pk}
    clock.shift(timedelta(minutes=9, seconds=59))
    services.send_due_waves()
    assert offered(lead) == {elite.pk}
    clock.shift(timedelta(seconds=1))
    services.send_due_waves()
    assert offered(lead) == {elite.pk, pro_.pk}
    clock.shift(timedelta(minutes=10))
    services.send_due_waves()
    assert offered(lead) == {elite.pk, pro_.pk, base.pk}
    offer = Offer.objects.get(lead=lead, contractor=elite)
    assert offer.price_cents == 450  # 1% of $450
    assert offer.expires_at == offer.offered_at + timedelta(minutes=60)


def test_everyone_in_a_wave_is_offered_at_the_same_moment(clock, downtown, plumbing):
    elites = [pro("elite") for _ in range(5)]
    lead = open_lead(downtown, plumbing)
    services.route(lead.pk)
    times = set(Offer.objects.filter(lead=lead).values_list("offered_at", flat=True))
    assert offered(lead) == {e.pk for e in elites}
    assert len(times) == 1


def test_a_wave_is_sent_once_even_if_the_sweep_runs_again(clock, downtown, plumbing):
    pro("elite")
    lead = open_lead(downtown, plumbing)
    services.route(lead.pk)
    services.send_due_waves()
    services.route(lead.pk)
    assert Offer.objects.filter(lead=lead).count() == 1
    assert Wave.objects.filter(lead=lead).count() == 3


def test_a_due_wave_still_goes_out_after_a_worker_restart(clock, downtown, plumbing):
    """Waves are rows with due times, not in-memory countdowns: a fresh process sends them."""
    base = pro("base")
    lead = open_lead(downtown, plumbing)
    services.route(lead.pk)
    clock.shift(timedelta(hours=1))  # the worker was down through both delayed waves
    from leads.tasks import send_due_waves

    assert send_due_waves() == 2
    assert offered(lead) == {base.pk}


def test_a_profile_lead_goes_to_its_pro_only(clock, downtown, plumbing):
    chosen = pro("base")
    pro("elite")
    lead = open_lead(downtown, plumbing, profile_contractor=chosen)
    services.route(lead.pk)
    assert offered(lead) == {chosen.pk}
    assert Offer.objects.get(lead=lead).route == "profile"
    assert not Wave.objects.filter(lead=lead).exists()


@pytest.mark.parametrize(
    "make_ineligible",
    [
        lambda c: Contractor.objects.filter(pk=c.pk).update(is_paused=True),
        lambda c: Contractor.objects.filter(pk=c.pk).update(is_active=False),
        lambda c: Contractor.objects.filter(pk=c.pk).update(onboarded_at=None),
        lambda c: c.categories.set([ServiceCategoryFactory(name="Roofing", slug="roofing")]),
        lambda c: ServiceArea.objects.filter(contractor=c).update(zip_code_id="92103"),
        lambda c: c.account.__class__.objects.filter(pk=c.account.pk).update(balance_cents=449),
        lambda c: Contractor.objects.filter(pk=c.pk).update(monthly_budget_cents=100),
    ],
    ids=["paused", "inactive", "not-onboarded", "category", "zip", "balance", "budget"],
)
def test_each_eligibility_rule_alone_keeps_a_pro_out(clock, downtown, plumbing, make_ineligible):
    keeper, excluded = pro("elite"), pro("elite")
    make_ineligible(excluded)
    lead = open_lead(downtown, plumbing)
    services.route(lead.pk)
    assert offered(lead) == {keeper.pk}


def _bought(contractor, downtown, plumbing, **lead_kwargs):
    lead = open_lead(downtown, plumbing, **lead_kwargs)
    offer = Offer.objects.create(
        lead=lead,
        contractor=contractor,
        route="marketplace",
        price_cents=450,
        offered_at=lead.created_at,
        expires_at=lead.created_at + timedelta(hours=1),
    )
    return services.accept_offer(offer, contractor=contractor)


def test_daily_and_weekly_caps(clock, downtown, plumbing):
    capped = pro("elite")
    Contractor.objects.filter(pk=capped.pk).update(daily_lead_cap=1, weekly_lead_cap=2)
    _bought(capped, downtown, plumbing)
    lead = open_lead(downtown, plumbing)
    services.route(lead.pk)
    assert offered(lead) == set()  # one today already
    clock.shift(timedelta(days=1, minutes=1))
    _bought(capped, downtown, plumbing)  # second this week
    clock.shift(timedelta(days=1, minutes=1))
    later = open_lead(downtown, plumbing)
    services.route(later.pk)
    assert offered(later) == set()  # daily fine, weekly full
    clock.shift(timedelta(days=6))
    again = open_lead(downtown, plumbing)
    services.route(again.pk)
    assert offered(again) == {capped.pk}


def test_never_the_same_homeowner_and_category_twice_in_thirty_days(clock, downtown, plumbing):
    buyer, other = pro("elite"), pro("elite")
    _bought(buyer, downtown, plumbing, phone="+16195550123")
    repeat = open_lead(downtown, plumbing, phone="+16195550123")
    services.route(repeat.pk)
    assert offered(repeat) == {other.pk}


def test_the_same_homeowner_is_known_by_email_alone_too(clock, downtown, plumbing):
    """Each way of knowing the homeowner is its own branch of the query (and index): a new
    phone with a known email is still the same homeowner; a caller without an email is
    known by phone alone, never as every other caller."""
    buyer, other = pro("elite"), pro("elite")
    _bought(buyer, downtown, plumbing, phone="+16195550123", email="dana@example.com")
    new_phone = open_lead(downtown, plumbing, phone="+16195550199", email="dana@example.com")
    services.route(new_phone.pk)
    assert offered(new_phone) == {other.pk}
    _bought(buyer, downtown, plumbing, phone="+16195550124", email="")
    stranger = open_lead(downtown, plumbing, phone="+16195550125", email="")
    services.route(stranger.pk)
    assert offered(stranger) == {buyer.pk, other.pk}


# Routing a lead with its first wave: BEGIN, lock the lead, mark it routed and its history
# row, the territory's holder, any waves yet, the pros' zones, the eligible pros, then one
# insert each of waves, offers and messages, and COMMIT.
ROUTING_QUERIES = 13

# N stays under SQLite's bulk insert batch (999 parameters: 55 notifications), which splits
# a larger wave's insert in two on the embedded default; PostgreSQL has no such batch.


def test_matching_costs_the_same_queries_for_1_or_20_pros(
    clock, downtown, plumbing, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for n in (1, 20):  # in-app and email each: 40 notifications
        for _ in range(n):
            pro("elite")
        lead = open_lead(downtown, plumbing)
        with CaptureQueriesContext(connection) as queries:
            services.route(lead.pk)
        counts.append(len(queries))
        assert Offer.objects.filter(lead=lead).count() == n
        Contractor.objects.update(is_active=False)
    # One transaction: claim the lead, its waves, the first wave's offers and messages.
    assert counts[0] == counts[1] <= ROUTING_QUERIES, counts


def test_new_offers_notify_each_pro_on_their_channels(clock, downtown, plumbing):
    texter = pro("elite", notify_sms=True)
    lead = open_lead(downtown, plumbing)
    services.route(lead.pk)
    channels = set(Notification.objects.filter(user=texter.user).values_list("channel", flat=True))
    assert channels == {"in_app", "email", "sms"}
    sms = Notification.objects.get(user=texter.user, channel="sms")
    assert "$4.50" in sms.body
    assert lead.name not in sms.body and lead.phone not in sms.body  # no contact before buying
    assert Purchase.objects.count() == 0


def test_a_routing_failure_leaves_the_lead_for_the_retry(clock, metro_zips, plumbing):
    lead = LeadFactory(status=Lead.Status.OPEN, zip_code=ZipCode.objects.get(code="92101"))
    with mock.patch.object(Wave.objects, "bulk_create", side_effect=OperationalError("db gone")):
        with pytest.raises(OperationalError):
            services.route(lead.pk)
    lead.refresh_from_db()
    assert lead.routed_at is None  # not claimed: the retry or the sweep routes it
    assert services.route(lead.pk) is not None
    assert Wave.objects.filter(lead=lead).count() == 3


def test_re_route_leaves_a_profile_lead_with_its_pro_while_they_have_it(contractor, clock):
    fund(contractor)
    lead = LeadFactory(status=Lead.Status.OPEN, profile_contractor=contractor)
    services.route(lead.pk)
    assert lead.offers.filter(status="pending").count() == 1
    with pytest.raises(services.DomainError, match="still has the offer"):
        services.reroute_lead(lead, by=UserFactory(is_staff=True))
    assert not Wave.objects.filter(lead=lead).exists()


def test_a_wave_of_texting_pros_costs_the_same_queries_for_1_or_15(clock, metro_zips, plumbing):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    downtown = ZipCode.objects.get(code="92101")
    SmsOptOut.objects.create(phone="+10000000000")
    counts = []
    for n in (1, 15):  # in-app, email and text each: 45 notifications
        Contractor.objects.update(is_active=False)
        for _ in range(n):
            pro = ContractorFactory(tier="elite", notify_sms=True)
            ServiceArea.objects.create(contractor=pro, zip_code=downtown)
            fund(pro)
        lead = LeadFactory(status=Lead.Status.OPEN, zip_code=downtown, category=plumbing)
        with CaptureQueriesContext(connection) as queries:
            services.route(lead.pk)
        counts.append(len(queries))
        assert Offer.objects.filter(lead=lead).count() == n
    assert counts[0] == counts[1] <= ROUTING_QUERIES + 1, counts  # + the opt-out lookup


def test_a_routed_offer_text_carries_the_offers_expiry(clock, metro_zips, plumbing):
    downtown = ZipCode.objects.get(code="92101")
    pro = ContractorFactory(tier="elite", notify_sms=True)
    ServiceArea.objects.create(contractor=pro, zip_code=downtown)
    fund(pro)
    lead = LeadFactory(status=Lead.Status.OPEN, zip_code=downtown, category=plumbing)
    services.route(lead.pk)
    offer = Offer.objects.get(lead=lead)
    sms = Notification.objects.get(user=pro.user, channel="sms", template="new_offer")
    assert sms.expires_at == offer.expires_at


def test_re_route_keeps_the_earlier_waves_and_offers(clock, metro_zips, plumbing):
    downtown = ZipCode.objects.get(code="92101")
    early = ContractorFactory(tier="elite")
    ServiceArea.objects.create(contractor=early, zip_code=downtown)
    fund(early)
    lead = LeadFactory(status=Lead.Status.OPEN, zip_code=downtown, category=plumbing)
    services.route(lead.pk)
    late = ContractorFactory(tier="base")
    ServiceArea.objects.create(contractor=late, zip_code=downtown)
    fund(late)
    assert services.reroute_lead(lead) == 1
    assert Wave.objects.filter(lead=lead).count() == 3
    assert set(Offer.objects.filter(lead=lead).values_list("contractor_id", flat=True)) == {
        early.pk,
        late.pk,
    }


def test_a_wave_reads_its_pros_from_a_query_compiled_once(clock, downtown, plumbing):
    """wave_contractors() answers as eligible_contractors() does, in each shape (with and
    without the homeowner's email; pros in one zone or several), from compiled SQL."""
    from leads import queries

    east = pro("elite")
    Contractor.objects.filter(pk=east.pk).update(timezone="America/New_York")
    low = pro("elite")
    Contractor.objects.filter(pk=low.pk).update(star_score=10)
    west = pro("elite")
    for email in ("dana@example.com", ""):
        lead = open_lead(downtown, plumbing, email=email)
        now = timezone.now()
        wave = queries.wave_contractors(lead, tier="elite", price_cents=450, now=now)
        expected = queries.eligible_contractors(lead, tier="elite", price_cents=450, now=now)
        assert [c.pk for c in wave] == [c.pk for c in expected] == [east.pk, west.pk]
        assert [(c.user.email, c.timezone) for c in wave] == [
            (c.user.email, c.timezone) for c in expected
        ]
    assert queries._WAVE_QUERY._compiled
    assert all(entry is not False for entry in queries._WAVE_QUERY._compiled.values())
