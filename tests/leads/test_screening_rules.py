"""Each automatic screening rule in isolation: it holds the lead and says why."""

import pytest
from django.urls import reverse

from leads.models import BlockedContact, Lead, LeadFlag

pytestmark = pytest.mark.django_db


@pytest.fixture
def submit(client, django_capture_on_commit_callbacks, quote_data):
    def post(**overrides):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("leads:quote"), quote_data(**overrides))
        assert response.status_code == 302, response.context["form"].errors
        return Lead.objects.latest("created_at")

    return post


def test_a_clean_request_opens_without_flags(submit):
    lead = submit()
    assert lead.status == Lead.Status.OPEN
    assert not lead.flags.exists()


@pytest.mark.parametrize(
    ("blocked", "overrides"),
    [
        ({"kind": "phone", "value": "+16195550177"}, {}),
        ({"kind": "email", "value": "DANA@example.com"}, {}),
        ({"kind": "domain", "value": "example.com"}, {}),
    ],
)
def test_block_listed_phone_email_or_domain_is_held(submit, blocked, overrides):
    BlockedContact.objects.create(reason="prank requests", **blocked)
    lead = submit(**overrides)
    assert lead.status == Lead.Status.SCREENING
    flag = lead.flags.get()
    assert flag.code == LeadFlag.Code.BLOCKED_CONTACT
    assert "prank requests" in flag.detail


@pytest.mark.parametrize(
    ("overrides", "code", "detail"),
    [
        ({"email": "dana@mailinator.com"}, LeadFlag.Code.DISPOSABLE_EMAIL, "mailinator.com"),
        ({"description": "Fix my sink please"}, LeadFlag.Code.SHORT_DESCRIPTION, "4 word(s)"),
        (
            {"description": "Best SEO services and backlinks for your site, cheap"},
            LeadFlag.Code.SPAMMY_DESCRIPTION,
            "spam",
        ),
        (
            {"description": "Visit https://spam.example for a great water heater deal"},
            LeadFlag.Code.SPAMMY_DESCRIPTION,
            "web link",
        ),
        (
            {"description": "test test test test test test"},
            LeadFlag.Code.SPAMMY_DESCRIPTION,
            "test",
        ),
        # 512 is Austin's area code; the job is in San Diego.
        ({"phone": "(512) 555-0177"}, LeadFlag.Code.AREA_CODE_MISMATCH, "512 is used in TX"),
        ({"ownership": "renter"}, LeadFlag.Code.RENTER_NO_APPROVAL, "Renter"),
    ],
)
def test_each_rule_holds_the_lead_with_its_reason(submit, overrides, code, detail):
    lead = submit(**overrides)
    assert lead.status == Lead.Status.SCREENING
    flag = lead.flags.get()
    assert flag.code == code
    assert detail in flag.detail


def test_renter_with_the_owners_approval_is_not_held(submit):
    assert submit(ownership="renter_approved").status == Lead.Status.OPEN


def test_a_neighbouring_area_code_of_the_same_state_is_fine(submit):
    # 858 is also San Diego.
    assert submit(phone="858-555-0177").status == Lead.Status.OPEN


def test_several_rules_store_several_reasons(submit):
    lead = submit(email="x@mailinator.com", ownership="renter")
    assert set(lead.flags.values_list("code", flat=True)) == {
        LeadFlag.Code.DISPOSABLE_EMAIL,
        LeadFlag.Code.RENTER_NO_APPROVAL,
    }
