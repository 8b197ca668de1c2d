from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from credits import services
from leads import services as lead_services
from tests.factories import ContractorFactory, ServiceCategoryFactory, UserFactory, fund
from tests.leads.test_accept import make_offer

pytestmark = pytest.mark.django_db


@pytest.fixture
def purchase(contractor, clock):
    fund(contractor, 50_000)
    return lead_services.accept_offer(make_offer(contractor=contractor), contractor=contractor)


@pytest.fixture
def credit_reviewer(client):
    user = UserFactory(email="cr@example.com", is_staff=True)
    user.groups.add(Group.objects.get(name="credit reviewers"))
    return user


def test_the_lead_page_offers_a_credit_only_while_eligible(client, contractor, purchase, clock):
    client.force_login(contractor.user)
    page = client.get(reverse("leads:lead", args=[purchase.pk])).content.decode()
    assert reverse("credits:file-claim", args=[purchase.pk]) in page
    clock.shift(timedelta(days=5, minutes=1))
    page = client.get(reverse("leads:lead", args=[purchase.pk])).content.decode()
    assert reverse("credits:file-claim", args=[purchase.pk]) not in page


def test_filing_from_the_page_explains_an_instant_decline_and_lists_the_policy(
    client, contractor, purchase
):
    client.force_login(contractor.user)
    url = reverse("credits:file-claim", args=[purchase.pk])
    page = client.get(url).content.decode()
    assert "Non-working phone number" in page and "You did not win the job" in page
    response = client.post(url, {"reason": "non_contact", "notes": "No answer."})
    assert "Still missing" in response.content.decode()
    response = client.post(url, {"reason": "non_working_phone", "notes": ""})
    assert "without notes" in response.content.decode()
    response = client.post(url, {"reason": "non_working_phone", "notes": "Disconnected."})
    assert response.url == reverse("credits:credits")
    page = client.get(reverse("credits:credits")).content.decode()
    assert "Pending review" in page and "decision due by" in page


def test_api_files_claims_and_explains_declines(contractor_api, purchase):
    url = reverse("api:credit-claims")
    lead_id = purchase.lead_id
    response = contractor_api.post(
        url, {"lead": lead_id, "reason": "non_contact", "notes": "x"}, format="json"
    )
    assert response.status_code == 400
    assert "Still missing" in response.json()["non_field_errors"][0]
    response = contractor_api.post(
        url, {"lead": lead_id, "reason": "duplicate", "notes": "Again."}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["lead"], body["credited_cents"]) == ("pending", lead_id, 0)
    listing = contractor_api.get(url).json()
    assert [c["status"] for c in listing["results"]] == ["pending", "declined"]
    response = contractor_api.post(
        url, {"lead": lead_id, "reason": "bogus", "notes": "x"}, format="json"
    )
    assert response.status_code == 400 and "reason" in response.json()


