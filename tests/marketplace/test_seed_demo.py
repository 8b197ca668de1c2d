import pytest
from django.core.management import call_command
from django.urls import reverse

from marketplace.management.commands.seed_demo import DEMO_PASSWORD
from marketplace.models import Contractor, User

pytestmark = pytest.mark.django_db

DEMO_EMAILS = [
    "ops@fairlead.example",
    "elite@fairlead.example",
    "pro@fairlead.example",
    "base@fairlead.example",
    "exclusive@fairlead.example",
]


def test_seed_demo_is_idempotent_and_its_logins_work(client, metro_zips, capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    assert User.objects.filter(email__in=DEMO_EMAILS).count() == 5
    assert Contractor.objects.count() == 4
    ops = User.objects.get(email="ops@fairlead.example")
    assert ops.is_superuser and ops.is_staff
    for tier in ["elite", "pro", "base"]:
        contractor = Contractor.objects.get(user__email=f"{tier}@fairlead.example")
        assert contractor.tier == tier and contractor.is_onboarded
        served = set(contractor.service_areas.values_list("zip_code_id", flat=True))
        assert {"92101", "78701"} <= served  # both demo metros, 25 miles around each
        assert contractor.categories.count() >= 20
        adjustments = contractor.account.entries.filter(kind="adjustment")
        assert [e.amount_cents for e in adjustments] == [50_000]  # $500, once despite two runs
    from leads.models import Lead

    assert Lead.objects.count() == 7  # not doubled by the second run
    assert set(Lead.objects.values_list("status", flat=True)) == {
        "open",
        "screening",
        "filled",
        "expired",
        "rejected",
    }
    from billing.services import ledger_mismatches

    assert ledger_mismatches() == []
    exclusive = Contractor.objects.get(user__email="exclusive@fairlead.example")
    assert [c.slug for c in exclusive.categories.all()] == ["plumbing"]
    held = exclusive.territory_subscriptions.filter(status="active")
    assert sorted(held.values_list("zip_code_id", flat=True)) == ["78701", "78702", "78703"]
    assert not held.filter(zip_code_id="92101").exists()
    assert exclusive.account.entries.filter(kind="subscription").count() == 3  # paid once

    response = client.post(
        reverse("account_login"), {"login": "elite@fairlead.example", "password": DEMO_PASSWORD}
    )
    assert response.url == reverse("dashboard:home")
    assert "elite@fairlead.example" in capsys.readouterr().out


def test_seed_demo_explains_a_missing_zip_catalog(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="load_zipcodes"):
        call_command("seed_demo")
