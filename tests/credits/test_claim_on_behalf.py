"""An account manager files a credit claim for a contractor from the admin (seed 003: "by
reporting to the dedicated account manager"), under the same policy, recorded as such; and
the reviewer sees how the job went before deciding."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from credits import services
from credits.models import CreditClaim
from leads import services as lead_services
from marketplace.models import Notification
from tests.factories import UserFactory, fund
from tests.leads.test_accept import make_offer

pytestmark = pytest.mark.django_db

ADD = "admin:credits_creditclaim_add"


@pytest.fixture
def purchase(contractor, clock):
    fund(contractor, 50_000)
    return lead_services.accept_offer(make_offer(contractor=contractor), contractor=contractor)


def staff(group: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def test_a_credit_reviewer_files_a_claim_for_a_contractor(
    purchase, contractor, client, staff_groups
):
    manager = staff("credit reviewers")
    client.force_login(manager)
    response = client.post(
        reverse(ADD),
        {
            "lead_reference": purchase.lead.reference.lower(),
            "contractor_email": contractor.user.email.upper(),
            "reason": "non_working_phone",
            "notes": "Alice called us: the number is disconnected.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    claim = CreditClaim.objects.get()
    assert (claim.status, claim.filed_by) == ("pending", manager)
    receipt = Notification.objects.get(template="claim_received", channel="email")
    assert "filed for you by Fairlead" in receipt.body
    page = client.get(reverse("admin:credits_creditclaim_change", args=[claim.pk])).content
    assert f"Filed by {manager.email} for the contractor" in page.decode()


def test_the_manager_who_filed_it_does_not_decide_it(purchase, contractor, staff_groups):
    manager, other = staff("credit reviewers"), staff("credit reviewers")
    claim = services.file_claim(
        purchase, contractor=contractor, reason="duplicate", notes="Same homeowner.", by=manager
    )
    with pytest.raises(services.DomainError, match="another reviewer"):
        services.approve_claim(claim, by=manager)
    services.approve_claim(claim, by=other)
    claim.refresh_from_db()
    assert claim.status == "approved"


def test_the_policy_still_applies_and_only_its_reason_shows(
    purchase, contractor, client, clock, staff_groups
):
    clock.shift(timedelta(days=6))
    client.force_login(staff("credit reviewers"))
    response = client.post(
        reverse(ADD),
        {
            "lead_reference": purchase.lead.reference,
            "contractor_email": contractor.user.email,
            "reason": "duplicate",
            "notes": "Same homeowner as last week.",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "within 5 days" in page
    assert "was added successfully" not in page
    assert CreditClaim.objects.get().status == "declined"


def test_an_unknown_lead_or_a_contractor_who_did_not_buy_it_is_said_plainly(
    purchase, other_contractor, client, staff_groups
):
    client.force_login(staff("credit reviewers"))
    for reference, email, said in [
        ("FL-NOPE00", "alice@example.com", "No lead FL-NOPE00"),
        (purchase.lead.reference, other_contractor.user.email, "did not buy"),
    ]:
        response = client.post(
            reverse(ADD),
            {
                "lead_reference": reference,
                "contractor_email": email,
                "reason": "duplicate",
                "notes": "x",
            },
        )
        assert response.status_code == 200
        assert said in response.content.decode()
    assert not CreditClaim.objects.exists()


@pytest.mark.parametrize("group", ["finance", "screeners"])
def test_other_staff_cannot_file_claims(group, client, staff_groups):
    client.force_login(staff(group))
    assert client.get(reverse(ADD)).status_code == 403


def test_the_reviewer_sees_the_outcome_and_the_job_value(
    purchase, contractor, client, staff_groups
):
    claim = services.file_claim(
        purchase, contractor=contractor, reason="non_working_phone", notes="Dead line."
    )
    lead_services.record_outcome(purchase, outcome="appointment")
    client.force_login(staff("credit reviewers"))
    page = client.get(reverse("admin:credits_creditclaim_change", args=[claim.pk])).content
    assert "Appointment booked on" in page.decode()
