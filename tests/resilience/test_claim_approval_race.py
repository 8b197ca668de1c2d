"""A credit claim approved five times at the same instant (a reviewer's clicks, or several
reviewers on the same queue) credits the contractor once."""

import pytest

from billing.models import Entry
from billing.services import ledger_mismatches
from credits import services
from credits.models import CreditClaim
from leads import services as lead_services
from tests.factories import ContractorFactory, OfferFactory, UserFactory, fund

from .conftest import on_postgresql, run_at_once

pytestmark = [pytest.mark.django_db(transaction=True), on_postgresql]


def test_a_claim_approved_five_times_at_once_credits_once():
    pro = fund(ContractorFactory(), 10_000)
    offer = OfferFactory(contractor=pro, price_cents=450)
    purchase = lead_services.accept_offer(offer, contractor=pro)
    claim = services.file_claim(purchase, contractor=pro, reason="fraudulent", notes="Fake.")
    reviewers = [UserFactory(is_staff=True) for _ in range(5)]

    results = run_at_once(5, lambda i: services.approve_claim(claim, by=reviewers[i]))
    approved = [r for r in results if isinstance(r, CreditClaim)]
    refused = [r for r in results if isinstance(r, services.ClaimNotOpen)]
    assert (len(approved), len(refused)) == (1, 4), results
    assert Entry.objects.filter(kind="credit").count() == 1
    claim.refresh_from_db()
    assert (claim.status, claim.credited_cents) == ("approved", 450)
    pro.account.refresh_from_db()
    assert pro.account.balance_cents == 10_000
    assert ledger_mismatches() == []
