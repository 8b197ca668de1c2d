"""History tables keep only the indexes a record's past is read by (marketplace/history.py):
every other index would be written with each history row, on every quote request, routing,
accept and admin edit, and read by nothing."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.db import connection
from django.template.defaultfilters import date as format_date
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from leads.models import Lead
from tests.factories import LeadFactory, UserFactory

pytestmark = pytest.mark.django_db


def _historical_models():
    return [
        model
        for model in apps.get_models()
        if hasattr(model, "instance_type")
        and model._meta.db_table.split("_", 1)[1].startswith("historical")
    ]


def test_every_history_table_has_only_the_indexes_its_reads_use():
    models = _historical_models()
    assert len(models) >= 15  # every audited model, the leads' history among them
    with connection.cursor() as cursor:
        for model in models:
            record_id = model.instance_type._meta.pk.column
            allowed = {
                (model._meta.pk.column,),  # history_id (m2m_history_id: a pro's categories)
                ("history_id",),
                (record_id,),
                ("history_date",),
                ("history_user_id",),
            }
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
            indexed = {
                tuple(c["columns"])
                for c in constraints.values()
                if c["index"] or c["primary_key"] or c["unique"]
            }
            assert indexed <= allowed, (model._meta.db_table, indexed - allowed)
            assert (record_id,) in indexed  # a record's past is found by its id


def test_a_leads_past_is_read_by_its_id_in_the_admin(admin_client):
    lead = LeadFactory()
    lead.status = Lead.Status.REJECTED
    lead.save()
    assert lead.history.count() == 2
    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get(reverse("admin:leads_lead_history", args=[lead.pk]))
    assert response.status_code == 200
    assert response.content.count(b"Changed") + response.content.count(b"Created") >= 2
    reads = [q["sql"] for q in captured.captured_queries if "leads_historicallead" in q["sql"]]
    assert reads
    for sql in reads:  # by the record's id (kept indexed), nothing else
        where = sql.split(" WHERE ", 1)[1]
        assert '"leads_historicallead"."id" = ' in where, sql


def test_a_changed_time_on_the_history_page_is_in_the_viewers_zone(client):
    """The History page's changes show times as its Date/time column does, in the staff
    member's zone, never the stored UTC."""
    ops = UserFactory(is_staff=True, is_superuser=True, timezone="America/Los_Angeles")
    client.force_login(ops)
    lead = LeadFactory()
    lead.routed_at = datetime(2026, 12, 2, 14, 22, 39, tzinfo=UTC)
    lead.save()
    response = client.get(reverse("admin:leads_lead_history", args=[lead.pk]))
    page = response.content.decode()
    with timezone.override(ZoneInfo("America/Los_Angeles")):
        local = format_date(timezone.localtime(lead.routed_at), "DATETIME_FORMAT")
    assert "6:22" in local and local in page
    assert "+00:00" not in page and "14:22" not in page
