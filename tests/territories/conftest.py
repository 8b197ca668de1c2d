import pytest

from marketplace.models import ZipCode
from tests.factories import fund


@pytest.fixture
def austin(metro_zips):
    """Five Austin zips, in order."""
    return list(ZipCode.objects.filter(code__in=["78701", "78702", "78703", "78704", "78705"]))


@pytest.fixture
def funded(contractor):
    return fund(contractor, 100_000)
