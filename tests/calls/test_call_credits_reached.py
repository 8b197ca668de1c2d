"""A call Fairlead bridged proves the homeowner was reached on the lead's number: claims
that say nobody could be reached, or that the number does not work, are declined at once."""

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
