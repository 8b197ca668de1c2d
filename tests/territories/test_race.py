"""One pro orders the same territories twice at once, on PostgreSQL: one charge per zip.
(Many pros racing for one territory: tests/resilience/test_territory_race.py.)"""

import pytest
from django.conf import settings

from billing.models import Entry
from marketplace.models import ZipCode
from territories import services
from tests.factories import ContractorFactory, ServiceCategoryFactory, fund
from tests.resilience.conftest import run_at_once
from tests.territories.conftest import served

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="row locks need PostgreSQL (CI runs it)",
    ),
]


def test_one_pro_ordering_twice_at_once_pays_once(metro_zips):
    plumbing = ServiceCategoryFactory(name="Plumbing", slug="plumbing")
    zips = list(ZipCode.objects.filter(code__in=["78701", "78702"]))
    pro = fund(ContractorFactory(service_zips=served()), 10_000)
    results = run_at_once(4, lambda i: services.subscribe(pro, zip_codes=zips, category=plumbing))
    assert sum(isinstance(r, list) for r in results) == 1, results
    assert Entry.objects.filter(kind=Entry.Kind.SUBSCRIPTION).count() == 2
