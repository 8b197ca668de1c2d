"""Prepaid balances, the append-only ledger, and Stripe top-ups."""

from django.conf import settings
from django.db import models

from marketplace.history import HistoricalRecords
from marketplace.models import Contractor
from marketplace.money import format_cents


class Account(models.Model):
    """A contractor's prepaid balance. `balance_cents` caches the sum of the entries and
    `entry_count` their number; both are only changed by billing.services.post_entry(),
    under a row lock, with the entry."""

    contractor = models.OneToOneField(Contractor, on_delete=models.PROTECT, related_name="account")
    balance_cents = models.BigIntegerField(default=0)
    # How many entries the account has, moved with the balance: the ledger's pages take
    # their length from it instead of counting the whole history on every page.
    entry_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Account of {self.contractor}"


class Entry(models.Model):
    """One change of a balance. Never updated or deleted: corrections are new entries."""

    class Kind(models.TextChoices):
        TOP_UP = "top_up", "Top-up"
        LEAD_PURCHASE = "lead_purchase", "Lead purchase"
        CREDIT = "credit", "Credit"
        REVERSAL = "reversal", "Credit reversal"
        SUBSCRIPTION = "subscription", "Territory subscription"
        MEMBERSHIP = "membership", "Membership"
        ADJUSTMENT = "adjustment", "Manual adjustment"
        REFUND = "refund", "Card refund"
        CHARGEBACK = "chargeback", "Card dispute"

    # No index of its own: entry_statement_idx leads with it. With both, PostgreSQL picked
    # this one for a contractor's ledger page and sorted all their entries for 25 of them.
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    kind = models.CharField(max_length=13, choices=Kind.choices)
    amount_cents = models.BigIntegerField(help_text="Positive adds to the balance.")
    balance_after_cents = models.BigIntegerField()
    memo = models.CharField(max_length=200)
    # What caused it, once: "stripe-session:cs_…", "purchase:42". A second post with the
    # same key returns the first entry instead of moving money again.
    idempotency_key = models.CharField(max_length=120, unique=True, null=True, blank=True)
    reason = models.TextField(blank=True, help_text="Why, for manual adjustments.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The staff member, for manual adjustments.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "entries"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(amount_cents=0), name="entry_amount_not_zero"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="adjustment") | ~models.Q(reason=""),
                name="entry_adjustment_has_reason",
            ),
        ]
        indexes = [
            # Statements: an account's entries, newest first, filtered by month.
            models.Index(fields=["account", "-created_at", "-id"], name="entry_statement_idx"),
            # Analytics' fees (charged_by_kind): a few entries a month among thousands of
            # lead purchases, read without walking past those.
            models.Index(
                fields=["account", "created_at"],
                condition=models.Q(kind__in=["subscription", "membership"]),
                name="entry_fees_idx",
            ),
        ]

    def __str__(self):
        amount = ("+" if self.amount_cents > 0 else "") + format_cents(self.amount_cents)
        return f"{self.get_kind_display()} {amount} ({self.account.contractor})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Ledger entries are append-only; post a correcting entry.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Ledger entries are append-only; post a correcting entry.")


class TopUp(models.Model):
    """A Stripe Checkout payment started by a contractor, and what became of it: Stripe's
    word on refunds and disputes of the card payment, and what the ledger took back for them
    (billing.services.settle_reversals keeps the two in step)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for payment"
        PAID = "paid", "Paid"

    class Dispute(models.TextChoices):
        NONE = "", "None"
        INQUIRY = "inquiry", "Inquiry (no funds withdrawn)"
        OPEN = "open", "Open (funds withdrawn)"
        WON = "won", "Won (funds returned)"
        LOST = "lost", "Lost"
        CLOSED = "closed", "Closed (no funds withdrawn)"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="top_ups")
    amount_cents = models.PositiveIntegerField()
    checkout_session_id = models.CharField(max_length=255, unique=True)
    checkout_url = models.URLField(max_length=1000, blank=True)
    status = models.CharField(max_length=7, choices=Status.choices, default=Status.PENDING)
    entry = models.OneToOneField(
        Entry, null=True, blank=True, on_delete=models.PROTECT, related_name="top_up"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    # The card payment, from the completed session: refunds and disputes name it.
    payment_intent_id = models.CharField(max_length=255, blank=True)
    charge_id = models.CharField(max_length=255, blank=True)
    refunded_cents = models.PositiveIntegerField(
        default=0, help_text="Refunded so far, as Stripe counts it (the charge's amount_refunded)."
    )
    dispute_id = models.CharField(max_length=255, blank=True)
    dispute_status = models.CharField(
        max_length=7, choices=Dispute.choices, default=Dispute.NONE, blank=True
    )
    dispute_amount_cents = models.PositiveIntegerField(default=0)
    refund_reversed_cents = models.PositiveIntegerField(
        default=0, help_text="Taken back from the balance for refunds."
    )
    dispute_reversed_cents = models.PositiveIntegerField(
        default=0, help_text="Taken back from the balance for the dispute, net of any returned."
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Refund and dispute webhooks find their top-up by payment intent.
            models.UniqueConstraint(
                fields=["payment_intent_id"],
                condition=~models.Q(payment_intent_id=""),
                name="top_up_payment_intent_unique",
            ),
        ]

    def __str__(self):
        return f"Top-up {self.checkout_session_id} ({self.get_status_display()})"


class StripeEvent(models.Model):
    """Every verified Stripe webhook, once per event id, however often Stripe retries."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    payment_intent_id = models.CharField(
        max_length=255,
        blank=True,
        db_index=True,  # a completed payment applies the refunds and disputes that waited for it
        help_text="The card payment a refund or dispute is about.",
    )
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty while it waits for its top-up's payment."
    )
    result = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.type} {self.event_id}"


