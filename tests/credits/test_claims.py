from datetime import timedelta

import pytest

from billing.models import Entry
from credits import services
from credits.models import CreditClaim
from leads import services as lead_services
from leads.models import ContactAttempt
from marketplace.models import Notification
from tests.factories import ContractorFactory, ServiceCategoryFactory, UserFactory, fund
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


def balance(contractor):
    contractor.account.refresh_from_db()
    return contractor.account.balance_cents


def test_a_valid_claim_waits_for_review_and_the_receipt_is_sent(purchase, contractor):
    claim = services.file_claim(
        purchase, contractor=contractor, reason="non_working_phone", notes="Disconnected tone."
    )
    assert claim.status == "pending"
    assert claim.due_by == claim.filed_at + timedelta(days=2)  # Monday -> Wednesday
    assert Notification.objects.filter(template="claim_received", channel="email").exists()


def test_an_instant_decline_is_recorded_and_explained(purchase, contractor, clock):
    clock.shift(timedelta(days=5, minutes=1))
    with pytest.raises(services.ClaimDeclined, match="within 5 days") as error:
        services.file_claim(purchase, contractor=contractor, reason="duplicate", notes="Same guy.")
    assert error.value.status_code == 400
    claim = CreditClaim.objects.get()
    assert claim.status == "declined" and "within 5 days" in claim.decision_reason


def test_non_contact_too_early_then_again_after_the_schedule(purchase, contractor, clock):
    with pytest.raises(services.ClaimDeclined, match="day 2"):
        services.file_claim(
            purchase, contractor=contractor, reason="non_contact", notes="No answer."
        )
    start = purchase.created_at
    for offset, channel in [
        (timedelta(minutes=5), "call"),
        (timedelta(hours=3), "call"),
        (timedelta(days=1, hours=1), "call"),
        (timedelta(days=2, hours=1), "call"),
        (timedelta(days=2, hours=2), "email"),
    ]:
        clock.move_to(start + offset + timedelta(seconds=1), tick=False)
        lead_services.log_contact_attempt(
            purchase,
            channel=channel,
            result="no_answer" if channel == "call" else "sent",
            attempted_at=start + offset,
        )
    claim = services.file_claim(
        purchase, contractor=contractor, reason="non_contact", notes="Five attempts, no answer."
    )
    assert claim.status == "pending"
    assert purchase.attempts.count() == 5 and ContactAttempt.objects.count() == 5


def test_one_live_claim_per_lead(purchase, contractor):
    services.file_claim(
        purchase, contractor=contractor, reason="duplicate", notes="Bought it last week."
    )
    with pytest.raises(services.ClaimNotOpen):
        services.file_claim(purchase, contractor=contractor, reason="fraudulent", notes="Fake.")


def test_another_contractor_cannot_claim_on_my_purchase(purchase, other_contractor):
    with pytest.raises(services.ClaimNotFound):
        services.file_claim(purchase, contractor=other_contractor, reason="duplicate", notes="x")


def test_approval_credits_once_however_often_clicked(purchase, contractor, reviewer):
    before = balance(contractor)
    claim = services.file_claim(
        purchase, contractor=contractor, reason="fraudulent", notes="Fake name."
    )
    services.approve_claim(claim, by=reviewer)
    with pytest.raises(services.ClaimNotOpen):
        services.approve_claim(claim, by=reviewer)
    assert balance(contractor) == before + 450
    claim.refresh_from_db()
    assert (claim.status, claim.credited_cents) == ("approved", 450)
    assert Entry.objects.filter(kind="credit").count() == 1
    assert Notification.objects.filter(template="claim_decided", channel="email").exists()


def test_wrong_category_credits_the_difference_when_the_pro_serves_it(
    purchase, contractor, reviewer
):
    handyman = ServiceCategoryFactory(
        name="Handyman", slug="handyman", typical_job_value_cents=35_000
    )
    contractor.categories.add(handyman)
    before = balance(contractor)
    claim = services.file_claim(
        purchase, contractor=contractor, reason="wrong_category", notes="Was a handyman job."
    )
    services.approve_claim(claim, by=reviewer, corrected_category=handyman)
    claim.refresh_from_db()
    assert claim.status == "partially_approved"
    assert claim.credited_cents == 450 - 350  # paid $4.50, handyman lead costs $3.50
    assert balance(contractor) == before + 100


def test_wrong_category_the_pro_does_not_serve_is_credited_in_full(purchase, contractor, reviewer):
    roofing = ServiceCategoryFactory(name="Roofing", slug="roofing")
    claim = services.file_claim(
        purchase, contractor=contractor, reason="wrong_category", notes="Roof."
    )
    services.approve_claim(claim, by=reviewer, corrected_category=roofing)
    claim.refresh_from_db()
    assert (claim.status, claim.credited_cents) == ("approved", 450)


def test_deny_then_one_appeal_decided_by_another_reviewer_is_final(
    purchase, contractor, reviewer, second_reviewer
):
    claim = services.file_claim(
        purchase, contractor=contractor, reason="already_hired", notes="Said so."
    )
    services.deny_claim(claim, by=reviewer, reason="notes_insufficient", note="When was it hired?")
    claim.refresh_from_db()
    assert claim.status == "denied" and "When was it hired?" in claim.decision_reason
    services.appeal_claim(claim, contractor=contractor, notes="Hired on Feb 20, before delivery.")
    with pytest.raises(services.DomainError, match="another reviewer"):
        services.approve_claim(claim, by=reviewer)
    services.approve_claim(claim, by=second_reviewer)
    claim.refresh_from_db()
    assert claim.status == "approved" and claim.final
    with pytest.raises(services.ClaimNotOpen, match="final"):
        services.appeal_claim(claim, contractor=contractor, notes="again")


