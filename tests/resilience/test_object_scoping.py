"""Every dashboard and API URL that names an object by id answers another contractor 404,
whatever the method, and writes nothing; its owner reaches it. The URLs are read from the
URLconf, so a new one is covered the day it is added."""

import pytest
from django.apps import apps
from django.core import serializers
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from calls.models import Call, CallLeg, TrackingNumber
from leads.models import Review
from marketplace.models import ServiceArea, ZipCode
from territories import services as territory_services
from tests.factories import CreditClaimFactory, OfferFactory, PurchaseFactory, fund
from tests.urlconf import named_routes

pytestmark = pytest.mark.django_db

SCOPED_PREFIXES = ("dashboard/", "api/v1/")
METHODS = ["get", "post", "put", "patch", "delete"]
# How many URLs name an object (a new one needs an owned object below), and how many
# (URL, method) pairs a view serves, each refused to a stranger with 404; the other
# methods are refused with 405 to everyone, before any object is looked up.
EXPECTED_URLS = 17
EXPECTED_REFUSALS = 31


def urls_with_an_id() -> list[tuple[str, str, list[str]]]:
    """(URL name, route, the route's parameters) for every pattern under the dashboard and
    the API that takes a parameter."""
    return [
        (name, route, parameters)
        for name, route, parameters in named_routes()
        if route.startswith(SCOPED_PREFIXES) and parameters
    ]


def owned_objects(contractor, plumbing) -> dict[str, int]:
    """One object of each kind a URL can name, the contractor's own, by parameter."""
    fund(contractor, 100_000)
    now = timezone.now()
    pending = OfferFactory(contractor=contractor)
    purchase = PurchaseFactory(contractor=contractor)
    Review.objects.create(
        purchase=purchase, token="scoping", invited_at=now, rating=5, submitted_at=now
    )
    claim = CreditClaimFactory(purchase=purchase, denied=True)
    austin = ZipCode.objects.get(code="78701")
    ServiceArea.objects.create(contractor=contractor, zip_code=austin)
    (subscription,) = territory_services.subscribe(
        contractor, zip_codes=[austin], category=plumbing
    )
    # The bought lead was a phone call: its recording plays for the buyer only.
    line = TrackingNumber.objects.create(number="+15125550100", purpose="service_line", label="x")
    call = Call.objects.create(
        call_sid="CA" + "5" * 32,
        tracking_number=line,
        from_number=purchase.lead.phone,
        lead=purchase.lead,
        stage=Call.Stage.ENDED,
        started_at=now,
        recording_url="sim:RE" + "5" * 32,
        recording_seconds=3,
        voicemail=True,
    )
    leg = CallLeg.objects.create(
        call=call,
        contractor=contractor,
        position=1,
        route="marketplace",
        price_cents=500,
        number="+15125550001",
        status=CallLeg.Status.NO_ANSWER,
    )
    return {
        "offer_id": pending.pk,
        "purchase_id": purchase.pk,
        "lead_id": purchase.lead_id,
        "claim_id": claim.pk,
        "subscription_id": subscription.pk,
        "call_id": call.pk,
        "leg_id": leg.pk,
    }


def snapshot() -> str:
    """Every row of the apps a request could change."""
    labels = ["marketplace", "billing", "territories", "leads", "credits"]
    models = [m for label in labels for m in apps.get_app_config(label).get_models()]
    return "".join(serializers.serialize("json", model.objects.order_by("pk")) for model in models)


def signed_in(contractor, *, api: bool):
    if api:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=contractor.user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client
    client = Client()
    client.force_login(contractor.user)
    return client


def test_every_object_url_answers_another_contractor_404_and_writes_nothing(
    contractor, other_contractor, plumbing, metro_zips
):
    urls = urls_with_an_id()
    assert len(urls) == EXPECTED_URLS, [route for _, route, _ in urls]
    ids = owned_objects(contractor, plumbing)
    unknown = {p for _, _, parameters in urls for p in parameters} - ids.keys()
    assert not unknown, f"give owned_objects() an object for {unknown}"

    clients = {
        (who, api): signed_in(person, api=api)
        for who, person in [("stranger", other_contractor), ("owner", contractor)]
        for api in (False, True)
    }
    before = snapshot()
    answers = {}
    for name, route, parameters in urls:
        url = reverse(name, kwargs={p: ids[p] for p in parameters})
        stranger = clients["stranger", route.startswith("api/")]
        for method in METHODS:
            answers[url, method] = getattr(stranger, method)(url).status_code
        statuses = [answers[url, method] for method in METHODS]
        assert set(statuses) <= {404, 405} and 404 in statuses, (url, statuses)
    assert snapshot() == before  # not a row written, not a message queued

    # The same requests from the owner: the object is there, and theirs.
    for (url, method), status in answers.items():
        owner = clients["owner", url.startswith("/api/")]
        answer = getattr(owner, method)(url).status_code
        if status == 405:
            assert answer == 405, (url, method)  # the method, not the object, is refused
        else:
            assert answer not in (404, 405) and answer < 500, (url, method, answer)
    refused = sum(status == 404 for status in answers.values())
    assert refused == EXPECTED_REFUSALS, answers
