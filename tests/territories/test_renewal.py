"""Month to month: renewal at period end, grace, suspension, cancellation (controllable clock)."""

from datetime import UTC, datetime, timedelta

import pytest

from billing import services as billing
from billing.models import Entry
from marketplace.models import Notification
from territories import services
from territories.models import TerritorySubscription
from tests.factories import ContractorFactory, fund
from tests.territories.conftest import served

pytestmark = pytest.mark.django_db

APRIL_2 = datetime(2026, 4, 2, 14, 0, tzinfo=UTC)


@pytest.fixture
def sub(clock, funded, austin, plumbing):
    (subscription,) = services.subscribe(funded, zip_codes=[austin[0]], category=plumbing)
    return subscription


def charges(contractor):
    return list(
        Entry.objects.filter(account__contractor=contractor, kind=Entry.Kind.SUBSCRIPTION)
        .order_by("pk")
        .values_list("amount_cents", flat=True)
    )


def drain(contractor):
    account = billing.account_for(contractor)
    account.refresh_from_db()
    billing.post_entry(
        account, kind="adjustment", amount_cents=-account.balance_cents, memo="drain", reason="test"
    )


def test_nothing_happens_before_the_period_ends(clock, sub):
    clock.move_to(APRIL_2 - timedelta(seconds=1))
    assert services.renew_territories()["renewed"] == 0
    assert charges(sub.contractor) == [-2_900]


def test_renewal_charges_the_next_month_once(clock, sub):
    clock.move_to(APRIL_2)
    assert services.renew_territories()["renewed"] == 1
    assert services.renew_territories()["renewed"] == 0  # a second beat run
    sub.refresh_from_db()
    assert sub.period_start == APRIL_2
    assert sub.period_end == datetime(2026, 5, 2, 14, 0, tzinfo=UTC)
    assert charges(sub.contractor) == [-2_900, -2_900]


def test_a_renewal_nobody_can_pay_gets_three_days_of_grace_then_is_released(
    clock, sub, other_contractor, austin, plumbing
):
    drain(sub.contractor)
    clock.move_to(APRIL_2)
    assert services.renew_territories()["past_due"] == 1
    sub.refresh_from_db()
    assert sub.status == "past_due" and sub.grace_until == APRIL_2 + timedelta(days=3)
    told = Notification.objects.filter(template="subscription_payment_due", channel="email")
    assert told.count() == 1
    assert "does not cover $29.00" in told.get().body and "Apr 5, 2026" in told.get().body
    # Still in grace: tried again, not told again, the pair still held.
    clock.move_to(APRIL_2 + timedelta(days=2))
    services.renew_territories()
    assert told.count() == 1
    fund(other_contractor)
    with pytest.raises(services.TerritoryTaken):
        services.subscribe(other_contractor, zip_codes=[austin[0]], category=plumbing)
    clock.move_to(APRIL_2 + timedelta(days=3))
    assert services.renew_territories()["suspended"] == 1
    sub.refresh_from_db()
    assert sub.status == "suspended" and sub.ended_at == APRIL_2 + timedelta(days=3)
    assert charges(sub.contractor) == [-2_900]  # nothing charged for the unpaid month
    assert Notification.objects.filter(template="subscription_ended", channel="email").exists()
    # Released: someone else may take it now.
    services.subscribe(other_contractor, zip_codes=[austin[0]], category=plumbing)


def test_topping_up_during_grace_renews_from_the_original_date(clock, sub):
    drain(sub.contractor)
    clock.move_to(APRIL_2)
    services.renew_territories()
    clock.move_to(APRIL_2 + timedelta(days=1))
    fund(sub.contractor, 10_000)
    assert services.renew_territories()["renewed"] == 1
    sub.refresh_from_db()
    assert sub.status == "active" and sub.grace_until is None
    assert sub.period_start == APRIL_2  # the month paid is the month that was due
    assert charges(sub.contractor) == [-2_900, -2_900]


def test_a_cancelled_territory_ends_at_period_end_without_another_charge(clock, sub):
    services.cancel(sub, contractor=sub.contractor)
    clock.move_to(APRIL_2)
    assert services.renew_territories()["ended"] == 1
    sub.refresh_from_db()
    assert sub.status == "canceled" and sub.ended_at == APRIL_2
    assert charges(sub.contractor) == [-2_900]
    assert Notification.objects.filter(template="subscription_ended").exists()


def test_cancelling_an_unpaid_territory_ends_it_now(clock, sub):
    drain(sub.contractor)
    clock.move_to(APRIL_2)
    services.renew_territories()
    services.cancel(sub, contractor=sub.contractor)
    sub.refresh_from_db()
    assert sub.status == "canceled" and sub.ended_at == APRIL_2


def test_renewal_recomputes_the_volume_discount_from_what_is_held(clock, funded, austin, plumbing):
    subs = services.subscribe(funded, zip_codes=austin, category=plumbing)
    assert {s.fee_cents for s in subs} == {2_610}
    services.cancel(subs[0], contractor=funded)
    clock.move_to(APRIL_2)
    services.renew_territories()
    renewed = TerritorySubscription.objects.filter(status="active")
    assert renewed.count() == 4
    assert set(renewed.values_list("fee_cents", flat=True)) == {2_900}  # 4 zips: no discount


