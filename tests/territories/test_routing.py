"""Routing precedence: profile lead > territory subscriber alone > marketplace, and the
fall-through to the marketplace on decline and on timeout (DESIGN step 4; seed 002)."""

from datetime import time, timedelta

import pytest

from billing import services as billing_services
from billing.models import Entry
from leads import services as leads
from leads.models import Lead, Offer
from marketplace.models import ServiceArea
from territories import services
from tests.factories import ContractorFactory, LeadFactory, fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscriber(clock, contractor, austin, plumbing):
    fund(contractor, 100_000)
    services.subscribe(contractor, zip_codes=[austin[0]], category=plumbing)
    return contractor


@pytest.fixture
def marketplace_pro(metro_zips):
    pro = ContractorFactory(tier="elite")
    ServiceArea.objects.create(contractor=pro, zip_code_id="78701")
    return fund(pro)


def lead_in(zip_code="78701", *, category, **kwargs):
    return LeadFactory(zip_code_id=zip_code, category=category, status=Lead.Status.OPEN, **kwargs)


def offers(lead):
    return dict(Offer.objects.filter(lead=lead).values_list("contractor_id", "status"))


def test_the_subscriber_alone_is_offered_first_at_the_per_lead_fee(
    clock, subscriber, marketplace_pro, plumbing
):
    lead = lead_in(category=plumbing)
    leads.route(lead.pk)
    offer = Offer.objects.get(lead=lead)
    assert offer.contractor == subscriber and offer.route == "territory"
    assert offer.price_cents == 1_500  # the per-lead fee, not 1% of $450
    assert offer.expires_at == offer.offered_at + timedelta(minutes=15)
    clock.shift(timedelta(minutes=14, seconds=59))
    leads.send_due_waves()
    assert offers(lead) == {subscriber.pk: "pending"}


def test_a_lead_outside_the_territory_goes_to_the_marketplace(
    clock, subscriber, marketplace_pro, plumbing
):
    ServiceArea.objects.create(contractor=marketplace_pro, zip_code_id="78702")
    lead = lead_in("78702", category=plumbing)
    leads.route(lead.pk)
    assert offers(lead) == {marketplace_pro.pk: "pending"}


def test_timeout_sends_the_lead_to_the_marketplace(clock, subscriber, marketplace_pro, plumbing):
    lead = lead_in(category=plumbing)
    leads.route(lead.pk)
    clock.shift(timedelta(minutes=15))
    leads.expire_offers_and_leads()
    leads.send_due_waves()
    assert offers(lead) == {subscriber.pk: "expired", marketplace_pro.pk: "pending"}
    assert Offer.objects.get(contractor=marketplace_pro).price_cents == 450  # 1%