class UnmatchedPayment(models.Model):
    """Money Stripe reported that the ledger cannot place: a completed payment with no
    top-up, in a currency that is not ours, for an amount its top-up does not say, or a
    refund or dispute of a payment that never completed with us. Nothing is credited; the
    finance group is emailed once and resolves it in the admin (billing.services)."""

    class Reason(models.TextChoices):
        NO_TOP_UP = "no_top_up", "No top-up matches it"
        CURRENCY = "currency", "Not in our currency"
        AMOUNT = "amount", "Amount differs from its top-up"
        NO_PAYMENT = "no_payment", "No payment of ours completed for it"

    class Status(models.TextChoices):
        OPEN = "open", "Open: waiting for finance"
        CREDITED = "credited", "Credited to a contractor"
        REFUNDED = "refunded", "Refunded in Stripe"
        NOT_OURS = "not_ours", "Not ours"
        MATCHED_LATER = "matched", "Matched later by its payment"

    event = models.OneToOneField(StripeEvent, on_delete=models.PROTECT, related_name="unmatched")
    reason = models.CharField(max_length=10, choices=Reason.choices)
    detail = models.CharField(max_length=200)
    amount_cents = models.BigIntegerField(
        help_text="As Stripe reports it, in the smallest unit of its currency."
    )
    currency = models.CharField(max_length=10)
    session_id = models.CharField(max_length=255, blank=True)
    payment_intent_id = models.CharField(max_length=255, blank=True)
    top_up = models.ForeignKey(
        TopUp, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    suggested_account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The account the payment names (its top-up, or the session's metadata).",
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    note = models.TextField(blank=True, help_text="Why it was resolved so.")
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    entry = models.OneToOneField(
        Entry, null=True, blank=True, on_delete=models.PROTECT, related_name="unmatched_payment"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "unmatched Stripe money"
        verbose_name_plural = "unmatched Stripe money"
        permissions = [
            ("resolve_unmatchedpayment", "Can credit or close unmatched Stripe money"),
        ]
        indexes = [
            # The finance queue: open items, oldest first.
            models.Index(fields=["status", "created_at"], name="unmatched_queue_idx"),
        ]

    def __str__(self):
        return f"{self.get_reason_display()}: {self.money} ({self.event})"

    @property
    def money(self) -> str:
        """The amount as Stripe reported it: dollars in our currency ("$75.00"), else the
        amount in its currency's units and its code ("75.00 EUR")."""
        if self.currency == settings.STRIPE_CURRENCY:
            return format_cents(self.amount_cents)
        return f"{self.amount_cents / 100:,.2f} {self.currency.upper()}"


class Membership(models.Model):
    """A paid membership tier (pro, elite), month to month. The tier routing reads lives on
    the contractor; this row is what was bought and is billed."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Payment due"

    contractor = models.OneToOneField(
        Contractor, on_delete=models.PROTECT, related_name="membership"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    tier = models.CharField(
        max_length=5,
        choices=Contractor.Tier.choices,
        help_text="The tier paid for. A tier ops set on the contractor is never billed.",
    )
    fee_cents = models.PositiveIntegerField(help_text="What the current month cost.")
    started_at = models.DateTimeField(
        help_text="When this run of paid months began; every period ends on its day of the month."
    )
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    scheduled_tier = models.CharField(
        max_length=5,
        choices=Contractor.Tier.choices,
        blank=True,
        help_text="A downgrade waiting for the end of the period.",
    )
    grace_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        indexes = [
            # renew_memberships(): memberships whose period has ended.
            models.Index(fields=["period_end"], name="membership_renewal_idx"),
        ]

    def __str__(self):
        return f"Membership of {self.contractor}"
