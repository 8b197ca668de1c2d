"""Two contractors race for the same territory on PostgreSQL: one subscription, one charge."""

import pytest
from django.conf import settings

from billing.models import Entry
from marketplace.models import ZipCode
from territories import services
from territories.models import TerritorySubscription
from tests.billing.test_concurrency import run_at_once
from tests.factories import ContractorFactory, ServiceCategoryFactory, fund
from tests.territories.conftest import served

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="row locks need PostgreSQL (CI runs it)",
    ),
]


def test_many_contractors_racing_for_one_pair_end_with_one_subscription_and_one_charge(
    metro_zips,
):
    plumbing = ServiceCategoryFactory(name="Plumbing", slug="plumbing")
    zip_code = ZipCode.objects.get(code="78701")
    pros = [fund(ContractorFactory(service_zips=served()), 10_000) for _ in range(8)]

    def take(i):
        return services.subscribe(pros[i], zip_codes=[zip_code], category=plumbing)

    results = run_at_once(len(pros), take)
    won = [r for r in results if isinstance(r, list)]
    lost = [r for r in results if isinstance(r, services.TerritoryTaken)]
    assert len(won) == 1 and len(lost) == len(pros) - 1, results
    assert TerritorySubscription.objects.count() == 1
    assert Entry.objects.filter(kind=Entry.Kind.SUBSCRIPTION).count() == 1
    winner = won[0][0].contractor
    for pro in pros:
        pro.account.refresh_from_db()
        assert pro.account.balance_cents == (7_100 if pro == winner else 10_000)


def test_one_pro_ordering_twice_at_once_pays_once(metro_zips):
    plumbing = ServiceCategoryFactory(name="Plumbing", slug="plumbing")
    zips = list(ZipCode.objects.filter(code__in=["78701", "78702"]))
    pro = fund(ContractorFactory(service_zips=served()), 10_000)
    results = run_at_once(4, lambda i: services.subscribe(pro, zip_codes=zips, category=plumbing))
    assert sum(isinstance(r, list) for r in results) == 1, results
    assert Entry.objects.filter(kind=Entry.Kind.SUBSCRIPTION).count() == 2
