"""Ten contractors take the same exclusive territory at the same instant: one subscription,
one charge, and nine balances untouched."""

import pytest

from billing.models import Entry
from billing.services import ledger_mismatches
from marketplace.models import ZipCode
from territories import services
from territories.models import TerritorySubscription
from tests.factories import ContractorFactory, fund

from .conftest import on_postgresql, run_at_once

pytestmark = [pytest.mark.django_db(transaction=True), on_postgresql]


def test_ten_pros_racing_for_one_territory_end_with_one_subscription_and_one_charge(
    metro_zips, plumbing
):
    zip_code = ZipCode.objects.get(code="78701")
    pros = [fund(ContractorFactory(service_zips=["78701"]), 10_000) for _ in range(10)]

    results = run_at_once(
        10, lambda i: services.subscribe(pros[i], zip_codes=[zip_code], category=plumbing)
    )
    won = [r for r in results if isinstance(r, list)]
    lost = [r for r in results if isinstance(r, services.TerritoryTaken)]
    assert (len(won), len(lost)) == (1, 9), results
    assert TerritorySubscription.objects.count() == 1
    assert Entry.objects.filter(kind=Entry.Kind.SUBSCRIPTION).count() == 1
    (subscription,) = won[0]
    for pro in pros:
        pro.account.refresh_from_db()
        paid = subscription.fee_cents if pro == subscription.contractor else 0
        assert pro.account.balance_cents == 10_000 - paid
    assert ledger_mismatches() == []
