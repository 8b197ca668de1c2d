"""A balance that crosses a line is told once per crossing, whatever posted the entry: below
zero (buying paused, the amount owed, how to top up), below the price of the cheapest lead
in the contractor's categories (Trust issue items 22 and 25)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from billing import queries, services
from billing.models import Account
from credits import services as credit_services
from leads import queries as lead_queries
from leads import services as lead_services
from marketplace.models import Notification
from tests.factories import (
    ContractorFactory,
    LeadFactory,
    ServiceCategoryFactory,
    UserFactory,
    fund,
)
from tests.leads.test_accept import make_offer

pytestmark = pytest.mark.django_db


def debit(contractor, cents: int, memo: str = "Test debit"):
    return services.post_entry(
        services.account_for(contractor),
        kind="adjustment",
        amount_cents=-cents,
        memo=memo,
        reason="test",
    )


def told(contractor, template: str) -> list[Notification]:
    return list(
        Notification.objects.filter(user=contractor.user, template=template, channel="email")
    )


def test_an_entry_taking_the_balance_below_zero_tells_the_contractor_once(contractor):
    fund(contractor, 1_000)
    debit(contractor, 1_500, memo="Card payment disputed: funds withdrawn")
    [message] = told(contractor, "balance_negative")
    assert "Card payment disputed: funds withdrawn" in message.body
    assert "$5.00" in message.body  # what is owed
    assert "paused" in message.body
    assert message.link == reverse("billing:home") + "#add-funds"
    assert "$5.00" in message.subject
    debit(contractor, 100)  # still below zero: no new crossing
    assert len(told(contractor, "balance_negative")) == 1
    sms_and_app = Notification.objects.filter(user=contractor.user, template="balance_negative")
    assert {n.channel for n in sms_and_app} >= {"email", "in_app"}


def test_each_new_crossing_below_zero_is_told_again(contractor):
    debit(contractor, 100)
    fund(contractor, 500)
    debit(contractor, 1_000)
    assert len(told(contractor, "balance_negative")) == 2


def test_a_replayed_entry_tells_nothing_again(contractor):
    account = services.account_for(contractor)
    for _ in range(3):
        services.post_entry(
            account, kind="refund", amount_cents=-700, memo="Card refund", idempotency_key="k:1"
        )
    assert len(told(contractor, "balance_negative")) == 1


def test_a_credit_reversal_below_zero_is_explained_through_the_same_mechanism(contractor, clock):
    fund(contractor, 450)
    purchase = lead_services.accept_offer(make_offer(contractor=contractor), contractor=contractor)
    reviewer = UserFactory(email="reviewer@example.com", is_staff=True)
    claim = credit_services.file_claim(
        purchase, contractor=contractor, reason="did_not_request", notes="Said no."
    )
    credit_services.approve_claim(claim, by=reviewer)
    debit(contractor, 300)  # spent most of the credit
    credit_services.reverse_credit(claim, by=reviewer)
    [message] = told(contractor, "balance_negative")
    assert f"Credit reversed on lead {purchase.lead.reference}" in message.body
    assert "$3.00" in message.body


@pytest.fixture
def two_categories(contractor, plumbing):
    """Plumbing leads typically cost $4.50, odd jobs $2.00: $2.00 is the line."""
    contractor.categories.add(
        ServiceCategoryFactory(name="Odd jobs", slug="odd-jobs", typical_job_value_cents=20_000)
    )
    return contractor


def test_low_balance_alert_when_the_balance_falls_below_the_cheapest_lead(two_categories):
    contractor = two_categories
    fund(contractor, 1_000)
    debit(contractor, 800)  # $2.00 left: still buys a handyman lead
    assert told(contractor, "low_balance") == []
    debit(contractor, 50)  # $1.50: cannot buy even the cheapest lead
    [message] = told(contractor, "low_balance")
    assert "$1.50" in message.body and "$2.00" in message.body
    assert message.link == reverse("billing:home") + "#add-funds"
    debit(contractor, 50)  # still below: told once per crossing
    fund(contractor, 500)
    debit(contractor, 500)  # up above the line and down again: a new crossing
    assert len(told(contractor, "low_balance")) == 2


def test_falling_from_above_the_line_to_below_zero_sends_only_the_stronger_message(
    contractor,
):
    fund(contractor, 1_000)
    debit(contractor, 1_200)
    assert len(told(contractor, "balance_negative")) == 1
    assert told(contractor, "low_balance") == []


def test_no_low_balance_alert_without_categories(contractor):
    contractor.categories.clear()
    fund(contractor, 1_000)
    debit(contractor, 900)
    assert told(contractor, "low_balance") == []
    assert queries.low_balance_line_cents(contractor) is None


def test_inactive_categories_do_not_set_the_line(two_categories):
    two_categories.categories.filter(slug="odd-jobs").update(active=False)
    assert queries.low_balance_line_cents(two_categories) == 450


def test_the_balance_state_names_what_the_billing_banner_needs(two_categories, contractor):
    fund(contractor, 150)
    state = queries.balance_state(contractor)
    assert (state.balance_cents, state.owed_cents, state.paused, state.low) == (150, 0, False, True)
    assert state.low_line_cents == 200
    debit(contractor, 400)
    state = queries.balance_state(contractor)
    assert (state.balance_cents, state.owed_cents, state.paused, state.low) == (
        -250,
        250,
        True,
        False,
    )
    fund(contractor, 10_000)
    state = queries.balance_state(contractor)
    assert (state.paused, state.low) == (False, False)
    fresh = ContractorFactory()
    Account.objects.filter(contractor=fresh).delete()
    assert queries.balance_state(fresh).balance_cents == 0


def test_a_negative_balance_is_never_offered_a_lead_and_cannot_buy_one(contractor):
    fund(contractor, 1_000)
    offer = make_offer(contractor=contractor)
    debit(contractor, 1_500)  # a chargeback after the offer went out
    with pytest.raises(services.InsufficientBalance):
        lead_services.accept_offer(offer, contractor=contractor)
    lead = LeadFactory(zip_code=contractor.base_zip)
    contractor.service_areas.get_or_create(zip_code=contractor.base_zip)

    def offered() -> bool:
        return lead_queries.eligible_contractors(
            lead, tier=contractor.tier, price_cents=100, now=timezone.now()
        ).contains(contractor)

    assert not offered()
    fund(contractor, 600)  # owed $5.00, topped up $6.00: $1.00 buys a $1.00 lead again
    assert offered()


def test_the_billing_page_shows_what_is_owed_and_that_buying_is_paused(
    contractor_client, contractor
):
    fund(contractor, 1_000)
    debit(contractor, 1_250)
    page = contractor_client.get(reverse("billing:home")).content.decode()
    assert 'id="balance-banner"' in page
    assert "You owe $2.50" in page
    assert "paused" in page
    assert 'href="#add-funds"' in page and 'id="add-funds"' in page


def test_the_billing_page_warns_of_a_low_balance(contractor_client, contractor):
    fund(contractor, 300)
    page = contractor_client.get(reverse("billing:home")).content.decode()
    assert 'id="balance-banner"' in page
    assert "$4.50" in page  # the cheapest lead in plumbing, the only category


def test_a_healthy_balance_shows_no_banner(contractor_client, contractor):
    fund(contractor, 10_000)
    page = contractor_client.get(reverse("billing:home")).content.decode()
    assert 'id="balance-banner"' not in page
