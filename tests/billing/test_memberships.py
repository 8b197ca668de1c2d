"""Membership tiers: monthly fees through the ledger; upgrades now, downgrades at period end.
Fees by default: base $0, pro $49, elite $149."""

from datetime import UTC, datetime, timedelta

import pytest

from billing import services
from billing.models import Entry, Membership
from marketplace.models import Notification
from tests.factories import fund

pytestmark = pytest.mark.django_db

APRIL_2 = datetime(2026, 4, 2, 14, 0, tzinfo=UTC)


def fees(contractor):
    return list(
        Entry.objects.filter(account__contractor=contractor, kind=Entry.Kind.MEMBERSHIP)
        .order_by("pk")
        .values_list("amount_cents", flat=True)
    )


@pytest.fixture
def pro_member(clock, contractor):
    fund(contractor, 100_000)
    services.change_tier(contractor, tier="pro")
    contractor.refresh_from_db()
    return contractor


def test_an_upgrade_from_base_takes_effect_now_and_charges_a_month(pro_member):
    assert pro_member.tier == "pro"
    assert fees(pro_member) == [-4_900]
    membership = pro_member.membership
    assert membership.period_end == APRIL_2 and membership.fee_cents == 4_900
    assert Notification.objects.filter(template="membership_changed", channel="email").exists()


def test_an_upgrade_within_a_paid_month_charges_the_prorated_difference(clock, pro_member):
    clock.move_to(datetime(2026, 3, 18, 2, 0, tzinfo=UTC))  # 15.5 of 31 days left
    message = services.change_tier(pro_member, tier="elite")
    pro_member.refresh_from_db()
    assert pro_member.tier == "elite"
    assert fees(pro_member) == [-4_900, -5_000]  # ($149 − $49) × 1/2
    assert "$50.00" in message
    assert pro_member.membership.period_end == APRIL_2  # the month does not move
    clock.move_to(APRIL_2)
    services.renew_memberships()
    assert fees(pro_member) == [-4_900, -5_000, -14_900]


def test_a_downgrade_waits_for_the_end_of_the_paid_month(clock, pro_member):
    message = services.change_tier(pro_member, tier="base")
    pro_member.refresh_from_db()
    assert pro_member.tier == "pro" and "Apr 2" in message
    clock.move_to(APRIL_2)
    assert services.renew_memberships()["downgraded"] == 1
    pro_member.refresh_from_db()
    assert pro_member.tier == "base"
    assert not Membership.objects.exists()
    assert fees(pro_member) == [-4_900]


def test_elite_down_to_pro_is_charged_at_the_pro_fee_from_the_next_month(clock, contractor):
    fund(contractor, 100_000)
    services.change_tier(contractor, tier="elite")
    services.change_tier(contractor, tier="pro")
    clock.move_to(APRIL_2)
    services.renew_memberships()
    contractor.refresh_from_db()
    assert contractor.tier == "pro"
    assert fees(contractor) == [-14_900, -4_900]


def test_choosing_the_current_tier_again_calls_off_a_downgrade(pro_member):
    services.change_tier(pro_member, tier="base")
    assert "downgrade is off" in services.change_tier(pro_member, tier="pro")
    assert Membership.objects.get().scheduled_tier == ""
    with pytest.raises(services.TierError, match="already on Pro"):
        services.change_tier(pro_member, tier="pro")


def test_an_unpaid_month_gets_grace_then_the_tier_drops_to_base(clock, pro_member):
    account = services.account_for(pro_member)
    account.refresh_from_db()
    services.post_entry(
        account, kind="adjustment", amount_cents=-account.balance_cents, memo="drain", reason="test"
    )
    clock.move_to(APRIL_2)
    assert services.renew_memberships()["past_due"] == 1
    pro_member.refresh_from_db()
    assert pro_member.tier == "pro"  # still pro during the grace days
    clock.move_to(APRIL_2 + timedelta(days=3))
    assert services.renew_memberships()["downgraded"] == 1
    pro_member.refresh_from_db()
    assert pro_member.tier == "base"
    assert fees(pro_member) == [-4_900]
    assert Notification.objects.filter(template="subscription_ended", channel="email").exists()


