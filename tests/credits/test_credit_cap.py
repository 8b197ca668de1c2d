"""The credits on a purchase, net of reversals, never exceed its price, whatever mix of
claims, appeals and proactive credits (DESIGN, "Rules settled by trying it")."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from billing import services as billing
from billing.models import Entry
from credits import queries, services
from credits.models import CreditClaim
from leads import services as lead_services
from tests.factories import ServiceCategoryFactory, UserFactory, fund
from tests.leads.test_accept import make_offer

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(db):
    return UserFactory(email="reviewer@example.com", is_staff=True)


@pytest.fixture
def second_reviewer(db):
    return UserFactory(email="reviewer2@example.com", is_staff=True)


@pytest.fixture
def purchase(contractor, clock):
    fund(contractor, 50_000)
    return lead_services.accept_offer(make_offer(contractor=contractor), contractor=contractor)


def credited(purchase) -> int:
    return queries.net_credited_cents(purchase)


def balance(contractor) -> int:
    contractor.account.refresh_from_db()
    return contractor.account.balance_cents


def test_a_claim_after_a_proactive_credit_is_declined_at_once_citing_it(
    purchase, contractor, reviewer
):
    services.credit_lead_proactively(purchase.lead, by=reviewer, reason="non_working_phone")
    with pytest.raises(services.ClaimDeclined, match="already credited") as error:
        services.file_claim(
            purchase, contractor=contractor, reason="non_working_phone", notes="Dead line."
        )
    assert "$4.50" in error.value.message
    assert credited(purchase) == 450
    assert balance(contractor) == 50_000  # paid 450, credited 450, once
    claim = CreditClaim.objects.get()
    assert claim.status == CreditClaim.Status.DECLINED


def test_the_request_credit_button_is_gone_once_the_lead_is_credited_in_full(
    purchase, contractor, reviewer, contractor_client
):
    assert queries.can_claim(purchase, now=purchase.created_at)
    services.credit_lead_proactively(purchase.lead, by=reviewer, reason="non_working_phone")
    assert not queries.can_claim(purchase, now=purchase.created_at)
    page = contractor_client.get(reverse("leads:lead", args=[purchase.pk])).content.decode()
    assert "Request a credit" not in page
    assert "credited $4.50 of the $4.50 you paid" in page


def test_an_appeal_after_a_proactive_credit_is_refused(
    purchase, contractor, reviewer, second_reviewer
):
    claim = services.file_claim(
        purchase, contractor=contractor, reason="non_working_phone", notes="Dead line."
    )
    services.deny_claim(claim, by=reviewer, reason="notes_insufficient")
    services.credit_lead_proactively(purchase.lead, by=second_reviewer, reason="non_working_phone")
    with pytest.raises(services.ClaimNotOpen, match="already credited"):
        services.appeal_claim(claim, contractor=contractor, notes="It really is dead.")
    assert credited(purchase) == 450
    assert balance(contractor) == 50_000


def test_an_appeal_approved_after_a_proactive_credit_credits_nothing_more(
    purchase, contractor, reviewer, second_reviewer
):
    """The appeal was filed first, then ops found the lead invalid: the claim is closed by
    the proactive credit, so a reviewer cannot approve it a second time."""
    claim = services.file_claim(
        purchase, contractor=contractor, reason="non_working_phone", notes="Dead line."
    )
    services.deny_claim(claim, by=reviewer, reason="notes_insufficient")
    services.appeal_claim(claim, contractor=contractor, notes="It really is dead.")
    services.credit_lead_proactively(purchase.lead, by=reviewer, reason="non_working_phone")
    with pytest.raises(services.ClaimNotOpen):
        services.approve_claim(claim, by=second_reviewer)
    claim.refresh_from_db()
    assert claim.status == CreditClaim.Status.APPROVED
    assert credited(purchase) == 450
    assert balance(contractor) == 50_000


def test_a_proactive_credit_after_a_partial_credit_pays_the_rest(
    contractor, reviewer, clock, plumbing
):
    """Sold as roofing ($4.50 at $450), really a cheaper job ($2.00): $2.50 credited; then
    ops find the lead invalid and credit the $2.00 left, not $4.50 again."""
    cheaper = ServiceCategoryFactory(
        name="Odd jobs", slug="odd-jobs", typical_job_value_cents=20_000
    )
    contractor.categories.add(cheaper)
    fund(contractor, 50_000)
    purchase = lead_services.accept_offer(make_offer(contractor=contractor), contractor=contractor)
    claim = services.file_claim(
        purchase, contractor=contractor, reason="wrong_category", notes="An odd job."
    )
    services.approve_claim(claim, by=reviewer, corrected_category=cheaper)
    assert credited(purchase) == 250
    services.credit_lead_proactively(purchase.lead, by=reviewer, reason="did_not_request")
    assert credited(purchase) == 450
    assert balance(contractor) == 50_000
    assert Entry.objects.filter(kind="credit").count() == 2


def test_a_reversed_claim_credit_frees_room_for_nothing_more_than_the_price(
    purchase, contractor, reviewer
):
    claim = services.file_claim(
        purchase, contractor=contractor, reason="non_working_phone", notes="Dead line."
    )
    services.approve_claim(claim, by=reviewer)
    services.reverse_credit(claim, by=reviewer)
    assert credited(purchase) == 0
    services.credit_lead_proactively(purchase.lead, by=reviewer, reason="did_not_request")
    assert credited(purchase) == 450
    assert balance(contractor) == 50_000


def test_check_ledger_reports_a_purchase_credited_beyond_its_price(purchase, contractor, capsys):
    call_command("check_ledger")
    claim = CreditClaim.objects.create(
        purchase=purchase,
        reason="duplicate",
        notes="x",
        status="approved",
        credited_cents=450,
        filed_at=purchase.created_at,
        due_by=purchase.created_at,
    )
    for key in (f"credit-claim:{claim.pk}", f"proactive-credit:{purchase.pk}"):
        billing.post_entry(
            billing.account_for(contractor),
            kind="credit",
            amount_cents=450,
            memo="double",
            idempotency_key=key,
        )
    with pytest.raises(CommandError, match="credited beyond"):
        call_command("check_ledger")
    assert purchase.lead.reference in capsys.readouterr().err


def test_marking_a_lead_invalid_closes_it_so_nobody_else_buys_it(
    contractor, other_contractor, reviewer, clock
):
    """Ops credit an invalid lead's buyers: the lead is closed too, its other offers
    withdrawn, so nobody pays for a lead Fairlead already knows is dead."""
    from leads.models import Lead, Offer

    fund(contractor, 50_000)
    fund(other_contractor, 50_000)
    offer = make_offer(contractor=contractor)
    lead = offer.lead
    purchase = lead_services.accept_offer(offer, contractor=contractor)
    second = make_offer(lead=lead, contractor=other_contractor)
    services.credit_lead_proactively(lead, by=reviewer, reason="non_working_phone")
    lead.refresh_from_db()
    assert lead.status == Lead.Status.REJECTED
    assert Offer.objects.get(pk=second.pk).status == Offer.Status.WITHDRAWN
    with pytest.raises(services.DomainError):
        lead_services.accept_offer(second, contractor=other_contractor)
    assert credited(purchase) == 450


def test_a_claim_on_a_job_marked_won_after_filing_is_not_approved(purchase, contractor, reviewer):
    claim = services.file_claim(
        purchase, contractor=contractor, reason="non_working_phone", notes="Dead line."
    )
    lead_services.record_outcome(purchase, outcome="won", final_value_cents=900_000)
    with pytest.raises(services.DomainError, match="marked this job won"):
        services.approve_claim(claim, by=reviewer)
    assert credited(purchase) == 0
    services.deny_claim(claim, by=reviewer, reason="job_won")
    claim.refresh_from_db()
    assert "won" in claim.decision_reason


def test_a_proactive_credit_skips_a_buyer_who_won_the_job(purchase, contractor, reviewer):
    lead_services.record_outcome(purchase, outcome="won", final_value_cents=60_000)
    assert services.credit_lead_proactively(purchase.lead, by=reviewer, reason="duplicate") == 0
    assert credited(purchase) == 0


def test_the_reviewer_who_filed_a_claim_cannot_close_it_with_a_proactive_credit(
    purchase, contractor, reviewer
):
    services.file_claim(
        purchase, contractor=contractor, reason="duplicate", notes="Same homeowner.", by=reviewer
    )
    with pytest.raises(services.DomainError, match="another reviewer"):
        services.credit_lead_proactively(purchase.lead, by=reviewer, reason="duplicate")
    assert credited(purchase) == 0
