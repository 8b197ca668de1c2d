"""Schemathesis over the live schema at /api/schema/, in-process (WSGI), as a contractor
(`Authorization: Token ...`) who has offers, leads, a credit request and a territory:
every registered check on (the CLI's `--checks all`), a fixed seed, and enough examples
per operation to reach each one, including its negative (schema-violating) inputs. Then
a stateful run chains operations through the links schemathesis infers (POST a
territory -> GET/DELETE it), where the stateful checks (use_after_free,
ensure_resource_availability) have something to look at. 0 failures."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig

from calls.models import Call, CallSettings, TrackingNumber
from marketplace.models import ServiceArea, ZipCode
from territories import services as territory_services
from tests.factories import CreditClaimFactory, OfferFactory, PurchaseFactory, fund

load_all_checks()
ALL_CHECKS = CHECKS.get_all()

# Schema-valid input that a documented business rule refuses with 400 (the schema's 400 says
# "Invalid input, or a business rule refused the request"): rules JSON Schema cannot say.
# For these operations positive_data_acceptance accepts that 400; everywhere else a
# schema-valid request must not be a 400.
BUSINESS_RULE_400 = {
    "POST /api/v1/auth/token/": "wrong credentials, as DRF's own token view answers",
    "POST /api/v1/quote-requests/": "zip not in the catalog, consent not given, phone",
    "GET /api/v1/analytics/": "a period longer than three years, or ending before it starts",
    "GET /api/v1/territories/": "zip codes missing from the catalog",
    "POST /api/v1/territory-subscriptions/": "zip codes missing from the catalog or not served",
    "POST /api/v1/credit-claims/": "the credit policy declines the claim at once",
    "POST /api/v1/credit-claims/{claim_id}/appeal/": "notes that explain nothing new",
    "POST /api/v1/leads/{lead_id}/contact-attempts/": "an attempt in the future or before buying",
    "PATCH /api/v1/leads/{lead_id}/": "an outcome without its final value or lost reason",
    "PATCH /api/v1/call-settings/": "a ring number that is not a US phone, or calls on without one",
    "POST /api/v1/call-settings/code/": "no number to ring (a PATCH before it cleared it)",
    # Any wrong code is a 409; a 400 here is only a NUL in an extra property's name, which
    # RefuseNulMiddleware refuses and JSON Schema's additionalProperties cannot exclude.
    "POST /api/v1/call-settings/verify/": "a NUL anywhere in the body (marketplace.nul)",
}
ACCEPTED = ["2xx", "400", "401", "402", "403", "404", "409", "429"]

schema = schemathesis.openapi.from_wsgi(
    "/api/schema/",
    get_wsgi_application(),
    config=SchemathesisConfig.from_dict(
        {
            # Negative cases too, so negative_data_rejection has something to judge.
            "generation": {"mode": "all", "deterministic": True},
            "operations": [
                {
                    "include-name": list(BUSINESS_RULE_400),
                    "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
                }
            ],
        }
    ),
)

FUZZ = settings(
    max_examples=20,
    derandomize=True,  # the fixed seed: the same cases on every run
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def in_process_requests(db):
    """The WSGI handler closes the DB connection at the end of each request; inside the
    test's transaction it must not (Django's test client disconnects it the same way)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(in_process_requests, contractor, plumbing, metro_zips) -> str:
    """A contractor with something behind every URL: a pending offer, a bought lead (a
    call, recorded), a denied credit request (appealable), an exclusive territory, a number
    for calls to ring, and money."""
    fund(contractor, 1_000_000)
    OfferFactory(contractor=contractor)
    purchase = PurchaseFactory(contractor=contractor)
    CreditClaimFactory(purchase=purchase, denied=True)
    austin = ZipCode.objects.get(code="78701")
    ServiceArea.objects.create(contractor=contractor, zip_code=austin)
    territory_services.subscribe(contractor, zip_codes=[austin], category=plumbing)
    # Calls: a number to ring, and a recorded call on the bought lead.
    CallSettings.objects.create(contractor=contractor, enabled=True, ring_number="+15125550147")
    line = TrackingNumber.objects.create(number="+15125550100", purpose="service_line", label="x")
    Call.objects.create(
        call_sid="CA" + "7" * 32,
        tracking_number=line,
        from_number=purchase.lead.phone,
        lead=purchase.lead,
        voicemail=True,
        recording_url="sim:RE" + "7" * 32,
        started_at=purchase.created_at,
    )
    return Token.objects.create(user=contractor.user).key


@schema.parametrize()
@FUZZ
def test_every_operation_conforms_to_its_schema(case, token):
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=ALL_CHECKS)


Workflow = schema.as_state_machine()

# DELETE on a territory subscription cancels it at the end of the paid month: a later GET
# answering 200 with cancel_at_period_end is the documented behaviour (the view's docstring,
# tests/territories), not a freed object read, so use_after_free is not asked of that path.
# Whether a run reaches that sequence depends on the links it draws; every other path and
# check stays on.
CANCEL_NOT_FREE = "/territory-subscriptions/{subscription_id}/"
STATEFUL_CHECKS = {
    False: ALL_CHECKS,
    True: [check for check in ALL_CHECKS if check.__name__ != "use_after_free"],
}


class AuthorizedWorkflow(Workflow):
    authorization = ""

    def get_call_kwargs(self, case):
        return {"headers": {"Authorization": self.authorization}}

    def validate_response(self, response, case, additional_checks=None, **kwargs):
        case.validate_response(
            response,
            checks=STATEFUL_CHECKS[CANCEL_NOT_FREE in case.operation.path],
            headers={"Authorization": self.authorization},  # ours, not generated
            transport_kwargs=kwargs or None,
            recorder=self.recorder,
        )


# The links schemathesis infers: lists -> their items (offers -> accept/decline, leads ->
# detail, PATCH, contact attempts; claims -> appeal; territories -> GET/DELETE).
def test_chained_operations_conform_to_the_schema(token):
    AuthorizedWorkflow.authorization = f"Token {token}"
    AuthorizedWorkflow.run(
        settings=settings(
            FUZZ, max_examples=30, stateful_step_count=6, suppress_health_check=list(HealthCheck)
        )
    )