def test_a_month_ending_on_the_31st_renews_on_the_last_day_of_a_shorter_month():
    assert billing.add_month(datetime(2026, 1, 31, 9, tzinfo=UTC)) == datetime(
        2026, 2, 28, 9, tzinfo=UTC
    )
    assert billing.add_month(datetime(2026, 12, 15, tzinfo=UTC)) == datetime(
        2027, 1, 15, tzinfo=UTC
    )


def test_the_beat_job_is_scheduled(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"territories.tasks.renew_subscriptions", "billing.tasks.renew_memberships"} <= tasks


def test_one_pros_renewals_do_not_touch_anothers(clock, sub, austin, plumbing):
    other = fund(ContractorFactory(service_zips=served()))
    services.subscribe(other, zip_codes=[austin[1]], category=plumbing)
    drain(sub.contractor)
    clock.move_to(APRIL_2)
    assert services.renew_territories() == {"renewed": 1, "ended": 0, "past_due": 1, "suspended": 0}


def test_a_deactivated_contractor_is_not_charged_and_the_pair_is_released(
    clock, sub, other_contractor, austin, plumbing
):
    sub.contractor.is_active = False
    sub.contractor.save(update_fields=["is_active"])
    clock.move_to(APRIL_2)
    assert services.renew_territories()["suspended"] == 1
    sub.refresh_from_db()
    assert sub.status == "suspended" and charges(sub.contractor) == [-2_900]
    fund(other_contractor, 10_000)
    services.subscribe(other_contractor, zip_codes=[austin[0]], category=plumbing)


def test_grace_counts_from_the_failed_charge_when_beat_runs_late(clock, sub):
    drain(sub.contractor)
    late = APRIL_2 + timedelta(days=2)
    clock.move_to(late)
    assert services.renew_territories()["past_due"] == 1
    sub.refresh_from_db()
    assert sub.grace_until == late + timedelta(days=3)


def test_a_territory_ending_by_this_renewal_does_not_earn_a_discount(
    clock, funded, austin, plumbing
):
    subs = services.subscribe(funded, zip_codes=austin, category=plumbing)
    services.cancel(subs[4], contractor=funded)
    # Whichever is renewed first, the cancelled fifth zip no longer counts.
    assert services.renewal_fee(subs[0]).fee_cents == 2_900


def test_a_territory_begun_on_the_31st_keeps_renewing_on_the_months_last_day(
    time_machine, funded, austin, plumbing
):
    time_machine.move_to(datetime(2026, 1, 31, 9, 0, tzinfo=UTC), tick=False)
    (sub,) = services.subscribe(funded, zip_codes=[austin[0]], category=plumbing)
    ends = []
    for _ in range(3):
        sub.refresh_from_db()
        ends.append(f"{sub.period_end:%m-%d}")
        time_machine.move_to(sub.period_end, tick=False)
        services.renew_territories()
    assert ends == ["02-28", "03-31", "04-30"]


def test_the_contractors_list_shows_held_territories_first_then_the_newest_ended(
    clock, funded, austin, plumbing
):
    from territories.queries import subscriptions_for

    first, second, third = services.subscribe(funded, zip_codes=austin[:3], category=plumbing)
    drain(funded)
    clock.move_to(APRIL_2)
    services.renew_territories()  # all three past due
    services.cancel(first, contractor=funded)  # ends now
    clock.shift(timedelta(hours=1))
    services.cancel(third, contractor=funded)  # ends an hour later
    assert [s.pk for s in subscriptions_for(funded)] == [second.pk, third.pk, first.pk]


def test_renewals_come_before_retries_of_territories_still_in_grace(
    clock, funded, austin, plumbing
):
    broke = fund(ContractorFactory(service_zips=served()), 2_900)
    services.subscribe(broke, zip_codes=[austin[1]], category=plumbing)  # nothing left
    clock.move_to(APRIL_2)
    services.renew_territories(limit=1)  # the broke one first: it is the oldest row
    clock.shift(timedelta(days=1))
    (due,) = services.subscribe(funded, zip_codes=[austin[0]], category=plumbing)
    TerritorySubscription.objects.filter(pk=due.pk).update(period_end=APRIL_2)
    assert services.renew_territories(limit=1)["renewed"] == 1


def test_a_second_service_in_a_zip_keeps_its_discount_at_renewal_the_first_never_gets_it(
    clock, funded, austin, plumbing
):
    from tests.factories import ServiceCategoryFactory

    roofing = ServiceCategoryFactory(
        name="Roof repair", slug="roof-repair", typical_job_value_cents=45_000
    )
    funded.categories.add(roofing)
    (first,) = services.subscribe(funded, zip_codes=[austin[0]], category=plumbing)
    clock.shift(timedelta(minutes=1))
    (second,) = services.subscribe(funded, zip_codes=[austin[0]], category=roofing)
    assert (first.fee_cents, second.fee_cents) == (2_900, 2_320)  # 20% off the second
    assert services.renewal_fee(first).fee_cents == 2_900
    assert services.renewal_fee(second).fee_cents == 2_320
    services.cancel(first, contractor=funded)
    # Plumbing ends before roof repair renews: next month roof repair is the zip's only one.
    assert services.renewal_fee(second).fee_cents == 2_900
