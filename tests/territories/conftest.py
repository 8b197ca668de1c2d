import pytest

from marketplace.models import ServiceArea, ZipCode
from tests.factories import fund


def served() -> list[str]:
    """Every zip in the test catalog: territory tests' pros serve them all, as a pro must
    serve a zip to subscribe to it (test_serving.py tries the pros who do not)."""
    return list(ZipCode.objects.values_list("code", flat=True))


def serve_everywhere(contractor):
    ServiceArea.objects.bulk_create(
        [ServiceArea(contractor=contractor, zip_code_id=code) for code in served()],
        ignore_conflicts=True,
    )
    return contractor


@pytest.fixture
def contractor(contractor, metro_zips):
    return serve_everywhere(contractor)


@pytest.fixture
def other_contractor(other_contractor, metro_zips):
    return serve_everywhere(other_contractor)


@pytest.fixture
def austin(metro_zips):
    """Five Austin zips, in order."""
    return list(ZipCode.objects.filter(code__in=["78701", "78702", "78703", "78704", "78705"]))


@pytest.fixture
def funded(contractor):
    return fund(contractor, 100_000)
