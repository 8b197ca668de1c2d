"""A lead that leaves "open" takes back its pending offers at once, whatever closes it: the
homeowner's dispute, a buyer's won job, the homeowner saying they hired someone."""

from datetime import timedelta

import pytest
from django.urls import reverse

from credits import services as credit_services
from credits.models import CreditClaim
from leads import services
from leads.models import Lead, Offer, Wave
from marketplace.models import Notification, ServiceArea
from tests.factories import ContractorFactory, LeadFactory, fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def routed(clock, metro_zips, plumbing, django_capture_on_commit_callbacks):
    """An open lead offered to two elite pros at once; the base wave still waits."""
    pros = []
    for tier in ("elite", "elite", "base"):
        pro = fund(ContractorFactory(tier=tier))
        ServiceArea.objects.create(contractor=pro, zip_code_id="92101")
        pros.append(pro)
    lead = LeadFactory(zip_code_id="92101", category=plumbing, status=Lead.Status.OPEN)
    with django_capture_on_commit_callbacks(execute=True):
        services.route(lead.pk)
    assert Offer.objects.filter(lead=lead, status="pending").count() == 2
    return lead, pros


def pending(lead):
    return Offer.objects.filter(lead=lead, status=Offer.Status.PENDING).count()


def test_a_disputed_open_lead_withdraws_its_offers_and_tells_the_pros(routed, clock):
    lead, pros = routed
    services.dispute_lead(lead)
    lead.refresh_from_db()
    assert lead.status == Lead.Status.REJECTED
    assert pending(lead) == 0
    assert Offer.objects.filter(lead=lead, status="withdrawn").count() == 2
    told = Notification.objects.filter(template="offer_withdrawn", channel="email")
    assert {n.user_id for n in told} == {pros[0].user_id, pros[1].user_id}
    assert all("did not make" in n.body for n in told)
    # The base wave never goes out.
    clock.shift(timedelta(minutes=30))
    services.send_due_waves()
    assert not Offer.objects.filter(lead=lead, contractor=pros[2]).exists()
    assert not Wave.objects.filter(lead=lead, sent_at__isnull=True).exists()


def test_a_won_job_fills_the_lead_and_withdraws_the_other_offers(routed, clock):
    lead, pros = routed
    purchase = services.accept_offer(
        Offer.objects.get(lead=lead, contractor=pros[0]), contractor=pros[0]
    )
    services.record_outcome(purchase, outcome="won", final_value_cents=52_000)
    lead.refresh_from_db()
    assert lead.status == Lead.Status.FILLED
    assert pending(lead) == 0
    other = Offer.objects.get(lead=lead, contractor=pros[1])
    assert other.status == Offer.Status.WITHDRAWN
    with pytest.raises(services.DomainError):
        services.accept_offer(other, contractor=pros[1])
    clock.shift(timedelta(minutes=30))
    services.send_due_waves()
    assert not Offer.objects.filter(lead=lead, contractor=pros[2]).exists()
    message = Notification.objects.get(
        template="offer_withdrawn", channel="email", user=pros[1].user
    )
    assert "hired" in message.body


def test_the_homeowner_saying_they_hired_someone_closes_the_request(routed, client):
    lead, _ = routed
    url = reverse("leads:hired", args=[lead.status_token])
    page = client.get(url).content.decode()
    assert "Did you hire someone" in page
    response = client.post(url)
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == Lead.Status.FILLED
    assert lead.homeowner_hired_at is not None
    assert pending(lead) == 0
    status = client.get(reverse("leads:status", args=[lead.status_token])).content.decode()
    assert "You told us you hired someone" in status
    client.post(url)  # twice: nothing more happens
    assert Notification.objects.filter(template="offer_withdrawn", channel="email").count() == 2


def test_a_claim_on_a_job_its_buyer_marked_won_is_declined_at_once(routed, clock):
    lead, pros = routed
    pro = pros[0]
    purchase = services.accept_offer(Offer.objects.get(lead=lead, contractor=pro), contractor=pro)
    services.record_outcome(purchase, outcome="won", final_value_cents=52_000)
    with pytest.raises(credit_services.ClaimDeclined, match="marked this job won"):
        credit_services.file_claim(
            purchase, contractor=pro, reason="non_working_phone", notes="Phone is dead."
        )
    claim = CreditClaim.objects.get()
    assert claim.status == CreditClaim.Status.DECLINED
    assert "$520.00" in claim.decision_reason


def test_a_dispute_tells_each_buyer_and_points_to_a_credit(routed, clock, client):
    lead, pros = routed
    pro = pros[0]
    purchase = services.accept_offer(Offer.objects.get(lead=lead, contractor=pro), contractor=pro)
    services.dispute_lead(lead)
    told = Notification.objects.get(template="homeowner_disputed", channel="email", user=pro.user)
    assert lead.reference in told.body and "Request a credit" in told.body
    client.force_login(pro.user)
    page = client.get(reverse("leads:lead", args=[purchase.pk])).content.decode()
    assert "says they did not make this request" in page
    services.dispute_lead(lead)  # twice: told once
    assert Notification.objects.filter(template="homeowner_disputed", channel="email").count() == 1
