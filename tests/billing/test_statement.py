import csv
import io
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from billing import services
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(contractor, time_machine):
    """Entries in February and March 2026."""
    account = services.account_for(contractor)
    time_machine.move_to(datetime(2026, 2, 10, 12, 0, tzinfo=UTC), tick=False)
    services.post_entry(account, kind="top_up", amount_cents=10_000, memo="Card 1")
    services.post_entry(account, kind="lead_purchase", amount_cents=-450, memo="Lead FL-AAAAAA")
    time_machine.move_to(datetime(2026, 3, 5, 9, 30, tzinfo=UTC), tick=False)
    services.post_entry(account, kind="lead_purchase", amount_cents=-9_500, memo="Lead FL-BBBBBB")
    return account


def test_billing_page_shows_balance_and_statement_newest_first(contractor_client, history):
    response = contractor_client.get(reverse("billing:home"))
    assert response.context["balance_cents"] == 50
    memos = [e.memo for e in response.context["page"]]
    assert memos == ["Lead FL-BBBBBB", "Lead FL-AAAAAA", "Card 1"]
    page = response.content.decode()
    assert "$0.50" in page and "-$95.00" in page


def test_statement_filters_by_month(contractor_client, history):
    response = contractor_client.get(reverse("billing:home"), {"month": "2026-02"})
    assert [e.memo for e in response.context["page"]] == ["Lead FL-AAAAAA", "Card 1"]
    response = contractor_client.get(reverse("billing:home"), {"month": "2025-12"})
    assert "No entries in December 2025" in response.content.decode()
    response = contractor_client.get(reverse("billing:home"), {"month": "nonsense"})
    assert len(response.context["page"]) == 3  # an unreadable month shows everything


def test_statement_csv_for_a_month(contractor_client, history):
    response = contractor_client.get(reverse("billing:statement-csv"), {"month": "2026-02"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "fairlead-statement-2026-02.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert rows[0] == ["date", "kind", "memo", "amount_usd", "balance_after_usd", "entry_id"]
    assert [r[3] for r in rows[1:]] == ["-4.50", "100.00"]
    assert rows[1][0] == "2026-02-10T04:00:00-08:00"  # the pro's local time, with its offset
    assert rows[1][4] == "95.50"


def test_the_statement_csv_is_this_month_by_default_and_everything_on_request(
    contractor_client, history
):
    """March 5 now: without a month, March (in the pro's zone); `all` is every entry.
    Streamed either way, so a long history never sits in memory."""
    response = contractor_client.get(reverse("billing:statement-csv"))
    assert response.streaming
    assert "fairlead-statement-2026-03.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert [r[2] for r in rows[1:]] == ["Lead FL-BBBBBB"]
    response = contractor_client.get(reverse("billing:statement-csv"), {"month": "all"})
    assert 'filename="fairlead-statement.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert [r[2] for r in rows[1:]] == ["Lead FL-BBBBBB", "Lead FL-AAAAAA", "Card 1"]


def test_statement_is_paginated_with_bounded_queries(
    contractor_client, contractor, django_assert_num_queries
):
    account = services.account_for(contractor)
    for n in range(60):
        services.post_entry(account, kind="top_up", amount_cents=100, memo=f"#{n}")
    with django_assert_num_queries(8):  # + the membership
        response = contractor_client.get(reverse("billing:home"))
    assert len(response.context["page"]) == 25
    response = contractor_client.get(reverse("billing:home"), {"page": 3})
    assert len(response.context["page"]) == 10


def test_a_contractor_sees_only_their_own_money(client, contractor, other_contractor, history):
    services.post_entry(
        services.account_for(other_contractor), kind="top_up", amount_cents=777, memo="Bob's"
    )
    client.force_login(contractor.user)
    page = client.get(reverse("billing:home")).content.decode()
    assert "Bob&#x27;s" not in page and "$7.77" not in page
    csv_text = client.get(reverse("billing:statement-csv")).getvalue().decode()
    assert "Bob" not in csv_text


def test_ledger_api_lists_own_entries_newest_first(
    contractor_api, contractor, other_contractor, history
):
    services.post_entry(
        services.account_for(other_contractor), kind="top_up", amount_cents=777, memo="Bob's"
    )
    response = contractor_api.get(reverse("api:ledger"))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    first = body["results"][0]
    assert set(first) == {"id", "kind", "amount_cents", "balance_after_cents", "created_at", "memo"}
    assert (first["kind"], first["amount_cents"], first["balance_after_cents"]) == (
        "lead_purchase",
        -9_500,
        50,
    )
    assert first["created_at"] == "2026-03-05T09:30:00Z"


def test_me_shows_the_balance(contractor_api, history):
    assert contractor_api.get(reverse("api:me")).json()["balance_cents"] == 50


def test_ledger_api_refuses_staff_without_a_profile(api_client):
    api_client.force_authenticate(UserFactory(email="ops@example.com", is_staff=True))
    assert api_client.get(reverse("api:ledger")).status_code == 403


def test_finance_adjusts_a_balance_in_the_admin_with_a_reason(client, contractor):
    from django.contrib.auth.models import Group

    finance = UserFactory(email="finance@example.com", is_staff=True)
    finance.groups.add(Group.objects.get(name="finance"))
    client.force_login(finance)
    account = services.account_for(contractor)
    url = reverse("admin:billing_entry_add")
    response = client.post(url, {"account": account.pk, "amount": "25", "reason": ""})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["reason"]
    response = client.post(
        url, {"account": account.pk, "amount": "25", "reason": "Goodwill for a bad lead"}
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.balance_cents == 2_500
    entry = account.entries.get()
    assert (entry.kind, entry.created_by, entry.reason) == (
        "adjustment",
        finance,
        "Goodwill for a bad lead",
    )
    # Entries are read-only evidence afterwards.
    change = reverse("admin:billing_entry_change", args=[entry.pk])
    client.post(change, {"amount_cents": "999999"})
    account.refresh_from_db()
    assert account.balance_cents == 2_500


def test_the_csv_link_follows_the_month_picked_without_a_reload(contractor_client, history):
    """Picking a month swaps the statement in place (htmx); the CSV link is swapped with it."""
    csv_url = reverse("billing:statement-csv")
    swapped = contractor_client.get(
        reverse("billing:home"), {"month": "2026-02"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert f'href="{csv_url}?month=2026-02"' in swapped
    back = contractor_client.get(
        reverse("billing:home"), {"month": ""}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert f'href="{csv_url}?month=all"' in back and "?month=2026" not in back
    page = contractor_client.get(reverse("billing:home"), {"month": "2026-03"}).content.decode()
    assert page.count(f'href="{csv_url}?month=2026-03"') == 1


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "2026-13"])
def test_a_month_no_calendar_shows_is_the_default_not_an_error(contractor_client, history, month):
    page = contractor_client.get(reverse("billing:home"), {"month": month})
    assert page.status_code == 200 and len(page.context["page"]) == 3
    csv_file = contractor_client.get(reverse("billing:statement-csv"), {"month": month})
    assert csv_file.status_code == 200
