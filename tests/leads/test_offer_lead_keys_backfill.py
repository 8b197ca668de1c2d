"""leads 0025 gives every offer made before the keys existed its lead's keys, and leaves an
offer that has them alone."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from leads.models import Lead, Offer
from tests.factories import LeadFactory, OfferFactory, ServiceCategoryFactory, ZipCodeFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_FILL = [("leads", "0024_offer_lead_keys")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def test_the_backfill_copies_each_offers_lead_keys(clock, monkeypatch):
    # A batch of one offer: every batch boundary is crossed (ids need not start at 0).
    fill = importlib.import_module("leads.migrations.0025_fill_offer_lead_keys")
    monkeypatch.setattr(fill, "BATCH", 1)
    roofing = ServiceCategoryFactory(name="Roofing", slug="roofing")
    austin = ZipCodeFactory(code="78701", city="Austin", state="TX")
    has_keys = OfferFactory(lead=LeadFactory(utm_source="nextdoor"))
    made_before = [  # the newest offers: the last batch is filled too
        OfferFactory(lead=LeadFactory(utm_source=utm, category=roofing, zip_code=austin))
        for utm in ["google", ""]
    ]
    Lead.objects.filter(pk=has_keys.lead_id).update(utm_source="facebook")
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    migrate(BEFORE_FILL)
    # As code older than 0024 left them: no keys (the column's default campaign).
    Offer.objects.filter(pk__in=[o.pk for o in made_before]).update(
        category=None, zip_code=None, utm_source=""
    )
    migrate(latest)
    filled = Offer.objects.filter(pk__in=[o.pk for o in made_before])
    assert {o.pk: (o.category_id, o.zip_code_id, o.utm_source) for o in filled} == {
        made_before[0].pk: (roofing.pk, "78701", "google"),
        made_before[1].pk: (roofing.pk, "78701", ""),
    }
    has_keys.refresh_from_db()
    assert has_keys.utm_source == "nextdoor"  # its snapshot, not what the lead says now