def test_an_upgrade_the_balance_cannot_pay_changes_nothing(clock, contractor):
    fund(contractor, 1_000)
    with pytest.raises(services.InsufficientBalance):
        services.change_tier(contractor, tier="elite")
    contractor.refresh_from_db()
    assert contractor.tier == "base" and not Membership.objects.exists()


def test_an_unknown_tier_is_refused(contractor):
    with pytest.raises(services.TierError, match="Pick base, pro or elite"):
        services.change_tier(contractor, tier="platinum")


def test_the_billing_page_shows_each_tier_with_what_it_costs_now(clock, client, contractor):
    from django.urls import reverse

    fund(contractor, 100_000)
    client.force_login(contractor.user)
    html = client.get(reverse("billing:home")).content.decode()
    assert "Upgrade now: $49.00 today" in html and "Upgrade now: $149.00 today" in html
    response = client.post(
        reverse("billing:membership"), {"tier": "pro", "confirm_cents": "4900"}, follow=True
    )
    html = response.content.decode()
    assert "You are now on Pro. We charged $49.00." in html
    assert "Move down on Apr 2" in html
    assert "Upgrade now: $100.00 today" in html  # ($149 − $49) for the whole month left
    html = client.post(
        reverse("billing:membership"), {"tier": "gold"}, follow=True
    ).content.decode()
    assert "Pick base, pro or elite." in html


def test_a_tier_ops_set_by_hand_is_never_billed(clock, pro_member):
    from marketplace.models import Contractor

    # Ops comp the contractor to elite in the admin: the paid pro month still runs out.
    Contractor.objects.filter(pk=pro_member.pk).update(tier="elite")
    clock.move_to(APRIL_2)
    assert services.renew_memberships() == {
        "renewed": 0,
        "past_due": 0,
        "downgraded": 0,
        "ended": 1,
    }
    pro_member.refresh_from_db()
    assert pro_member.tier == "elite"
    assert fees(pro_member) == [-4_900]
    assert not Membership.objects.exists()
    ended = Notification.objects.get(template="subscription_ended", channel="email")
    assert "our team set your tier to Elite" in ended.body


def test_a_deactivated_contractor_is_not_charged_again(clock, pro_member):
    pro_member.is_active = False
    pro_member.save(update_fields=["is_active"])
    clock.move_to(APRIL_2)
    assert services.renew_memberships()["ended"] == 1
    assert fees(pro_member) == [-4_900]
    assert not Membership.objects.exists()


def test_grace_counts_from_the_failed_charge_when_beat_runs_late(clock, pro_member):
    account = services.account_for(pro_member)
    services.post_entry(
        account, kind="adjustment", amount_cents=-95_100, memo="drain", reason="test"
    )
    late = APRIL_2 + timedelta(days=2)  # beat was down for two days
    clock.move_to(late)
    assert services.renew_memberships()["past_due"] == 1
    assert Membership.objects.get().grace_until == late + timedelta(days=3)
    clock.move_to(APRIL_2 + timedelta(days=3))
    assert services.renew_memberships()["past_due"] == 1
    pro_member.refresh_from_db()
    assert pro_member.tier == "pro"  # three full days to top up, not one


@pytest.mark.parametrize(
    ("start", "ends"),
    [
        (
            datetime(2026, 1, 31, 9, 0, tzinfo=UTC),
            ["2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31"],
        ),
        (
            datetime(2027, 12, 30, 9, 0, tzinfo=UTC),
            ["2028-01-30", "2028-02-29", "2028-03-30", "2028-04-30"],
        ),
        (
            datetime(2026, 3, 2, 14, 0, tzinfo=UTC),
            ["2026-04-02", "2026-05-02", "2026-06-02", "2026-07-02"],
        ),
    ],
)
def test_monthly_periods_keep_the_day_they_began_on(time_machine, contractor, start, ends):
    time_machine.move_to(start, tick=False)
    fund(contractor, 100_000)
    services.change_tier(contractor, tier="pro")
    seen = []
    for _ in ends:
        membership = Membership.objects.get()
        seen.append(f"{membership.period_end:%Y-%m-%d}")
        time_machine.move_to(membership.period_end, tick=False)
        assert services.renew_memberships()["renewed"] == 1
    assert seen == ends
    assert fees(contractor) == [-4_900] * (len(ends) + 1)


