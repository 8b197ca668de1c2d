"""Contractors buying at the same instant, with real threads on PostgreSQL (row locks do
nothing on SQLite): a last slot is sold once, a balance is never spent twice."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from billing.models import Entry
from billing.services import ledger_mismatches
from leads import services
from leads.models import Lead, Purchase
from tests.factories import ContractorFactory, LeadFactory, OfferFactory, fund

from .conftest import on_postgresql, run_at_once

pytestmark = [pytest.mark.django_db(transaction=True), on_postgresql]


def test_twenty_pros_racing_for_the_last_slot_one_wins_one_charge():
    lead = LeadFactory(status=Lead.Status.OPEN, max_pros=1)
    offers = [OfferFactory(lead=lead, contractor=fund(ContractorFactory())) for _ in range(20)]

    outcomes = run_at_once(
        20, lambda i: services.accept_offer(offers[i], contractor=offers[i].contractor)
    )
    winners = [o for o in outcomes if isinstance(o, Purchase)]
    losers = [o for o in outcomes if isinstance(o, services.DomainError)]
    assert (len(winners), len(losers)) == (1, 19), outcomes
    assert {e.status_code for e in losers} == {409}
    assert Purchase.objects.count() == 1
    assert Entry.objects.filter(kind="lead_purchase").count() == 1
    lead.refresh_from_db()
    assert lead.status == Lead.Status.FILLED
    for offer in offers:
        offer.contractor.account.refresh_from_db()
        paid = 450 if offer.contractor == winners[0].contractor else 0
        assert offer.contractor.account.balance_cents == 50_000 - paid
    assert ledger_mismatches() == []


def test_fifty_accepts_against_a_balance_for_ten_buy_ten():
    """Through the API, as a script would fire them: 201 ten times, 402 forty times."""
    pro = ContractorFactory(
        daily_lead_cap=1000, weekly_lead_cap=1000, monthly_budget_cents=10_000_000
    )
    fund(pro, 10 * 450)
    offers = [OfferFactory(contractor=pro, price_cents=450) for _ in range(50)]
    token = Token.objects.create(user=pro.user).key

    def accept(i):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client.post(f"/api/v1/offers/{offers[i].pk}/accept/").status_code

    statuses = run_at_once(50, accept)
    assert sorted(statuses) == [201] * 10 + [402] * 40, statuses
    assert Purchase.objects.filter(contractor=pro).count() == 10
    assert Entry.objects.filter(kind="lead_purchase").count() == 10
    pro.account.refresh_from_db()
    assert pro.account.balance_cents == 0
    assert ledger_mismatches() == []
