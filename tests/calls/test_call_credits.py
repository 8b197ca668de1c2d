"""The credit policy on call leads: a call Fairlead bridged proves the homeowner was
reached; other reasons (wrong category, wrong location, solicitation) go to review as
for any lead, and never credit more than the call was charged."""

import pytest

from credits import services as credits
from credits.models import CreditClaim
from leads.models import Purchase

from .conftest import screen

pytestmark = pytest.mark.django_db


@pytest.fixture
def qualified_call(phone, holder):
    dial = screen(phone)
    phone.pro_presses(phone.pro_answers(dial), "1")
    phone.dial_ends(dial, "completed", 95)
    return Purchase.objects.get(contractor=holder)


@pytest.mark.parametrize("reason", ["non_contact", "non_working_phone"])
def test_a_bridged_call_contradicts_a_claim_that_nobody_could_be_reached(
    qualified_call, holder, reason
):
    with pytest.raises(credits.ClaimDeclined, match="Fairlead connected you with this homeowner"):
        credits.file_claim(
            qualified_call, contractor=holder, reason=reason, notes="Nobody ever picks up."
        )
    assert CreditClaim.objects.get().status == CreditClaim.Status.DECLINED


def test_solicitation_on_a_call_lead_goes_to_review_and_credits_at_most_the_fee(
    qualified_call, holder
):
    from billing import services as billing
    from tests.factories import UserFactory

    claim = credits.file_claim(
        qualified_call,
        contractor=holder,
        reason="test_or_solicitation",
        notes="The caller was selling SEO services.",
    )
    assert claim.status == CreditClaim.Status.PENDING
    before = billing.account_for(holder).balance_cents
    credits.approve_claim(claim, by=UserFactory(is_staff=True, is_superuser=True))
    assert billing.account_for(holder).balance_cents == before + 1_500  # the fee, no more