def test_moving_to_base_while_a_month_is_unpaid_ends_it_now_without_a_charge(clock, pro_member):
    account = services.account_for(pro_member)
    services.post_entry(
        account, kind="adjustment", amount_cents=-95_100, memo="drain", reason="test"
    )
    clock.move_to(APRIL_2)
    services.renew_memberships()  # past due
    assert services.change_tier(pro_member, tier="base") == "You are now on Base."
    pro_member.refresh_from_db()
    assert pro_member.tier == "base" and not Membership.objects.exists()
    assert fees(pro_member) == [-4_900]


def test_an_upgrade_is_prorated_to_the_second_in_whole_cents(clock, pro_member):
    # One second short of the whole month left: ($149 − $49) × (2,678,399 / 2,678,400).
    clock.move_to(datetime(2026, 3, 2, 14, 0, 1, tzinfo=UTC))
    services.change_tier(pro_member, tier="elite")
    assert fees(pro_member) == [-4_900, -10_000]


@pytest.mark.parametrize(
    ("paid", "scheduled", "set_by_ops"), [("elite", "pro", "base"), ("pro", "base", "elite")]
)
def test_a_tier_ops_set_wins_over_a_scheduled_downgrade(
    clock, contractor, paid, scheduled, set_by_ops
):
    from marketplace.models import Contractor

    fund(contractor, 100_000)
    services.change_tier(contractor, tier=paid)
    services.change_tier(contractor, tier=scheduled)  # waits for Apr 2
    Contractor.objects.filter(pk=contractor.pk).update(tier=set_by_ops)
    clock.move_to(APRIL_2)
    assert services.renew_memberships()["ended"] == 1
    contractor.refresh_from_db()
    assert contractor.tier == set_by_ops
    assert len(fees(contractor)) == 1  # nothing charged after the first month


def test_a_deactivated_contractor_cannot_buy_a_tier(contractor):
    fund(contractor, 100_000)
    contractor.is_active = False
    contractor.save(update_fields=["is_active"])
    with pytest.raises(services.TierError, match="deactivated"):
        services.change_tier(contractor, tier="elite")
    assert fees(contractor) == []


def test_a_paid_tier_ends_with_the_month_of_a_deactivated_contractor(clock, pro_member):
    pro_member.is_active = False
    pro_member.save(update_fields=["is_active"])
    clock.move_to(APRIL_2)
    services.renew_memberships()
    pro_member.refresh_from_db()
    assert pro_member.tier == "base"  # reactivated later, they buy it again


def test_renewals_come_before_retries_of_months_still_in_grace(clock, pro_member):
    from tests.factories import ContractorFactory

    broke = []
    for _ in range(3):
        other = ContractorFactory()
        fund(other, 4_900)
        services.change_tier(other, tier="pro")  # pays the first month, nothing left
        broke.append(other)
    clock.move_to(APRIL_2)
    assert services.renew_memberships(limit=10)["past_due"] == 4 - 1  # pro_member pays
    newcomer = fund(ContractorFactory(), 100_000)
    clock.move_to(APRIL_2 - timedelta(days=31))
    services.change_tier(newcomer, tier="pro")
    clock.move_to(APRIL_2 + timedelta(days=1))
    # One slot: the newcomer's renewal, not a retry of the three in grace.
    assert services.renew_memberships(limit=1) == {
        "renewed": 1,
        "past_due": 0,
        "downgraded": 0,
        "ended": 0,
    }
    assert fees(newcomer) == [-4_900, -4_900]


def test_the_payment_due_message_names_the_fee_of_the_month_due(clock, contractor):
    fund(contractor, 14_900)
    services.change_tier(contractor, tier="elite")  # $149 paid, nothing left
    services.change_tier(contractor, tier="pro")  # from Apr 2
    clock.move_to(APRIL_2)
    assert services.renew_memberships()["past_due"] == 1
    contractor.refresh_from_db()
    assert contractor.tier == "pro"  # the downgrade happened; pro is what is due
    told = Notification.objects.get(template="subscription_payment_due", channel="email")
    assert "your Pro membership" in told.body and "does not cover $49.00" in told.body
