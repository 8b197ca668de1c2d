"""Subscribing: exclusive by constraint, all or nothing, the first month charged in full."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction

from billing.models import Entry
from marketplace.models import Notification
from territories import services
from territories.models import PriceOverride, TerritorySubscription
from tests.factories import ContractorFactory, ServiceCategoryFactory, fund
from tests.territories.conftest import served

pytestmark = pytest.mark.django_db


def balance(contractor):
    contractor.account.refresh_from_db()
    return contractor.account.balance_cents


def test_subscribing_charges_the_first_month_in_full_and_tells_the_pro(
    clock, funded, austin, plumbing
):
    subs = services.subscribe(funded, zip_codes=austin[:2], category=plumbing)
    assert [s.zip_code_id for s in subs] == ["78701", "78702"]
    for sub in subs:
        assert sub.status == "active" and sub.fee_cents == 2_900
        assert sub.period_start == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
        assert sub.period_end == datetime(2026, 4, 2, 14, 0, tzinfo=UTC)
        assert "minimum" in sub.pricing["formula"]
    charges = Entry.objects.filter(kind=Entry.Kind.SUBSCRIPTION)
    assert sorted(charges.values_list("amount_cents", flat=True)) == [-2_900, -2_900]
    assert balance(funded) == 100_000 - 5_800
    note = Notification.objects.get(template="territory_subscribed", channel="email")
    assert "$58.00" in note.body and "Apr 2, 2026" in note.body and "$15.00" in note.body


def test_five_zips_at_once_get_the_volume_discount(clock, funded, austin, plumbing):
    subs = services.subscribe(funded, zip_codes=austin, category=plumbing)
    assert {s.fee_cents for s in subs} == {2_610}  # $29 − 10%
    assert balance(funded) == 100_000 - 5 * 2_610


def test_a_pair_someone_holds_is_refused_and_nothing_is_charged(
    clock, funded, other_contractor, austin, plumbing
):
    fund(other_contractor)
    services.subscribe(other_contractor, zip_codes=[austin[1]], category=plumbing)
    with pytest.raises(services.TerritoryTaken, match="already taken in 78702"):
        services.subscribe(funded, zip_codes=austin[:3], category=plumbing)
    assert not TerritorySubscription.objects.filter(contractor=funded).exists()
    assert balance(funded) == 100_000


def test_another_category_of_the_same_zip_is_free_to_take(
    clock, funded, other_contractor, austin, plumbing
):
    roofing = ServiceCategoryFactory(name="Roofing", slug="roofing")
    funded.categories.add(roofing)
    fund(other_contractor)
    services.subscribe(other_contractor, zip_codes=[austin[0]], category=plumbing)
    (sub,) = services.subscribe(funded, zip_codes=[austin[0]], category=roofing)
    assert sub.category == roofing


def test_the_database_refuses_a_second_holder(clock, funded, other_contractor, austin, plumbing):
    def written_directly():  # around the service, as a bug or a race would
        start = datetime(2026, 3, 2, tzinfo=UTC)
        return TerritorySubscription.objects.create(
            contractor=other_contractor,
            zip_code=austin[0],
            category=plumbing,
            list_price_cents=2_900,
            fee_cents=2_900,
            started_at=start,
            period_start=start,
            period_end=datetime(2026, 4, 2, tzinfo=UTC),
        )

    services.subscribe(funded, zip_codes=[austin[0]], category=plumbing)
    with pytest.raises(IntegrityError), transaction.atomic():
        written_directly()
    # An ended subscription does not hold the pair.
    TerritorySubscription.objects.filter(contractor=funded).update(status="canceled")
    assert written_directly().holds


def test_a_balance_too_low_takes_nothing(clock, contractor, austin, plumbing):
    fund(contractor, 5_000)
    with pytest.raises(services.billing.InsufficientBalance):
        services.subscribe(contractor, zip_codes=austin[:2], category=plumbing)
    assert not TerritorySubscription.objects.exists()
    assert balance(contractor) == 5_000


def test_a_price_that_moved_since_the_quote_is_not_charged(clock, funded, austin, plumbing):
    quote = services.quote(funded, zip_codes=austin[:1], category=plumbing)
    assert quote.total_cents == 2_900
    PriceOverride.objects.create(
        zip_code=austin[0], category=plumbing, monthly_fee_cents=4_900, reason="hot zip"
    )
    with pytest.raises(services.PriceChanged, match=r"now \$49.00 a month, not \$29.00"):
        services.subscribe(
            funded, zip_codes=austin[:1], category=plumbing, expected_total_cents=2_900
        )
    assert balance(funded) == 100_000
    (sub,) = services.subscribe(
        funded, zip_codes=austin[:1], category=plumbing, expected_total_cents=4_900
    )
    assert sub.list_price_cents == 4_900 and "set by Fairlead" in sub.pricing["formula"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"zip_codes": []}, "Pick at least one zip code."),
        ({"twice": True}, "listed twice"),
        ({"inactive": True}, "not offered right now"),
        ({"not_onboarded": True}, "Finish setting up"),
    ],
)
def test_orders_that_make_no_sense_are_refused_with_a_reason(
    funded, austin, plumbing, change, message
):
    zip_codes = change.get("zip_codes", austin[:1])
    if change.get("twice"):
        zip_codes = [austin[0], austin[0]]
    if change.get("inactive"):
        plumbing.active = False
        plumbing.save()
    if change.get("not_onboarded"):
        funded.onboarded_at = None
        funded.save()
    with pytest.raises(services.DomainError, match=message):
        services.subscribe(funded, zip_codes=zip_codes, category=plumbing)


def test_holding_a_pair_already_is_said_plainly(clock, funded, austin, plumbing):
    services.subscribe(funded, zip_codes=[austin[0]], category=plumbing)
    with pytest.raises(services.TerritoryTaken, match="You already hold Plumbing in 78701"):
        services.subscribe(funded, zip_codes=[austin[0]], category=plumbing)


def test_a_new_second_category_in_a_held_zip_is_discounted(clock, funded, austin, plumbing):
    roofing = ServiceCategoryFactory(name="Roofing", slug="roofing")
    funded.categories.add(roofing)
    services.subscribe(funded, zip_codes=[austin[0]], category=plumbing)
    (sub,) = services.subscribe(funded, zip_codes=[austin[0]], category=roofing)
    assert sub.pricing["extra_category_percent"] == 20
    assert roofing.typical_job_value_cents == 950_000  # from the categories migration
    assert sub.list_price_cents == 47_500  # 1 lead × $9,500 × 5%
    assert sub.fee_cents == 38_000  # − 20%


def test_cancel_keeps_the_territory_to_the_end_of_the_paid_month(clock, funded, austin, plumbing):
    (sub,) = services.subscribe(funded, zip_codes=[austin[0]], category=plumbing)
    services.cancel(sub, contractor=funded)
    sub.refresh_from_db()
    assert sub.status == "active" and sub.cancel_at_period_end
    services.resume(sub, contractor=funded)
    sub.refresh_from_db()
    assert not sub.cancel_at_period_end


def test_nobody_cancels_another_pros_territory(clock, funded, other_contractor, austin, plumbing):
    (sub,) = services.subscribe(funded, zip_codes=[austin[0]], category=plumbing)
    with pytest.raises(services.DomainError, match="No such territory"):
        services.cancel(sub, contractor=other_contractor)
    sub.refresh_from_db()
    assert not sub.cancel_at_period_end


def test_many_contractors_hold_many_pairs_without_interfering(clock, austin, plumbing):
    pros = [fund(ContractorFactory(service_zips=served())) for _ in range(3)]
    for pro, z in zip(pros, austin, strict=False):
        services.subscribe(pro, zip_codes=[z], category=plumbing)
    assert TerritorySubscription.objects.filter(status="active").count() == 3
    assert timedelta(days=31) == (
        TerritorySubscription.objects.first().period_end
        - TerritorySubscription.objects.first().period_start
    )


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        ([], "Pick at least one zip code."),
        ([" ", ""], "Pick at least one zip code."),
        ([f"{n:05d}" for n in range(51)], "Pick at most 50 zip codes at once."),
        (["78701", "00000", "99999"], "Unknown zip codes: 00000, 99999."),
        (["7870"], "Not a 5-digit zip code: 7870."),
    ],
)
def test_an_order_names_known_zip_codes_within_the_limit(metro_zips, codes, message):
    from territories.services import TerritoryError, zip_codes_named

    with pytest.raises(TerritoryError, match=message):
        zip_codes_named(codes)


def test_an_orders_zip_codes_keep_their_order_and_come_once(metro_zips):
    from territories.services import zip_codes_named

    assert [z.code for z in zip_codes_named(["78702", " 78701", "78702"])] == ["78702", "78701"]