def test_a_second_appeal_is_refused(purchase, contractor, reviewer, second_reviewer):
    claim = services.file_claim(purchase, contractor=contractor, reason="do_not_call", notes="DNC.")
    services.deny_claim(claim, by=reviewer, reason="homeowner_contradicts")
    services.appeal_claim(claim, contractor=contractor, notes="I have the call recording.")
    services.deny_claim(claim, by=second_reviewer, reason="homeowner_contradicts")
    with pytest.raises(services.ClaimNotOpen, match="final"):
        services.appeal_claim(claim, contractor=contractor, notes="Please look again.")


def test_reversal_debits_the_credit_once_and_tells_the_pro(purchase, contractor, reviewer):
    claim = services.file_claim(
        purchase, contractor=contractor, reason="did_not_request", notes="Said no."
    )
    services.approve_claim(claim, by=reviewer)
    before = balance(contractor)
    services.reverse_credit(claim, by=reviewer)
    with pytest.raises(services.ClaimNotOpen):
        services.reverse_credit(claim, by=reviewer)
    assert balance(contractor) == before - 450
    assert Entry.objects.filter(kind="reversal").count() == 1
    assert Notification.objects.filter(template="credit_reversed", channel="email").exists()


def test_proactive_credit_reaches_every_buyer_once(contractor, reviewer, clock):
    lead_offer = make_offer(contractor=fund(contractor))
    buyers = [contractor] + [fund(ContractorFactory()) for _ in range(2)]
    lead_services.accept_offer(lead_offer, contractor=contractor)
    for pro in buyers[1:]:
        lead_services.accept_offer(make_offer(lead_offer.lead, pro), contractor=pro)
    lead = lead_offer.lead
    assert services.credit_lead_proactively(lead, by=reviewer, reason="did_not_request") == 3
    assert services.credit_lead_proactively(lead, by=reviewer, reason="did_not_request") == 0
    assert Entry.objects.filter(kind="credit").count() == 3
    assert Notification.objects.filter(template="proactive_credit", channel="email").count() == 3


def test_overdue_claims_are_flagged(purchase, contractor, clock):
    claim = services.file_claim(purchase, contractor=contractor, reason="duplicate", notes="Again.")
    clock.shift(timedelta(days=2, minutes=1))
    assert services.flag_overdue() == 1
    claim.refresh_from_db()
    assert claim.overdue


def test_non_contact_cannot_be_approved_when_our_verification_reached_the_homeowner(
    purchase, contractor, reviewer, clock
):
    from leads.models import Lead, ScreeningDecision

    Lead.objects.filter(pk=purchase.lead_id).update(status="screening")
    lead_services.verify_lead(purchase.lead, by=reviewer, reached_homeowner=True)
    assert ScreeningDecision.objects.get().changes["verification_reached"] == [False, True]
    claim = CreditClaim.objects.create(
        purchase=purchase,
        reason="non_contact",
        notes="Five attempts.",
        filed_at=purchase.created_at,
        due_by=purchase.created_at,
    )
    with pytest.raises(services.DomainError, match="verification reached"):
        services.approve_claim(claim, by=reviewer)
    services.deny_claim(claim, by=reviewer, reason="verification_reached")
    claim.refresh_from_db()
    assert claim.status == "denied" and "verification reached" in claim.decision_reason


@pytest.mark.parametrize(
    ("shift", "reason", "notes", "said"),
    [
        (timedelta(days=5, minutes=1), "duplicate", "Same guy.", "within 5 days"),
        (timedelta(0), "duplicate", "  ", "without notes are declined"),
        (timedelta(0), "non_contact", "No answer.", "Still missing"),
    ],
    ids=["late", "no-notes", "non-contact-too-early"],
)
def test_every_instant_decline_is_emailed_with_its_reason(
    purchase, contractor, clock, shift, reason, notes, said
):
    clock.shift(shift)
    with pytest.raises(services.ClaimDeclined):
        services.file_claim(purchase, contractor=contractor, reason=reason, notes=notes)
    email = Notification.objects.get(template="claim_decided", channel="email")
    assert said in email.body
    assert "declined at once" in email.body.lower()


def test_an_unknown_reason_through_the_api_gets_the_policys_sentence(purchase, contractor_api):
    from django.urls import reverse

    response = contractor_api.post(
        reverse("api:credit-claims"),
        {"lead": purchase.lead_id, "reason": "did_not_like_them", "notes": "Rude."},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["reason"] == [
        "This reason is not on the credit policy's list of creditable situations."
    ]


def test_the_pages_state_the_windows_from_the_settings(
    purchase, contractor, contractor_client, settings
):
    from django.urls import reverse

    settings.CREDIT_CLAIM_WINDOW_DAYS = 7
    settings.CREDIT_REVIEW_BUSINESS_DAYS = 3
    credits_page = contractor_client.get(reverse("credits:credits")).content.decode()
    assert "within 7 days of delivery" in credits_page
    assert "3 business days" in credits_page
    claim_page = contractor_client.get(
        reverse("credits:file-claim", args=[purchase.pk])
    ).content.decode()
    assert "7 days (168 hours) from the moment the lead was delivered" in claim_page
    assert "5 days" not in claim_page and "5-day" not in claim_page


def test_the_reviewers_explanation_reaches_the_pro_on_approval_too(purchase, contractor, reviewer):
    claim = services.file_claim(
        purchase, contractor=contractor, reason="non_working_phone", notes="Dead line."
    )
    services.approve_claim(claim, by=reviewer, note="We called it too: disconnected.")
    claim.refresh_from_db()
    assert claim.decision_reason.endswith("We called it too: disconnected.")
    email = Notification.objects.get(template="claim_decided", channel="email")
    assert "We called it too" in email.body