def test_api_appeal_once(contractor_api, contractor, purchase):
    reviewer = UserFactory(email="r1@example.com", is_staff=True)
    claim = services.file_claim(purchase, contractor=contractor, reason="do_not_call", notes="DNC")
    services.deny_claim(claim, by=reviewer, reason="homeowner_contradicts")
    url = reverse("api:credit-claim-appeal", args=[claim.pk])
    response = contractor_api.post(url, {"notes": "I have the recording."}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "pending"
    assert contractor_api.post(url, {"notes": "again"}, format="json").status_code == 409


def test_claims_of_others_are_404(api_client, client, contractor, other_contractor, purchase):
    from rest_framework.authtoken.models import Token

    claim = services.file_claim(purchase, contractor=contractor, reason="duplicate", notes="Again.")
    token, _ = Token.objects.get_or_create(user=other_contractor.user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api_client.post(
        reverse("api:credit-claims"),
        {"lead": purchase.lead_id, "reason": "duplicate", "notes": "x"},
        format="json",
    )
    assert response.status_code == 404
    assert (
        api_client.post(
            reverse("api:credit-claim-appeal", args=[claim.pk]), {"notes": "x"}, format="json"
        ).status_code
        == 404
    )
    assert api_client.get(reverse("api:credit-claims")).json()["count"] == 0
    client.force_login(other_contractor.user)
    assert client.get(reverse("credits:file-claim", args=[purchase.pk])).status_code == 404
    assert (
        client.post(reverse("credits:appeal", args=[claim.pk]), {"notes": "x"}).status_code == 404
    )


def admin_decide(client, claim, data):
    return client.post(reverse("admin:credits_creditclaim_change", args=[claim.pk]), data)


def test_reviewer_approves_in_the_admin_and_the_balance_goes_up(
    client, credit_reviewer, contractor, purchase
):
    claim = services.file_claim(
        purchase, contractor=contractor, reason="fraudulent", notes="Fake name."
    )
    client.force_login(credit_reviewer)
    queue = client.get(reverse("admin:credits_creditclaim_changelist"))
    assert queue.status_code == 200 and purchase.lead.reference in queue.content.decode()
    page = client.get(reverse("admin:credits_creditclaim_change", args=[claim.pk])).content.decode()
    assert "Contact attempts" in page and "Claim rate" in page
    contractor.account.refresh_from_db()
    before = contractor.account.balance_cents
    response = admin_decide(client, claim, {"decision": "approve"})
    assert response.status_code == 302
    contractor.account.refresh_from_db()
    assert contractor.account.balance_cents == before + 450
    claim.refresh_from_db()
    assert claim.status == "approved" and claim.decided_by == credit_reviewer


def test_reviewer_must_pick_a_policy_reason_to_deny(client, credit_reviewer, contractor, purchase):
    claim = services.file_claim(
        purchase, contractor=contractor, reason="already_hired", notes="Hired."
    )
    client.force_login(credit_reviewer)
    response = admin_decide(client, claim, {"decision": "deny"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["deny_reason"]
    admin_decide(
        client, claim, {"decision": "deny", "deny_reason": "notes_insufficient", "note": "When?"}
    )
    claim.refresh_from_db()
    assert claim.status == "denied" and "When?" in claim.decision_reason


def test_partial_approval_in_the_admin(client, credit_reviewer, contractor, purchase):
    handyman = ServiceCategoryFactory(
        name="Handyman", slug="handyman", typical_job_value_cents=35_000
    )
    contractor.categories.add(handyman)
    claim = services.file_claim(
        purchase, contractor=contractor, reason="wrong_category", notes="Handyman job."
    )
    client.force_login(credit_reviewer)
    admin_decide(client, claim, {"decision": "partial", "corrected": handyman.pk})
    claim.refresh_from_db()
    assert (claim.status, claim.credited_cents) == ("partially_approved", 100)


def test_ops_credit_every_buyer_of_a_disputed_lead(client, credit_reviewer, contractor, purchase):
    lead = purchase.lead
    other = fund(ContractorFactory())
    lead_services.accept_offer(make_offer(lead, other), contractor=other)
    client.post(reverse("leads:dispute", args=[lead.status_token]))
    client.force_login(credit_reviewer)
    listing = client.get(reverse("admin:leads_lead_changelist"), {"disputed": "yes"})
    assert list(listing.context["cl"].result_list) == [lead]
    client.post(
        reverse("admin:leads_lead_changelist"),
        {"action": "credit_invalid_did_not_request", "_selected_action": [lead.pk]},
    )
    from billing.models import Entry

    assert Entry.objects.filter(kind="credit").count() == 2


def test_claim_rate_counts_purchases_once(contractor, purchase):
    from credits.queries import claim_rates

    with pytest.raises(services.ClaimDeclined):
        services.file_claim(purchase, contractor=contractor, reason="non_contact", notes="x")
    services.file_claim(purchase, contractor=contractor, reason="duplicate", notes="Again.")
    other = lead_services.accept_offer(make_offer(contractor=contractor), contractor=contractor)
    assert other
    assert claim_rates([contractor.pk])["rates"][contractor.pk] == 0.5  # 1 claim, 2 purchases


def test_only_credit_reviewers_see_the_invalid_lead_actions(client, credit_reviewer, staff_groups):
    screener = UserFactory(email="screener@example.com", is_staff=True)
    screener.groups.add(Group.objects.get(name="screeners"))
    url = reverse("admin:leads_lead_changelist")
    client.force_login(screener)
    assert "credit_invalid_did_not_request" not in client.get(url).content.decode()
    client.force_login(credit_reviewer)
    assert "credit_invalid_did_not_request" in client.get(url).content.decode()
