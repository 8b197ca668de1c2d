import pytest
from django.core.management import call_command
from django.urls import reverse

from leads.management.commands.seed_demo import DEMO_PASSWORD
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
        adjustments = contractor.account.entries.filter(kind="adjustment", memo="Demo balance")
        assert [e.amount_cents for e in adjustments] == [50_000]  # $500, once despite two runs
    from leads.models import Lead

    history = Lead.objects.filter(email__endswith="@history.homeowner.example")
    assert Lead.objects.exclude(pk__in=history).count() == 7  # not doubled by the second run
    assert history.count() == 40
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
    assert response.url == reverse("leads:home")
    assert "elite@fairlead.example" in capsys.readouterr().out


def test_seed_demo_explains_a_missing_zip_catalog(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="load_zipcodes"):
        call_command("seed_demo")


def test_the_elite_pros_history_fills_the_analytics_page(client, metro_zips):
    """Six months of bought, called, booked and won leads, written at their own moments."""
    from datetime import timedelta

    from django.utils import timezone

    from billing.models import Entry
    from leads.models import Lead, Purchase, Review

    call_command("seed_demo")
    elite = Contractor.objects.get(user__email="elite@fairlead.example")
    purchases = Purchase.objects.filter(contractor=elite)
    assert purchases.count() >= 35
    months = {p.created_at.strftime("%Y-%m") for p in purchases}
    assert len(months) >= 5
    assert purchases.filter(created_at__lt=timezone.now() - timedelta(days=120)).exists()
    outcomes = set(purchases.values_list("outcome", flat=True))
    assert {"won", "appointment", "lost"} <= outcomes
    assert purchases.filter(outcome="won", final_value_cents__gt=0).count() >= 5
    assert elite.star_score >= 80  # still eligible for the marketplace
    reviews = Review.objects.filter(purchase__contractor=elite, submitted_at__isnull=False)
    assert reviews.count() >= 3 and reviews.exclude(reply="").count() == 1
    # The ledger runs forward in time: every balance follows from the one before.
    entries = list(Entry.objects.filter(account__contractor=elite).order_by("created_at", "pk"))
    assert [e.pk for e in entries] == sorted(e.pk for e in entries)
    running = 0
    for entry in entries:
        running += entry.amount_cents
        assert entry.balance_after_cents == running

    # Nothing of the past is left for today's workers: no open leads, no unsent messages.
    history = Lead.objects.filter(email__endswith="@history.homeowner.example")
    assert set(history.values_list("status", flat=True)) <= {"filled", "expired"}
    from marketplace.models import Notification

    past = Notification.objects.filter(created_at__lt=timezone.now() - timedelta(days=1))
    assert past.exists() and not past.filter(status="queued").exists()
    assert not past.filter(channel="in_app", read_at__isnull=True).exists()

    client.force_login(elite.user)
    page = client.get(reverse("insights:analytics"), {"preset": "last_12_months"})
    html = page.content.decode()
    assert "Your best city:" in html


def test_a_database_seeded_before_the_history_gets_none(metro_zips):
    """A past written after today's entries would not follow the ledger: it is skipped."""
    from billing.services import account_for, post_entry
    from leads.models import Lead

    call_command("seed_demo")
    Lead.objects.filter(email__endswith="@history.homeowner.example").update(
        email="moved@homeowner.example"
    )
    before = Lead.objects.count()
    elite = Contractor.objects.get(user__email="elite@fairlead.example")
    post_entry(account_for(elite), kind="adjustment", amount_cents=100, memo="x", reason="x")
    call_command("seed_demo")
    assert Lead.objects.count() == before
