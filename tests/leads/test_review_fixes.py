"""Rules that must also hold at the moment of buying, and contact that must not leak."""

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.db import OperationalError, connections
from django.urls import reverse

from leads import policy, services
from leads.models import Lead, Offer, Purchase, Wave
from marketplace import notifications
from marketplace.models import Contractor, Notification, ServiceArea, SmsOptOut, ZipCode
from tests.factories import ContractorFactory, LeadFactory, UserFactory, fund

from .test_accept import make_offer

pytestmark = pytest.mark.django_db


def test_accepting_respects_the_daily_cap_at_the_moment_of_buying(contractor):
    fund(contractor)
    Contractor.objects.filter(pk=contractor.pk).update(daily_lead_cap=1, weekly_lead_cap=5)
    first, second = make_offer(contractor=contractor), make_offer(contractor=contractor)
    services.accept_offer(first, contractor=contractor)
    with pytest.raises(services.NotABuyer, match="lead cap") as error:
        services.accept_offer(second, contractor=contractor)
    assert error.value.status_code == 409
    assert Purchase.objects.count() == 1


def test_accepting_respects_the_monthly_budget(contractor):
    fund(contractor)
    Contractor.objects.filter(pk=contractor.pk).update(monthly_budget_cents=500)
    services.accept_offer(make_offer(contractor=contractor), contractor=contractor)  # $4.50
    with pytest.raises(services.NotABuyer, match="budget"):
        services.accept_offer(make_offer(contractor=contractor), contractor=contractor)


@pytest.mark.parametrize(
    ("change", "message"),
    [({"is_paused": True}, "paused"), ({"is_active": False}, "cannot buy")],
)
def test_a_pro_paused_or_deactivated_after_the_offer_cannot_buy(contractor, change, message):
    fund(contractor)
    offer = make_offer(contractor=contractor)
    Contractor.objects.filter(pk=contractor.pk).update(**change)
    with pytest.raises(services.NotABuyer, match=message):
        services.accept_offer(offer, contractor=contractor)


def test_the_same_homeowner_is_never_sold_twice_to_one_pro_even_through_a_profile(
    contractor, metro_zips, plumbing
):
    fund(contractor)
    first = make_offer(contractor=contractor, phone="+16195550123")
    services.accept_offer(first, contractor=contractor)
    again = LeadFactory(
        status=Lead.Status.OPEN, phone="+16195550123", profile_contractor=contractor
    )
    services.route(again.pk)
    again.refresh_from_db()
    assert (again.status, again.rejection_reason) == (Lead.Status.REJECTED, "duplicate")
    assert not Offer.objects.filter(lead=again).exists()
    # And an offer made some other way is refused at the moment of buying.
    offer = make_offer(LeadFactory(status=Lead.Status.OPEN, phone="+16195550123"), contractor)
    with pytest.raises(services.NotABuyer, match="already bought"):
        services.accept_offer(offer, contractor=contractor)


def test_a_low_star_score_keeps_a_pro_out_and_no_reviews_does_not(
    clock, metro_zips, plumbing, settings
):
    downtown = ZipCode.objects.get(code="92101")
    rated_low, unrated, rated_high = (
        ContractorFactory(tier="elite", star_score=70),
        ContractorFactory(tier="elite", star_score=None),
        ContractorFactory(tier="elite", star_score=95),
    )
    for pro in (rated_low, unrated, rated_high):
        ServiceArea.objects.create(contractor=pro, zip_code=downtown)
        fund(pro)
    lead = LeadFactory(status=Lead.Status.OPEN, zip_code=downtown, category=plumbing)
    services.route(lead.pk)
    offered = set(Offer.objects.filter(lead=lead).values_list("contractor_id", flat=True))
    assert offered == {unrated.pk, rated_high.pk}


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


