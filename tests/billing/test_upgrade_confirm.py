"""Moving up a tier charges money: the first tap shows what is charged today and what renews
when; only "Confirm" charges, and exactly the amount shown. Fees: pro $49, elite $149."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from billing import services
from billing.models import Entry
from tests.factories import fund

pytestmark = pytest.mark.django_db

CONFIRM = reverse("billing:membership-confirm")
CHANGE = reverse("billing:membership")


def membership_fees(contractor):
    return list(
        Entry.objects.filter(account__contractor=contractor, kind=Entry.Kind.MEMBERSHIP)
        .order_by("pk")
        .values_list("amount_cents", flat=True)
    )


@pytest.fixture
def pro_client(client, contractor, clock):
    fund(contractor, 100_000)
    client.force_login(contractor.user)
    return client


def test_the_billing_page_asks_before_it_charges(pro_client, contractor):
    page = pro_client.get(reverse("billing:home")).content.decode()
    assert f'href="{CONFIRM}?tier=pro"' in page and f'href="{CONFIRM}?tier=elite"' in page
    assert 'name="tier" value="pro"' not in page  # no form that charges in one tap


def test_one_tap_on_upgrade_charges_nothing(pro_client, contractor):
    response = pro_client.post(CHANGE, {"tier": "pro"})
    assert response.status_code == 302
    assert response.url == f"{CONFIRM}?tier=pro"
    contractor.refresh_from_db()
    assert contractor.tier == "base" and membership_fees(contractor) == []


def test_the_confirmation_shows_today_s_charge_and_the_renewal(pro_client, contractor):
    page = pro_client.get(CONFIRM, {"tier": "pro"}).content.decode()
    assert "Upgrade to Pro" in page
    assert "$49.00 today" in page
    assert "Renews on Apr 2, 2026 at $49.00 a month" in page
    assert "Your balance after: $951.00" in page
    assert 'name="confirm_cents" value="4900"' in page
    assert membership_fees(contractor) == []  # looking charges nothing


def test_confirm_charges_exactly_the_amount_shown(pro_client, contractor):
    response = pro_client.post(CHANGE, {"tier": "pro", "confirm_cents": "4900"}, follow=True)
    assert "You are now on Pro. We charged $49.00." in response.content.decode()
    contractor.refresh_from_db()
    contractor.account.refresh_from_db()
    assert contractor.tier == "pro"
    assert membership_fees(contractor) == [-4_900]
    assert contractor.account.balance_cents == 100_000 - 4_900


def test_within_a_paid_month_the_confirmation_shows_the_prorated_difference(
    pro_client, contractor, clock
):
    services.change_tier(contractor, tier="pro")
    clock.move_to(datetime(2026, 3, 18, 2, 0, tzinfo=UTC))  # half of the month left
    pro_client.force_login(contractor.user)  # a fresh session, 16 days on
    page = pro_client.get(CONFIRM, {"tier": "elite"}).content.decode()
    assert "$50.00 today" in page
    assert "the difference from Pro for the rest of your month" in page
    assert "Renews on Apr 2, 2026 at $149.00 a month" in page
    pro_client.post(CHANGE, {"tier": "elite", "confirm_cents": "5000"})
    assert membership_fees(contractor) == [-4_900, -5_000]


def test_an_amount_that_moved_since_it_was_shown_is_asked_again(pro_client, contractor, clock):
    services.change_tier(contractor, tier="pro")
    clock.move_to(datetime(2026, 3, 18, 2, 0, tzinfo=UTC))
    pro_client.force_login(contractor.user)
    response = pro_client.post(CHANGE, {"tier": "elite", "confirm_cents": "6000"})
    page = response.content.decode()
    assert response.status_code == 409
    assert "The amount is now $50.00" in page and 'name="confirm_cents" value="5000"' in page
    assert membership_fees(contractor) == [-4_900]


def test_a_balance_that_cannot_pay_is_said_before_anything(client, contractor, clock):
    fund(contractor, 1_000)
    client.force_login(contractor.user)
    page = client.get(CONFIRM, {"tier": "elite"}).content.decode()
    assert "Your balance of $10.00 does not cover $149.00" in page
    assert 'name="confirm_cents"' not in page
    assert f'href="{reverse("billing:home")}#add-funds"' in page


@pytest.mark.parametrize("tier", ["base", "gold", ""])
def test_only_an_upgrade_has_a_confirmation(pro_client, tier):
    response = pro_client.get(CONFIRM, {"tier": tier})
    assert response.status_code == 302 and response.url == reverse("billing:home")


def test_moving_down_stays_one_tap_and_charges_nothing(pro_client, contractor):
    services.change_tier(contractor, tier="pro")
    response = pro_client.post(CHANGE, {"tier": "base"}, follow=True)
    assert "You move to Base on Apr 2" in response.content.decode()
    assert membership_fees(contractor) == [-4_900]


def test_moving_down_from_a_tier_ops_set_is_confirmed_before_it_charges(pro_client, contractor):
    """Ops put this pro on Elite by hand (never billed). Moving to Pro is buying Pro: the
    first tap only shows the $49.00 and the renewal; nothing is charged until Confirm."""
    contractor.tier = "elite"
    contractor.save()
    page = pro_client.get(reverse("billing:home")).content.decode()
    assert "Switch now: $49.00 today" in page
    assert f'href="{CONFIRM}?tier=pro"' in page
    response = pro_client.post(CHANGE, {"tier": "pro"})
    assert response.status_code == 302 and CONFIRM in response["Location"]
    assert membership_fees(contractor) == []
    confirm = pro_client.get(f"{CONFIRM}?tier=pro").content.decode()
    assert "Switch to Pro?" in confirm and "set by our team" in confirm
    pro_client.post(CHANGE, {"tier": "pro", "confirm_cents": "4900"})
    assert membership_fees(contractor) == [-4_900]
    contractor.refresh_from_db()
    assert contractor.tier == "pro"


def test_moving_down_to_base_from_a_tier_ops_set_charges_nothing(pro_client, contractor):
    contractor.tier = "elite"
    contractor.save()
    pro_client.post(CHANGE, {"tier": "base"})
    contractor.refresh_from_db()
    assert contractor.tier == "base" and membership_fees(contractor) == []
