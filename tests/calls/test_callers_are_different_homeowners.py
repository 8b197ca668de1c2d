"""Callers have no email: a pro who bought one caller's lead is still rung for the next
caller's, in the same service (only the same phone is the same homeowner)."""

import pytest

from calls.models import CallLeg

from .conftest import LINE, screen
from .phone import Phone

pytestmark = pytest.mark.django_db


def test_the_holder_is_rung_for_a_second_caller_after_taking_the_first(client, line, holder):
    first = Phone(client, to=LINE, caller="+15125550123", sid="CA1" + "0" * 31)
    dial = screen(first)
    assert first.pro_presses(first.pro_answers(dial), "1").bridges
    first.dial_ends(dial, "completed", 75)

    second = Phone(client, to=LINE, caller="+15125550124", sid="CA2" + "0" * 31)
    assert screen(second).dialled == "+15125550001"
    assert CallLeg.objects.filter(contractor=holder).count() == 2
