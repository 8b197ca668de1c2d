"""Accepting an offer: one transaction, one charge, never oversold (pros racing for the
last slot: tests/resilience/test_purchase_races.py)."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.urls import reverse

from billing.models import Entry
from leads import services
from leads.models import Lead, Offer, Purchase
from marketplace.models import Contractor, Notification
from tests.factories import ContractorFactory, LeadFactory, fund

pytestmark = pytest.mark.django_db


def make_offer(lead=None, contractor=None, *, minutes_left=60, **lead_kwargs):
    lead = lead or LeadFactory(status=Lead.Status.OPEN, **lead_kwargs)
    contractor = contractor or fund(ContractorFactory())
    from django.utils import timezone

    now = timezone.now()
    return Offer.objects.create(
        lead=lead,
        contractor=contractor,
        route="marketplace",
        price_cents=450,
        offered_at=now,
        expires_at=now + timedelta(minutes=minutes_left),
    )


def test_accept_charges_once_records_the_purchase_and_reveals_the_contact(contractor):
    fund(contractor, 10_000)
    offer = make_offer(contractor=contractor)
    purchase = services.accept_offer(offer, contractor=contractor)
    contractor.account.refresh_from_db()
    assert contractor.account.balance_cents == 9_550
    assert purchase.entry.amount_cents == -450 and purchase.entry.kind == "lead_purchase"
    offer.refresh_from_db()
    assert offer.status == Offer.Status.ACCEPTED
    # The homeowner is told who accepted; the pro gets the contact. Both are in the outbox
    # with the sale, not written after it: a crash after commit loses neither.
    homeowner = Notification.objects.get(to=offer.lead.email)
    assert contractor.business_name in homeowner.body
    receipt = Notification.objects.get(user=contractor.user, channel="email")
    assert offer.lead.phone in receipt.body


def test_a_double_click_charges_once(contractor):
    fund(contractor, 10_000)
    offer = make_offer(contractor=contractor)
    first = services.accept_offer(offer, contractor=contractor)
    second = services.accept_offer(offer, contractor=contractor)
    assert first.pk == second.pk
    assert Entry.objects.filter(kind="lead_purchase").count() == 1


def test_balance_too_low_is_402_and_changes_nothing(contractor):
    fund(contractor, 400)
    offer = make_offer(contractor=contractor)
    with pytest.raises(services.DomainError) as error:
        services.accept_offer(offer, contractor=contractor)
    assert error.value.status_code == 402
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PENDING
    assert not Purchase.objects.exists()


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda o: Offer.objects.filter(pk=o.pk).update(status="declined"), "declined"),
        (lambda o: Offer.objects.filter(pk=o.pk).update(status="withdrawn"), "withdrawn"),
        (
            lambda o: Lead.objects.filter(pk=o.lead_id).update(status="expired"),
            "no longer available",
        ),
    ],
)
def test_a_closed_offer_or_lead_is_409(contractor, setup, message):
    fund(contractor)
    offer = make_offer(contractor=contractor)
    setup(offer)
    with pytest.raises(services.DomainError, match=message) as error:
        services.accept_offer(offer, contractor=contractor)
    assert error.value.status_code == 409


def test_an_expired_offer_is_409(contractor, clock):
    fund(contractor)
    offer = make_offer(contractor=contractor, minutes_left=60)
    clock.shift(timedelta(minutes=61))
    with pytest.raises(services.OfferNotPending, match="expired"):
        services.accept_offer(offer, contractor=contractor)


def test_another_contractors_offer_cannot_be_accepted(contractor, other_contractor):
    fund(other_contractor)
    offer = make_offer(contractor=contractor)
    with pytest.raises(services.OfferNotFound):
        services.accept_offer(offer, contractor=other_contractor)


def test_the_last_slot_fills_the_lead_and_withdraws_the_other_offers(
    contractor, django_capture_on_commit_callbacks
):
    lead = LeadFactory(status=Lead.Status.OPEN, max_pros=1, one_pro_only=True)
    winner = make_offer(lead, fund(contractor))
    others = [make_offer(lead) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        services.accept_offer(winner, contractor=contractor)
        # The other pros are told once the sale has committed, not under the lead's lock.
        assert not Notification.objects.filter(template="offer_withdrawn").exists()
    lead.refresh_from_db()
    assert lead.status == Lead.Status.FILLED
    assert {o.status for o in Offer.objects.filter(pk__in=[o.pk for o in others])} == {"withdrawn"}
    told = Notification.objects.filter(template="offer_withdrawn", channel="email")
    assert told.count() == 3
    with pytest.raises(services.DomainError):
        services.accept_offer(others[0], contractor=others[0].contractor)


def test_decline_is_only_for_pending_offers(contractor):
    offer = make_offer(contractor=contractor)
    services.decline_offer(offer, contractor=contractor)
    offer.refresh_from_db()
    assert offer.status == Offer.Status.DECLINED
    with pytest.raises(services.OfferNotPending):
        services.decline_offer(offer, contractor=contractor)


def test_offers_and_leads_expire_and_the_homeowner_is_told(clock):
    from django.utils import timezone

    lead = LeadFactory(status=Lead.Status.OPEN)
    Lead.objects.filter(pk=lead.pk).update(routed_at=timezone.now())
    offer = make_offer(lead)
    clock.shift(timedelta(minutes=61))
    assert services.expire_offers_and_leads() == {"offers": 1, "leads": 0}
    offer.refresh_from_db()
    assert offer.status == Offer.Status.EXPIRED
    clock.shift(timedelta(hours=48))
    assert services.expire_offers_and_leads()["leads"] == 1
    lead.refresh_from_db()
    assert lead.status == Lead.Status.EXPIRED
    assert Notification.objects.filter(to=lead.email, template="lead_expired").exists()


def test_a_lead_with_buyers_is_filled_not_expired_at_its_deadline(contractor, clock):
    from django.utils import timezone

    lead = LeadFactory(status=Lead.Status.OPEN)
    Lead.objects.filter(pk=lead.pk).update(routed_at=timezone.now())
    services.accept_offer(make_offer(lead, fund(contractor)), contractor=contractor)
    clock.shift(timedelta(hours=49))
    services.expire_offers_and_leads()
    lead.refresh_from_db()
    assert lead.status == Lead.Status.FILLED
    assert not Notification.objects.filter(template="lead_expired").exists()


def test_offers_page_hides_the_contact_until_bought(client, contractor):
    fund(contractor)
    offer = make_offer(contractor=contractor, name="Secret Name", phone="+16195550987")
    client.force_login(contractor.user)
    page = client.get(reverse("leads:offers")).content.decode()
    assert offer.lead.description[:30] in page
    assert "Secret Name" not in page and "+16195550987" not in page
    confirm = client.get(reverse("leads:offer-accept", args=[offer.pk])).content.decode()
    assert "Secret Name" not in confirm and "$4.50" in confirm and "Balance after" in confirm
    response = client.post(reverse("leads:offer-accept", args=[offer.pk]))
    purchase = Purchase.objects.get()
    assert response.url == reverse("leads:lead", args=[purchase.pk])
    detail = client.get(response.url).content.decode()
    assert "Secret Name" in detail and "+16195550987" in detail


def test_other_contractors_offers_and_leads_are_404(client, contractor, other_contractor):
    offer = make_offer(contractor=fund(contractor))
    purchase = services.accept_offer(offer, contractor=contractor)
    pending = make_offer(contractor=contractor)
    client.force_login(other_contractor.user)
    assert client.get(reverse("leads:offer-accept", args=[pending.pk])).status_code == 404
    assert client.post(reverse("leads:offer-accept", args=[pending.pk])).status_code == 404
    assert client.post(reverse("leads:offer-decline", args=[pending.pk])).status_code == 404
    assert client.get(reverse("leads:lead", args=[purchase.pk])).status_code == 404
    attempt = reverse("leads:lead-attempt", args=[purchase.pk])
    assert client.post(attempt, {"channel": "call", "result": "reached"}).status_code == 404
    outcome = reverse("leads:lead-outcome", args=[purchase.pk])
    assert client.post(outcome, {"outcome": "lost", "lost_reason": "x"}).status_code == 404
    purchase.refresh_from_db()
    assert purchase.outcome == "new" and not purchase.attempts.exists()
    page = client.get(reverse("leads:offers")).content.decode()
    assert pending.lead.description[:30] not in page


def test_offers_page_queries_do_not_grow_with_offers(client, contractor, django_assert_num_queries):
    fund(contractor)
    type(contractor).objects.filter(pk=contractor.pk).update(daily_lead_cap=50, weekly_lead_cap=50)
    for n in range(25):
        offer = make_offer(contractor=contractor)
        if n % 3 == 0:
            services.accept_offer(offer, contractor=contractor)
    client.force_login(contractor.user)
    with django_assert_num_queries(6):
        response = client.get(reverse("leads:offers"))
    assert len(response.context["page"]) == 20


def test_the_lead_page_logs_attempts_and_outcomes(client, contractor):
    purchase = services.accept_offer(make_offer(contractor=fund(contractor)), contractor=contractor)
    client.force_login(contractor.user)
    url = reverse("leads:lead-attempt", args=[purchase.pk])
    response = client.post(url, {"channel": "call", "result": "reached", "attempted_at": ""})
    assert response.status_code == 302
    purchase.refresh_from_db()
    assert purchase.outcome == "contacted"
    outcome_url = reverse("leads:lead-outcome", args=[purchase.pk])
    response = client.post(outcome_url, {"outcome": "won"})
    assert "final job value" in " ".join(
        response.context["outcome_form"].errors["final_value_dollars"]
    )
    client.post(outcome_url, {"outcome": "won", "final_value_dollars": "5200"})
    purchase.refresh_from_db()
    assert (purchase.outcome, purchase.final_value_cents) == ("won", 520_000)
    response = client.post(
        url, {"channel": "call", "result": "reached", "attempted_at": "2099-01-01T10:00"}
    )
    assert "future" in str(response.context["attempt_form"].errors)


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
