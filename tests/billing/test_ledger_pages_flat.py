"""The ledger's lists stay flat as the history grows: the account keeps its entry count
with its balance (post_entry), the Billing page and GET ledger/ take their length from it
instead of COUNT(*) over every entry, and the statement CSV reads a chunk of entries at a
time by keyset, in as many rows as the month has and no more."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing import queries, services
from billing.models import Account
from marketplace.http import csv_stream

pytestmark = pytest.mark.django_db


def _entries_counted(captured) -> list[str]:
    return [q["sql"] for q in captured if "COUNT(" in q["sql"] and '"billing_entry"' in q["sql"]]


@pytest.fixture
def account(contractor):
    account = services.account_for(contractor)
    for n in range(30):
        services.post_entry(account, kind="top_up", amount_cents=100 + n, memo=f"#{n}")
    return account


def test_every_entry_counts_once_and_a_replay_not_at_all(account):
    services.post_entry(account, kind="top_up", amount_cents=5, memo="x", idempotency_key="k:1")
    services.post_entry(account, kind="top_up", amount_cents=5, memo="x", idempotency_key="k:1")
    account.refresh_from_db()
    assert account.entry_count == account.entries.count() == 31
    assert services.ledger_mismatches() == []


def test_check_ledger_finds_a_tampered_entry_count(account, capsys):
    call_command("check_ledger")
    Account.objects.filter(pk=account.pk).update(entry_count=7)
    with pytest.raises(CommandError, match="1 account"):
        call_command("check_ledger")
    assert "over 7 entries" in capsys.readouterr().err


def test_the_api_ledger_counts_from_the_account_not_the_entries(
    account, contractor_api, django_assert_num_queries
):
    with CaptureQueriesContext(connection) as captured:
        body = contractor_api.get(reverse("api:ledger"), {"page": 2}).json()
    assert body["count"] == 30
    assert [e["amount_cents"] for e in body["results"]] == [104, 103, 102, 101, 100]
    assert _entries_counted(captured.captured_queries) == []


def test_the_billing_page_counts_from_the_account_and_a_month_in_its_range(
    account, contractor_client
):
    with CaptureQueriesContext(connection) as captured:
        response = contractor_client.get(reverse("billing:home"), {"page": 2})
    assert response.context["page"].paginator.num_pages == 2
    assert len(response.context["page"]) == 5
    assert _entries_counted(captured.captured_queries) == []
    month = f"{datetime.now(UTC):%Y-%m}"
    response = contractor_client.get(reverse("billing:home"), {"month": month})
    assert response.context["page"].paginator.count == 30


def test_the_statement_is_read_a_chunk_at_a_time_in_order(account, contractor):
    everything = [e.pk for e in queries.statement(contractor)]
    with CaptureQueriesContext(connection) as captured:
        lines = list(queries.statement_lines(contractor, chunk=7))
    assert [line[-1] for line in lines] == everything
    assert len(captured.captured_queries) == 5  # 7 + 7 + 7 + 7 + 2


def test_entries_at_the_same_instant_are_neither_lost_nor_repeated_across_chunks(
    contractor, time_machine
):
    account = services.account_for(contractor)
    time_machine.move_to(datetime(2026, 3, 5, 9, 30, tzinfo=UTC), tick=False)
    for n in range(9):
        services.post_entry(account, kind="top_up", amount_cents=1 + n, memo=f"#{n}")
    lines = list(queries.statement_lines(contractor, chunk=4))
    assert [line[3] for line in lines] == list(range(9, 0, -1))


def test_a_month_csv_is_one_query_for_its_entries(account, contractor_client):
    with CaptureQueriesContext(connection) as captured:
        response = contractor_client.get(reverse("billing:statement-csv"))
        rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert len(rows) == 31
    assert rows[1][1] == "Top-up" and rows[1][3] == "1.29"
    assert len([q for q in captured.captured_queries if '"billing_entry"' in q["sql"]]) == 1


def test_a_long_csv_is_sent_in_chunks_of_rows_not_a_write_per_row():
    rows = [["n"]] + [[n] for n in range(1, 1001)]
    chunks = list(csv_stream("x.csv", iter(rows), rows_per_chunk=400).streaming_content)
    assert len(chunks) == 3
    assert b"".join(chunks).decode().split() == ["n", *map(str, range(1, 1001))]


def test_check_ledger_recounts_entries_posted_by_older_code(db):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from billing.models import Account
    from billing.services import ledger_mismatches
    from tests.factories import ContractorFactory, fund

    contractor = fund(ContractorFactory())
    Account.objects.filter(contractor=contractor).update(entry_count=0)  # as older code left it
    assert ledger_mismatches()
    with pytest.raises(CommandError):
        call_command("check_ledger")
    call_command("check_ledger", "--recount-entries")
    assert not ledger_mismatches()
