"""The read replica's router on one database: a `replica` alias that mirrors the test
database, as DATABASE_REPLICA_URL configures it in production (TEST MIRROR default).
Analytics and reports read through it; writes, and every other read, never do."""

import pytest
from django.conf import settings
from django.db import connections, router
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token

from config.db_router import REPLICA, ReplicaRouter
from leads.models import Purchase
from marketplace.models import Notification
from marketplace.replica import replica_reads
from tests.factories import PurchaseFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


@pytest.fixture(scope="module", autouse=True)
def _replica_alias():
    """The alias `replica`, a second connection to the test database, for this module's
    tests (before their database set-up, which checks the aliases a test may use)."""
    connections.settings[REPLICA] = {
        **connections["default"].settings_dict,
        "TEST": {"MIRROR": "default"},
    }
    yield
    connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


@pytest.fixture
def replica():
    assert REPLICA in settings.DATABASES  # one dict: what the router looks at
    return connections[REPLICA]


def tables(captured) -> set[str]:
    return {
        word.strip('"').split(".")[-1].strip('"')
        for q in captured.captured_queries
        for word in q["sql"].split()
        if word.strip('"').startswith(("leads_", "billing_", "credits_", "marketplace_"))
    }


def test_the_analytics_page_reads_its_numbers_from_the_replica(replica, contractor):
    PurchaseFactory(contractor=contractor)
    client = Client()
    client.force_login(contractor.user)
    with (
        CaptureQueriesContext(replica) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        response = client.get(reverse("insights:analytics"))
    assert response.status_code == 200
    assert "leads_analyticscell" in tables(on_replica)
    # The primary answered only the log-in (session, user, contractor), not the numbers.
    assert "leads_analyticscell" not in tables(on_primary)
    # Reads only (a UNION's first part is parenthesised).
    assert all(_reads(q["sql"]) for q in on_replica.captured_queries)


def test_the_analytics_api_reads_from_the_replica(replica, contractor, api_client):
    PurchaseFactory(contractor=contractor)
    token, _ = Token.objects.get_or_create(user=contractor.user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    with (
        CaptureQueriesContext(replica) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        response = api_client.get(reverse("api:analytics"))
    assert response.status_code == 200
    assert "leads_analyticscell" in tables(on_replica)
    assert "leads_analyticscell" not in tables(on_primary)


def test_writes_inside_replica_reads_go_to_the_primary(replica, contractor):
    with CaptureQueriesContext(replica) as on_replica, replica_reads():
        assert router.db_for_write(Notification) == "default"
        Notification.objects.create(
            user=contractor.user,
            channel=Notification.Channel.IN_APP,
            to=contractor.user.email,
            template="new_offer",
            body="x",
            send_after=contractor.created_at,
        )
        purchase = PurchaseFactory(contractor=contractor)
        read_back = Purchase.objects.get(pk=purchase.pk)  # a read: the replica
        read_back.outcome = Purchase.Outcome.CONTACTED
        read_back.save(update_fields=["outcome"])  # its write: the primary
    assert on_replica.captured_queries
    assert not [q for q in on_replica.captured_queries if not _reads(q["sql"])]
    assert Purchase.objects.get(pk=purchase.pk).outcome == Purchase.Outcome.CONTACTED


def test_reads_outside_analytics_stay_on_the_primary(replica, contractor):
    PurchaseFactory(contractor=contractor)
    client = Client()
    client.force_login(contractor.user)
    with CaptureQueriesContext(replica) as on_replica:
        assert client.get(reverse("leads:leads")).status_code == 200
        assert router.db_for_read(Purchase) == "default"
    assert on_replica.captured_queries == []


def test_without_a_replica_marked_reads_use_the_primary():
    configured = connections.settings.pop(REPLICA)
    try:
        assert REPLICA not in settings.DATABASES
        with replica_reads():
            assert ReplicaRouter().db_for_read(Purchase) is None
            assert router.db_for_read(Purchase) == "default"
            assert UserFactory().pk  # and writes work as always
    finally:
        connections.settings[REPLICA] = configured


def _reads(sql: str) -> bool:
    return sql.lstrip(" \n(").upper().startswith("SELECT")
