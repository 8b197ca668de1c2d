"""Ops type an adjustment's amount in dollars and cents, as a person writes them."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from billing.admin import AdjustmentForm
from billing.services import account_for
from tests.factories import UserFactory, fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(client):
    user = UserFactory(email="finance@example.com", is_staff=True)
    user.groups.add(Group.objects.get(name="finance"))
    client.force_login(user)
    return user


@pytest.mark.parametrize(
    "typed, cents",
    [
        ("25", 2_500),
        ("25.00", 2_500),
        ("25.5", 2_550),
        ("0.75", 75),
        (".75", 75),
        ("-12.50", -1_250),
        ("-$12.50", -1_250),
        ("$-12.50", -1_250),
        ("$1,250.75", 125_075),
        (" $ 1,250.75 ", 125_075),
        ("1250.75", 125_075),
        ("+40", 4_000),
        ("$1,000,000.00", 100_000_000),
    ],
)
def test_an_amount_is_read_as_dollars_and_cents(contractor, typed, cents):
    form = AdjustmentForm(
        {"account": account_for(contractor).pk, "amount": typed, "reason": "Goodwill"}
    )
    assert form.is_valid(), form.errors
    assert form.amount_cents == cents


@pytest.mark.parametrize(
    "typed, message",
    [
        ("12.505", "at most two digits"),
        ("0", "non-zero"),
        ("-0.00", "non-zero"),
        ("twenty", "Enter dollars and cents"),
        ("12,50", "Enter dollars and cents"),
        ("1,25,000", "Enter dollars and cents"),
        ("$", "Enter dollars and cents"),
        (".", "Enter dollars and cents"),
        ("--5", "Enter dollars and cents"),
        ("-$-5", "Enter dollars and cents"),
        ("5-", "Enter dollars and cents"),
        ("1e3", "Enter dollars and cents"),
        ("$1,000,000.01", "at most $1,000,000.00"),
        ("99999999999999999999999", "at most $1,000,000.00"),
        ("", "required"),
    ],
)
def test_an_amount_that_is_not_dollars_and_cents_is_refused_with_a_reason(
    contractor, typed, message
):
    form = AdjustmentForm(
        {"account": account_for(contractor).pk, "amount": typed, "reason": "Goodwill"}
    )
    assert not form.is_valid()
    assert message in form.errors["amount"][0]


def test_the_admin_asks_for_dollars(client, finance):
    page = client.get(reverse("admin:billing_entry_add")).content.decode()
    assert "Amount ($)" in page
    assert "In cents" not in page


def test_finance_adds_twenty_five_dollars_by_typing_25(client, finance, contractor):
    account = account_for(fund(contractor, 10_000))
    response = client.post(
        reverse("admin:billing_entry_add"),
        {"account": account.pk, "amount": "25", "reason": "Goodwill for a bad lead"},
        follow=True,
    )
    assert response.status_code == 200
    account.refresh_from_db()
    assert account.balance_cents == 12_500
    entry = account.entries.get(kind="adjustment")
    assert (entry.amount_cents, entry.created_by, entry.reason) == (
        2_500,
        finance,
        "Goodwill for a bad lead",
    )
    assert "was added successfully" in response.content.decode()


def test_a_refused_amount_moves_no_money_and_keeps_what_was_typed(client, finance, contractor):
    account = account_for(fund(contractor, 10_000))
    response = client.post(
        reverse("admin:billing_entry_add"),
        {"account": account.pk, "amount": "12.505", "reason": "Goodwill"},
    )
    assert response.status_code == 200
    assert "at most two digits" in str(response.context["adminform"].form.errors["amount"])
    assert 'value="12.505"' in response.content.decode()
    account.refresh_from_db()
    assert account.balance_cents == 10_000
    assert not account.entries.filter(kind="adjustment").exists()
