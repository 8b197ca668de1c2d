"""Credit claims on purchased leads, their review, appeal and reversal."""

from django.conf import settings
from django.db import models

from leads.models import Purchase
from marketplace.history import HistoricalRecords
from marketplace.models import Contractor, ServiceCategory

from . import policy


class CreditClaim(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending review"
        APPROVED = "approved", "Approved"
        PARTIALLY_APPROVED = "partially_approved", "Partially approved"
        DENIED = "denied", "Denied"
        DECLINED = "declined", "Declined at once"

    purchase = models.ForeignKey(Purchase, on_delete=models.PROTECT, related_name="claims")
    # The purchase's buyer, copied when the claim is filed (services.file_claim) so a
    # contractor's claims are read newest first from one index, not through every purchase.
    contractor = models.ForeignKey(
        Contractor,
        on_delete=models.PROTECT,
        related_name="credit_claims",
        db_index=False,  # credit_claim_contractor_idx leads with it
    )
    reason = models.CharField(max_length=20, choices=[(r.slug, r.label) for r in policy.REASONS])
    notes = models.TextField()
    status = models.CharField(max_length=18, choices=Status.choices, default=Status.PENDING)
    decision_reason = models.TextField(blank=True, help_text="Shown to the contractor.")
    credited_cents = models.PositiveIntegerField(default=0)
    corrected_category = models.ForeignKey(
        ServiceCategory, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField()
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The account manager who filed it for the contractor; empty when the "
        "contractor filed it.",
    )
    due_by = models.DateTimeField()
    overdue = models.BooleanField(default=False, help_text="Not decided by its due time.")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    appeal_notes = models.TextField(blank=True)
    appealed_at = models.DateTimeField(null=True, blank=True)
    final = models.BooleanField(default=False, help_text="Appeal decided: no further review.")
    reversed_at = models.DateTimeField(null=True, blank=True)
    reversal_reason = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-filed_at"]
        # Each moves money, so each is its own permission rather than "change".
        permissions = [
            ("reverse_creditclaim", "Can reverse an approved credit (a ledger debit)"),
            ("credit_invalid_lead", "Can mark a lead invalid and credit every buyer"),
        ]
        constraints = [
            # One live claim per purchase; a claim declined at once may be filed again.
            models.UniqueConstraint(
                fields=["purchase"],
                condition=~models.Q(status="declined"),
                name="credit_claim_one_live_per_purchase",
            ),
        ]
        indexes = [
            # Review queue, oldest first, and the overdue sweep.
            models.Index(fields=["status", "filed_at"], name="credit_claim_queue_idx"),
            # A contractor's claims, newest first (queries.claims_for): the Credits page and
            # GET credit-claims/ read a page of them and count them from this index alone.
            models.Index(
                fields=["contractor", "-filed_at", "-id"], name="credit_claim_contractor_idx"
            ),
        ]

    def __str__(self):
        return f"{self.get_reason_display()} on {self.purchase.lead.reference} ({self.status})"

    def save(self, *args, **kwargs):
        # The buyer is a copy of the purchase's, which never changes: filled in here too, so
        # no way of creating a claim (a service, the admin, a test) can leave it out.
        if self.purchase_id is not None and self._state.adding:
            if self.contractor_id is None:
                self.contractor_id = self.purchase.contractor_id
            elif self.contractor_id != self.purchase.contractor_id:
                raise ValueError("A credit claim's contractor is its purchase's buyer.")
        super().save(*args, **kwargs)

    @property
    def can_appeal(self) -> bool:
        return self.status == self.Status.DENIED and self.appealed_at is None and not self.final
