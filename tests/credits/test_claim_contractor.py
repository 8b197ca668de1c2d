"""A claim carries its purchase's buyer (credits 0005-0007), so a contractor's claims are
read newest first from one index: every way a claim is made fills it in, always as the
buyer, and the lists read it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from credits import queries, services
from credits.models import CreditClaim
from leads import services as lead_services
from tests.factories import CreditClaimFactory, PurchaseFactory, fund
from tests.leads.test_accept import make_offer

pytestmark = pytest.mark.django_db


@pytest.fixture
def purchase(contractor, clock):
    fund(contractor, 50_000)
    return lead_services.accept_offer(make_offer(contractor=contractor), contractor=contractor)


def _mismatched():
    return CreditClaim.objects.exclude(contractor_id=F("purchase__contractor_id"))


def test_a_filed_claim_belongs_to_the_buyer(purchase, contractor):
    claim = services.file_claim(
        purchase, contractor=contractor, reason="non_working_phone", notes="Disconnected tone."
    )
    claim.refresh_from_db()
    assert claim.contractor == contractor
    assert not _mismatched().exists()


def test_a_claim_declined_at_once_belongs_to_the_buyer_too(purchase, contractor, clock):
    clock.shift(timedelta(days=5, minutes=1))
    with pytest.raises(services.ClaimDeclined):
        services.file_claim(purchase, contractor=contractor, reason="duplicate", notes="Same.")
    assert CreditClaim.objects.get().contractor_id == contractor.pk


def test_a_claim_made_without_naming_its_contractor_takes_the_buyers(contractor):
    purchase = PurchaseFactory(contractor=contractor)
    claim = CreditClaim.objects.create(
        purchase=purchase,
        reason="fraudulent",
        notes="Fake name.",
        filed_at=purchase.created_at,
        due_by=purchase.created_at,
    )
    assert CreditClaim.objects.get(pk=claim.pk).contractor_id == contractor.pk


def test_each_contractor_lists_only_the_claims_on_their_own_purchases(contractor, other_contractor):
    mine = CreditClaimFactory.create_batch(2, purchase__contractor=contractor)
    CreditClaimFactory(purchase__contractor=other_contractor)
    assert not _mismatched().exists()
    assert {c.pk for c in queries.claims_for(contractor)} == {c.pk for c in mine}


def test_the_claims_list_reads_the_contractor_column_not_the_purchases(contractor):
    """The list and its count filter on the claim's own column (index
    credit_claim_contractor_idx); a join through every purchase was what grew."""
    CreditClaimFactory(purchase__contractor=contractor)
    with CaptureQueriesContext(connection) as queries_run:
        assert len(list(queries.claims_for(contractor))) == 1
        assert queries.claims_for(contractor).count() == 1
    for query in queries_run.captured_queries:
        where = query["sql"].split("WHERE", 1)[1]
        assert '"credits_creditclaim"."contractor_id" =' in where
        assert '"leads_purchase"."contractor_id"' not in where


def test_the_credits_page_reads_what_it_shows_with_the_page_and_one_appeal_field(
    contractor, contractor_client, django_assert_num_queries
):
    CreditClaimFactory.create_batch(3, purchase__contractor=contractor, denied=True)
    CreditClaimFactory(  # every column the page shows, read with the page (no query a row)
        purchase__contractor=contractor,
        status="approved",
        credited_cents=450,
        decision_reason="Checked the calls.",
        decided_at=timezone.now(),
        appealed_at=timezone.now(),
        final=True,
        reversed_at=timezone.now(),
        reversal_reason="The homeowner says they hired you.",
    )
    with django_assert_num_queries(5):
        page = contractor_client.get(reverse("credits:credits")).content.decode()
    assert page.count("Send appeal") == 3
    assert "reversed on" in page and "The homeowner says they hired you." in page
    assert page.count('name="notes"') == 3


def test_a_claim_cannot_name_another_contractor_than_its_buyer(db):
    from credits.models import CreditClaim
    from tests.factories import ContractorFactory, PurchaseFactory

    purchase = PurchaseFactory()
    with pytest.raises(ValueError, match="purchase's buyer"):
        CreditClaim(purchase=purchase, contractor=ContractorFactory()).save()
