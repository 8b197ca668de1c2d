"""Hypothesis sends random sequences of Stripe webhooks (matched, for no top-up, in another
currency, for the wrong amount, replayed, each payment's payment_intent.succeeded), moves
the clock so waiting events are flagged, and plays finance's resolutions (credit, close,
credit again): the ledger stays whole (balance = sum of entries), a webhook credits only a
matched payment, no unmatched payment is ever credited twice, and no payment reaches a
balance for more than Stripe took, however many items report it."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from billing import services
from billing.models import Entry, TopUp, UnmatchedPayment
from tests.factories import ContractorFactory, UserFactory

from .conftest import checkout_completed, stripe_event
from .test_stripe_unmatched import signed

pytestmark = pytest.mark.django_db

KINDS = ["matched", "no_top_up", "currency", "amount"]


class UnmatchedMoney(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.accounts = [services.account_for(ContractorFactory()) for _ in range(2)]
        self.finance = UserFactory(is_staff=True)
        self.finance.groups.add(Group.objects.get(name="finance"))
        self.sent: list[bytes] = []
        self.payments: dict[str, tuple[str, int, str]] = {}  # intent: session, paid, currency
        self.later = timezone.now()
        self.expected_credit = 0  # what matched payments and finance's credits add up to
        self.n = 0

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    @rule(kind=st.sampled_from(KINDS), amount=st.integers(1_000, 20_000), who=st.integers(0, 1))
    def stripe_pays(self, kind, amount, who):
        self.n += 1
        session_id = f"cs_{self.n}"
        if kind != "no_top_up":
            TopUp.objects.create(
                account=self.accounts[who], amount_cents=amount, checkout_session_id=session_id
            )
        paid = amount + 100 if kind == "amount" else amount
        body = json.loads(
            checkout_completed(
                session_id, paid, event_id=f"evt_{self.n}", payment_intent=f"pi_{self.n}"
            )
        )
        if kind == "currency":
            body["data"]["object"]["currency"] = "eur"
        payload = json.dumps(body).encode()
        self.sent.append(payload)
        self.payments[f"pi_{self.n}"] = (session_id, paid, body["data"]["object"]["currency"])
        self.deliver(payload)
        if kind == "matched":
            self.expected_credit += amount

    @rule(data=st.data(), times=st.integers(1, 5))
    def stripe_replays(self, data, times):
        if self.sent:
            payload = data.draw(st.sampled_from(self.sent))
            for _ in range(times):
                self.deliver(payload)

    @rule(data=st.data())
    def stripe_confirms_the_payment(self, data):
        """payment_intent.succeeded: matched if its session completed with us, else it waits
        and, once the clock moves, becomes a second item for the same money."""
        if self.payments:
            intent = data.draw(st.sampled_from(sorted(self.payments)))
            _, paid, currency = self.payments[intent]
            payload = stripe_event(
                f"evt_{intent}",
                "payment_intent.succeeded",
                {"id": intent, "object": "payment_intent", "amount": paid, "currency": currency},
            )
            self.sent.append(payload)
            self.deliver(payload)

    @rule(amount=st.integers(1_000, 20_000), who=st.integers(0, 1), intent_first=st.booleans())
    def a_mismatched_payment_is_reported_twice_and_finance_credits_both(
        self, amount, who, intent_first
    ):
        """The reviewer's sequence: paid another amount than the top-up (the session's
        item), its payment_intent.succeeded flagged once the clock moves (a second item),
        then finance credits both, in either order."""
        self.stripe_pays("amount", amount, who)
        intent = f"pi_{self.n}"
        payload = stripe_event(
            f"evt_{intent}",
            "payment_intent.succeeded",
            {"id": intent, "object": "payment_intent", "amount": amount + 100, "currency": "usd"},
        )
        self.sent.append(payload)
        self.deliver(payload)
        self.the_clock_moves_and_the_sweep_flags_what_waited()
        items = list(UnmatchedPayment.objects.filter(payment_intent_id=intent).order_by("pk"))
        for item in reversed(items) if intent_first else items:
            try:
                entry = services.credit_unmatched(
                    item, account=self.accounts[who], note="theirs", by=self.finance
                )
            except services.DomainError:
                continue
            self.expected_credit += entry.amount_cents

    @rule()
    def the_clock_moves_and_the_sweep_flags_what_waited(self):
        self.later += timedelta(hours=2)
        services.flag_unmatched_stripe_events(now=self.later)

    def deliver(self, payload):
        services.handle_stripe_webhook(payload, signed(payload))

    @rule(data=st.data(), who=st.integers(0, 1), twice=st.booleans())
    def finance_credits(self, data, who, twice):
        items = list(UnmatchedPayment.objects.all())
        if not items:
            return
        item = data.draw(st.sampled_from(items))
        for _ in range(2 if twice else 1):
            try:
                entry = services.credit_unmatched(
                    item, account=self.accounts[who], note="theirs", by=self.finance
                )
            except services.DomainError:
                continue
            self.expected_credit += entry.amount_cents

    @rule(data=st.data(), status=st.sampled_from(["refunded", "not_ours"]))
    def finance_closes(self, data, status):
        items = list(UnmatchedPayment.objects.all())
        if items:
            item = data.draw(st.sampled_from(items))
            try:
                services.close_unmatched(item, status=status, note="done", by=self.finance)
            except services.DomainError:
                pass

    @invariant()
    def ledger_is_whole_and_nothing_is_credited_twice(self):
        for account in self.accounts:
            account.refresh_from_db()
            total = Entry.objects.filter(account=account).aggregate(s=Sum("amount_cents"))["s"]
            assert account.balance_cents == (total or 0)
        assert (Entry.objects.aggregate(s=Sum("amount_cents"))["s"] or 0) == self.expected_credit
        assert sum(a.balance_cents for a in self.accounts) == self.expected_credit
        # One record per event, never a second credit for one: every credited item has its
        # own entry, and no currency-mismatched money ever reached a balance.
        credited = UnmatchedPayment.objects.filter(status="credited")
        assert credited.values("entry").distinct().count() == credited.count()
        assert not credited.exclude(currency="usd").exists()
        assert UnmatchedPayment.objects.values("event").distinct().count() == (
            UnmatchedPayment.objects.count()
        )

    @invariant()
    def no_payment_is_credited_beyond_what_stripe_took(self):
        for intent, (session_id, paid, _) in self.payments.items():
            credited = (
                Entry.objects.filter(
                    Q(top_up__payment_intent_id=intent)
                    | Q(unmatched_payment__payment_intent_id=intent)
                    | Q(idempotency_key__in=[f"stripe-unmatched:{intent}"])
                    | Q(idempotency_key=f"stripe-session:{session_id}"),
                    amount_cents__gt=0,
                )
                .distinct()
                .values_list("amount_cents", flat=True)
            )
            assert sum(credited) <= paid, intent


def test_random_webhooks_and_resolutions_keep_the_ledger_whole(stripe_on):
    run_state_machine_as_test(
        UnmatchedMoney,
        settings=settings(
            max_examples=40,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
