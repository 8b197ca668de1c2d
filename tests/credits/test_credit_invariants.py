"""Random sequences of every operation that credits or takes back money on a purchase
(claim, approve, deny, appeal, proactive credit, reversal), and real concurrent ones on
PostgreSQL: a purchase is never credited beyond its price, net of reversals, and every
balance stays the sum of its entries."""

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from billing import services as billing
from billing.models import Account
from credits import queries, services
from credits.models import CreditClaim
from leads import services as lead_services
from marketplace.errors import DomainError
from tests.factories import (
    ContractorFactory,
    LeadFactory,
    ServiceCategoryFactory,
    UserFactory,
    fund,
)
from tests.leads.test_accept import make_offer
from tests.resilience.conftest import run_at_once

REASONS = ["non_working_phone", "wrong_category", "duplicate", "did_not_request"]


class CreditMachine(RuleBasedStateMachine):
    """Two pros bought the same two leads; reviewers and ops act on them in any order."""

    @initialize()
    def setup(self):
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        plumbing = ServiceCategoryFactory(
            name="Plumbing", slug="plumbing", typical_job_value_cents=45_000
        )
        self.categories = [
            ServiceCategoryFactory(
                name="Odd jobs", slug="odd-jobs", typical_job_value_cents=20_000
            ),
            plumbing,
            ServiceCategoryFactory(name="Wiring", slug="wiring", typical_job_value_cents=130_000),
        ]
        self.reviewers = [UserFactory(is_staff=True), UserFactory(is_staff=True)]
        self.pros = [fund(ContractorFactory(categories=self.categories), 10_000) for _ in range(2)]
        self.purchases = []
        for _ in range(2):
            lead = LeadFactory(category=plumbing, status="open", max_pros=2)
            for pro in self.pros:
                offer = make_offer(lead=lead, contractor=pro)
                self.purchases.append(lead_services.accept_offer(offer, contractor=pro))

    def teardown(self):
        if hasattr(self, "_savepoint"):
            transaction.set_rollback(True)
            self._savepoint.__exit__(None, None, None)

    def _claims(self, status):
        return list(
            CreditClaim.objects.filter(purchase__in=self.purchases, status=status).order_by("pk")
        )

    @rule(i=st.integers(0, 3), reason=st.sampled_from(REASONS))
    def file(self, i, reason):
        purchase = self.purchases[i]
        try:
            services.file_claim(
                purchase, contractor=purchase.contractor, reason=reason, notes="What happened."
            )
        except DomainError:
            pass

    @rule(data=st.data(), corrected=st.integers(-1, 2), reviewer=st.integers(0, 1))
    def approve(self, data, corrected, reviewer):
        pending = self._claims(CreditClaim.Status.PENDING)
        if not pending:
            return
        claim = data.draw(st.sampled_from(pending))
        category = None
        if claim.reason == "wrong_category" and corrected >= 0:
            category = self.categories[corrected]
        try:
            services.approve_claim(claim, by=self.reviewers[reviewer], corrected_category=category)
        except DomainError:
            pass

    @rule(data=st.data(), reviewer=st.integers(0, 1))
    def deny(self, data, reviewer):
        pending = self._claims(CreditClaim.Status.PENDING)
        if not pending:
            return
        claim = data.draw(st.sampled_from(pending))
        try:
            services.deny_claim(claim, by=self.reviewers[reviewer], reason="not_creditable")
        except DomainError:
            pass

    @rule(data=st.data())
    def appeal(self, data):
        denied = self._claims(CreditClaim.Status.DENIED)
        if not denied:
            return
        claim = data.draw(st.sampled_from(denied))
        try:
            services.appeal_claim(claim, contractor=claim.purchase.contractor, notes="Look again.")
        except DomainError:
            pass

    @rule(i=st.integers(0, 1), reviewer=st.integers(0, 1))
    def credit_proactively(self, i, reviewer):
        lead = self.purchases[2 * i].lead
        services.credit_lead_proactively(lead, by=self.reviewers[reviewer], reason="duplicate")

    @rule(data=st.data())
    def reverse(self, data):
        approved = list(
            CreditClaim.objects.filter(
                purchase__in=self.purchases,
                status__in=[CreditClaim.Status.APPROVED, CreditClaim.Status.PARTIALLY_APPROVED],
                reversed_at__isnull=True,
            )
        )
        if not approved:
            return
        claim = data.draw(st.sampled_from(approved))
        try:
            services.reverse_credit(claim, by=self.reviewers[0])
        except DomainError:
            pass

    @invariant()
    def never_credited_beyond_the_price(self):
        if not getattr(self, "purchases", None):
            return
        net = queries.net_credited_by_purchase([p.pk for p in self.purchases])
        for purchase in self.purchases:
            assert 0 <= net[purchase.pk] <= purchase.price_cents, (purchase, net[purchase.pk])
        assert list(queries.over_credited_purchases()) == []

    @invariant()
    def balance_is_the_sum_of_entries(self):
        for pro in getattr(self, "pros", []):
            account = Account.objects.get(contractor=pro)
            total = account.entries.aggregate(total=Sum("amount_cents"))["total"]
            assert account.balance_cents == total
        assert billing.ledger_mismatches() == []


@pytest.mark.django_db
def test_random_sequences_of_credit_operations_never_credit_beyond_the_price():
    run_state_machine_as_test(
        CreditMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


postgres_only = pytest.mark.skipif(
    "postgresql" not in django_settings.DATABASES["default"]["ENGINE"],
    reason="row locks need PostgreSQL (CI runs it)",
)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_proactive_credit_and_an_approval_at_the_same_moment_credit_the_price_once(
    contractor, clock
):
    reviewers = [UserFactory(is_staff=True), UserFactory(is_staff=True)]
    fund(contractor, 50_000)
    for _ in range(3):
        purchase = lead_services.accept_offer(
            make_offer(contractor=contractor), contractor=contractor
        )
        claim = services.file_claim(
            purchase, contractor=contractor, reason="non_working_phone", notes="Dead line."
        )

        def act(i, claim=claim, purchase=purchase):
            if i == 0:
                return services.approve_claim(claim, by=reviewers[0])
            return services.credit_lead_proactively(
                purchase.lead, by=reviewers[1], reason="non_working_phone"
            )

        results = run_at_once(2, act)
        assert not [
            r for r in results if isinstance(r, Exception) and not isinstance(r, DomainError)
        ]
        assert queries.net_credited_cents(purchase) == purchase.price_cents
    contractor.account.refresh_from_db()
    assert contractor.account.balance_cents == 50_000
    assert billing.ledger_mismatches() == []
