"""Property-based API checks: every documented operation answers per its schema, never a 500."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_schema(case):
    # DRF reads an empty optional query parameter (`?page=`) as absent; that leniency is fine.
    excluded = [negative_data_rejection]
    if case.path in {"/api/v1/auth/token/", "/api/v1/quote-requests/"}:
        # Rules beyond the schema answer 400 by design: wrong credentials (as DRF's own
        # token view), a zip missing from the catalog, consent not given.
        excluded.append(positive_data_acceptance)
    case.call_and_validate(excluded_checks=excluded)
