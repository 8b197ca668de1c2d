"""A decision the credit policy refuses shows only its reason, in red: never also
"Decision recorded", and nothing is credited or logged."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.contrib.messages import constants
from django.urls import reverse
from django.utils import timezone

from billing.services import account_for
from credits.models import CreditClaim
from leads.models import Lead
from tests.factories import PurchaseFactory, UserFactory, fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(client):
    user = UserFactory(email="cr@example.com", is_staff=True)
    user.groups.add(Group.objects.get(name="credit reviewers"))
    client.force_login(user)
    return user


def claim_on(purchase, reason):
    now = timezone.now()
    return CreditClaim.objects.create(
        purchase=purchase,
        reason=reason,
        notes="Five calls over three days, no answer.",
        filed_at=now,
        due_by=now + timedelta(days=2),
    )


def shown(response) -> list[tuple[int, str]]:
    return [(m.level, m.message) for m in response.context["messages"]]


@pytest.fixture
def reached_non_contact_claim(contractor):
    """Non-contact on a lead our screening reached the homeowner for: never creditable."""
    fund(contractor, 10_000)
    purchase = PurchaseFactory(contractor=contractor)
    Lead.objects.filter(pk=purchase.lead_id).update(verification_reached_at=timezone.now())
    return claim_on(purchase, "non_contact")


def test_a_refused_approval_shows_only_the_reason_and_stays_on_the_claim(
    client, reviewer, reached_non_contact_claim
):
    claim = reached_non_contact_claim
    account = account_for(claim.purchase.contractor)
    balance = account.balance_cents
    url = reverse("admin:credits_creditclaim_change", args=[claim.pk])

    response = client.post(url, {"decision": "approve"}, follow=True)

    assert response.redirect_chain[-1][0] == url
    [(level, message)] = shown(response)
    assert level == constants.ERROR
    assert "Our verification reached the homeowner" in message
    assert "Decision recorded" not in response.content.decode()
    claim.refresh_from_db()
    account.refresh_from_db()
    assert (claim.status, claim.credited_cents, claim.decided_by) == ("pending", 0, None)
    assert account.balance_cents == balance
    assert not LogEntry.objects.filter(object_id=str(claim.pk)).exists()

    # The decision form is still there, and the reason it suggests works.
    response = client.post(
        url, {"decision": "deny", "deny_reason": "notes_insufficient"}, follow=True
    )
    assert shown(response) == [(constants.SUCCESS, "Decision recorded; the pro is emailed.")]
    claim.refresh_from_db()
    assert claim.status == "denied"


def test_approving_twice_credits_once_and_the_second_says_only_why(client, reviewer, contractor):
    fund(contractor, 10_000)
    claim = claim_on(PurchaseFactory(contractor=contractor), "fraudulent")
    account = account_for(contractor)
    url = reverse("admin:credits_creditclaim_change", args=[claim.pk])
    first = client.post(url, {"decision": "approve"}, follow=True)
    assert shown(first) == [(constants.SUCCESS, "Decision recorded; the pro is emailed.")]
    account.refresh_from_db()
    credited = account.balance_cents

    again = client.post(url, {"decision": "approve"}, follow=True)

    assert shown(again) == [(constants.ERROR, "This claim is already approved.")]
    account.refresh_from_db()
    assert account.balance_cents == credited