def test_decline_sends_the_lead_to_the_marketplace_at_once(
    clock, subscriber, marketplace_pro, plumbing, django_capture_on_commit_callbacks
):
    lead = lead_in(category=plumbing)
    leads.route(lead.pk)
    clock.shift(timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        leads.decline_offer(Offer.objects.get(lead=lead), contractor=subscriber)
    assert offers(lead) == {subscriber.pk: "declined", marketplace_pro.pk: "pending"}
    # The other tiers keep their delays, counted from the decline.
    assert lead.waves.get(tier="pro").due_at == lead.waves.get(tier="elite").due_at + timedelta(
        minutes=10
    )


def test_accepting_charges_the_fee_and_keeps_the_lead_exclusive(
    clock, subscriber, marketplace_pro, plumbing
):
    lead = lead_in(category=plumbing)
    leads.route(lead.pk)
    purchase = leads.accept_offer(Offer.objects.get(lead=lead), contractor=subscriber)
    assert purchase.price_cents == 1_500
    assert purchase.entry.amount_cents == -1_500 and purchase.entry.kind == Entry.Kind.LEAD_PURCHASE
    assert purchase.entry.memo.startswith("Territory lead")
    lead.refresh_from_db()
    assert lead.status == Lead.Status.FILLED
    clock.shift(timedelta(hours=1))
    leads.send_due_waves()
    assert offers(lead) == {subscriber.pk: "accepted"}  # never resold


def test_a_profile_lead_goes_to_the_chosen_pro_even_in_a_territory(
    clock, subscriber, marketplace_pro, plumbing
):
    lead = lead_in(category=plumbing, profile_contractor=marketplace_pro)
    leads.route(lead.pk)
    assert offers(lead) == {marketplace_pro.pk: "pending"}
    assert Offer.objects.get(lead=lead).route == "profile"


@pytest.mark.parametrize(
    "unavailable",
    ["paused", "over_daily_cap", "balance_below_fee", "inactive"],
)
def test_an_unavailable_subscriber_is_skipped(
    clock, subscriber, marketplace_pro, plumbing, unavailable
):
    if unavailable == "paused":
        subscriber.is_paused = True
    elif unavailable == "inactive":
        subscriber.is_active = False
    elif unavailable == "over_daily_cap":
        subscriber.daily_lead_cap = 1
        earlier = lead_in(category=plumbing, phone="+15125550101", email="x@example.com")
        leads.route(earlier.pk)
        leads.accept_offer(Offer.objects.get(lead=earlier), contractor=subscriber)
    elif unavailable == "balance_below_fee":
        account = subscriber.account
        account.refresh_from_db()
        billing_services.post_entry(
            account,
            kind="adjustment",
            amount_cents=-(account.balance_cents - 1_499),
            memo="drain",
            reason="test",
        )
    subscriber.save()
    lead = lead_in(category=plumbing)
    leads.route(lead.pk)
    assert offers(lead) == {marketplace_pro.pk: "pending"}


def test_an_urgent_lead_skips_a_subscriber_in_quiet_hours_but_a_calm_one_waits(
    clock, subscriber, marketplace_pro, plumbing
):
    # 14:00 UTC is 06:00 in Los Angeles, inside quiet hours of 21:00 to 07:00.
    subscriber.quiet_hours_start, subscriber.quiet_hours_end = time(21), time(7)
    subscriber.save()
    urgent = lead_in(category=plumbing, timeframe="urgent")
    leads.route(urgent.pk)
    assert offers(urgent) == {marketplace_pro.pk: "pending"}
    calm = lead_in(category=plumbing, timeframe="flexible", phone="+15125550102")
    leads.route(calm.pk)
    assert offers(calm) == {subscriber.pk: "pending"}


def test_a_subscriber_below_the_star_score_still_gets_their_territory(
    clock, subscriber, marketplace_pro, plumbing
):
    subscriber.star_score = 50
    subscriber.save()
    lead = lead_in(category=plumbing)
    leads.route(lead.pk)
    assert offers(lead) == {subscriber.pk: "pending"}
    leads.accept_offer(Offer.objects.get(lead=lead), contractor=subscriber)


def test_a_subscriber_in_grace_still_gets_leads_a_suspended_one_does_not(
    clock, subscriber, marketplace_pro, plumbing
):
    subscription = subscriber.territory_subscriptions.get()
    subscription.status = "past_due"
    subscription.save()
    lead = lead_in(category=plumbing)
    leads.route(lead.pk)
    assert offers(lead) == {subscriber.pk: "pending"}
    subscription.status = "suspended"
    subscription.save()
    other = lead_in(category=plumbing, phone="+15125550103")
    leads.route(other.pk)
    assert offers(other) == {marketplace_pro.pk: "pending"}


def test_ops_cannot_reroute_a_lead_inside_the_subscribers_window(
    clock, subscriber, marketplace_pro, plumbing, django_capture_on_commit_callbacks
):
    from marketplace.errors import DomainError

    lead = lead_in(category=plumbing)
    leads.route(lead.pk)
    with pytest.raises(DomainError, match="exclusive territory window until"):
        leads.reroute_lead(lead)
    assert offers(lead) == {subscriber.pk: "pending"}
    # Withdrawing the subscriber's offer ends the window: the marketplace gets it now.
    with django_capture_on_commit_callbacks(execute=True):
        assert leads.withdraw_offers(lead) == 1
    assert offers(lead) == {subscriber.pk: "withdrawn", marketplace_pro.pk: "pending"}