@pytest.mark.parametrize(
    "description",
    [
        "Leaky pipe. Call Dana on 619 555 0177 after 5pm please.",
        "Leaky pipe, reach me at dana.rivera@example.com anytime.",
        "Leaky pipe at 12 Elm Street, ask for Dana Rivera.",
        "Leaky pipe, text (619) 555-0177 or +1 619 555 0177.",
    ],
)
def test_contact_written_in_the_description_is_masked_before_purchase(
    client, contractor_api, contractor, description
):
    fund(contractor)
    offer = make_offer(
        contractor=contractor,
        description=description,
        name="Dana Rivera",
        street_address="12 Elm Street",
    )
    secrets = ["555 0177", "555-0177", "dana.rivera@", "Dana", "Rivera", "12 Elm Street"]
    api = str(contractor_api.get(reverse("api:offers")).json())
    client.force_login(contractor.user)
    page = client.get(reverse("leads:offers")).content.decode()
    confirm = client.get(reverse("leads:offer-accept", args=[offer.pk])).content.decode()
    for text in (api, page, confirm):
        assert "Leaky pipe" in text
        assert not [s for s in secrets if s in text], text
    assert policy.HIDDEN in api


def test_a_notification_is_sent_once_even_if_a_sweep_and_a_retry_race(contractor):
    contractor.notify_in_app = False
    rows = notifications.notify_contractor(
        contractor, template="lead_expired", context={"lead": LeadFactory()}
    )
    sends = []
    with mock.patch.dict(notifications.BACKENDS, {"email": lambda n: sends.append(n.pk)}):
        notifications.send(rows[0].pk)
        notifications.send(rows[0].pk)
    assert sends == [rows[0].pk]


def test_a_new_offer_text_held_past_the_offers_expiry_is_dropped(contractor, clock):
    from datetime import time

    Contractor.objects.filter(pk=contractor.pk).update(
        notify_sms=True, quiet_hours_start=time(0, 0), quiet_hours_end=time(23, 59)
    )
    contractor.refresh_from_db()
    offer = make_offer(contractor=contractor)
    notifications.notify_contractors(
        [(contractor, "lead_expired", {"lead": offer.lead}, "")], expires_at=offer.expires_at
    )
    sms = Notification.objects.get(channel="sms")
    clock.shift(timedelta(days=1))
    notifications.send(sms.pk)
    sms.refresh_from_db()
    assert sms.status == "failed" and "expired" in sms.last_error


def test_a_wave_of_texting_pros_costs_the_same_queries_for_1_or_20(clock, metro_zips, plumbing):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    downtown = ZipCode.objects.get(code="92101")
    SmsOptOut.objects.create(phone="+10000000000")
    counts = []
    for n in (1, 20):
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
    assert counts[0] == counts[1], counts


def test_stripe_failures_are_explained_not_500(contractor_client, settings):
    import stripe

    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_x", "whsec_x"
    with mock.patch.object(
        stripe.checkout.Session, "create", side_effect=stripe.APIConnectionError("down")
    ):
        response = contractor_client.post(reverse("billing:top-up"), {"amount_dollars": "100"})
    assert response.status_code == 200
    assert "not available right now" in response.content.decode()


def test_a_huge_final_value_is_a_400(contractor_api, contractor):
    fund(contractor)
    offer = make_offer(contractor=contractor)
    contractor_api.post(reverse("api:offer-accept", args=[offer.pk]))
    response = contractor_api.patch(
        reverse("api:lead", args=[offer.lead_id]),
        {"outcome": "won", "final_value_cents": 10**12},
        format="json",
    )
    assert response.status_code == 400 and "final_value_cents" in response.json()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "postgresql" not in django_settings.DATABASES["default"]["ENGINE"],
    reason="row locks need PostgreSQL (CI runs it)",
)
def test_one_pro_accepting_many_offers_at_once_stays_within_the_cap():
    pro = fund(ContractorFactory(daily_lead_cap=2, weekly_lead_cap=10), 50_000)
    offers = [make_offer(contractor=pro) for _ in range(6)]
    barrier = threading.Barrier(6)
    results = [None] * 6

    def accept(i):
        try:
            barrier.wait()
            results[i] = services.accept_offer(offers[i], contractor=pro)
        except Exception as error:  # noqa: BLE001
            results[i] = error
        finally:
            connections.close_all()  # this thread's connection, so the test db can be dropped

    threads = [threading.Thread(target=accept, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert Purchase.objects.filter(contractor=pro).count() == 2
    assert sum(isinstance(r, services.NotABuyer) for r in results) == 4


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
