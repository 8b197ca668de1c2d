"""Exclusive zip + category subscriptions, the figures ops set for their prices."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from marketplace.history import HistoricalRecords
from marketplace.models import Contractor, ServiceCategory, ZipCode


class DemandIndex(models.Model):
    """Ops' reading of demand in one zip or a whole state, in percent of normal (100).
    A zip's own index beats its state's; without either, demand is normal."""

    zip_code = models.OneToOneField(
        ZipCode, null=True, blank=True, on_delete=models.CASCADE, related_name="demand"
    )
    state = models.CharField(max_length=2, blank=True, help_text="Two letters, e.g. TX.")
    percent = models.PositiveSmallIntegerField(
        default=100,
        validators=[MinValueValidator(10), MaxValueValidator(500)],
        help_text="100 is normal demand; 150 prices the territory half again as high.",
    )
    note = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "demand index"
        verbose_name_plural = "demand indexes"
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(zip_code__isnull=False) & models.Q(state=""))
                | (models.Q(zip_code__isnull=True) & ~models.Q(state="")),
                name="demand_zip_or_state",
                violation_error_message="Set the index for a zip code or for a state, not both.",
            ),
            models.UniqueConstraint(
                fields=["state"], condition=~models.Q(state=""), name="demand_state_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(percent__gte=10) & models.Q(percent__lte=500),
                name="demand_percent_in_range",
            ),
        ]

    def __str__(self):
        return f"Demand {self.percent}% in {self.zip_code_id or self.state}"


class PriceOverride(models.Model):
    """A monthly fee ops set by hand for one (zip, category), instead of the computed one."""

    zip_code = models.ForeignKey(ZipCode, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(ServiceCategory, on_delete=models.CASCADE, related_name="+")
    monthly_fee_cents = models.PositiveIntegerField(validators=[MinValueValidator(100)])
    reason = models.CharField(max_length=200)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["zip_code", "category"], name="price_override_unique"),
            models.CheckConstraint(
                condition=models.Q(monthly_fee_cents__gte=100), name="price_override_positive"
            ),
        ]

    def __str__(self):
        return f"{self.category} in {self.zip_code_id}: {self.monthly_fee_cents}¢/month"


class TerritorySubscription(models.Model):
    """One contractor's exclusive first right to the leads of one (zip, category), month to
    month. Active and past-due subscriptions hold the pair; ended ones are history."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Payment due"
        CANCELED = "canceled", "Ended"
        SUSPENDED = "suspended", "Suspended (unpaid)"

    HOLDING = (Status.ACTIVE, Status.PAST_DUE)

    contractor = models.ForeignKey(
        Contractor, on_delete=models.PROTECT, related_name="territory_subscriptions"
    )
    zip_code = models.ForeignKey(ZipCode, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(ServiceCategory, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.ACTIVE)
    list_price_cents = models.PositiveIntegerField(
        help_text="The monthly fee before discounts, fixed when subscribing."
    )
    fee_cents = models.PositiveIntegerField(help_text="What the current month cost, discounted.")
    pricing = models.JSONField(default=dict, blank=True, help_text="How the fee was computed.")
    started_at = models.DateTimeField(
        help_text="When it was subscribed; every period ends on this day of the month."
    )
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    cancel_at_period_end = models.BooleanField(default=False)
    grace_until = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["zip_code_id", "category__name"]
        constraints = [
            # Exclusivity: one holder per pair. Two contractors racing for it both insert;
            # the second insert waits for the first to commit, then fails here.
            models.UniqueConstraint(
                fields=["zip_code", "category"],
                condition=models.Q(status__in=["active", "past_due"]),
                name="territory_one_holder",
                violation_error_message="Someone already holds this territory.",
            ),
        ]
        indexes = [
            # renew_territories(): holding subscriptions whose period has ended.
            models.Index(fields=["status", "period_end"], name="territory_renewal_idx"),
            # The territory page and the API: a contractor's own subscriptions.
            models.Index(fields=["contractor", "status"], name="territory_owner_idx"),
        ]

    def __str__(self):
        return f"{self.category} in {self.zip_code_id} ({self.contractor})"

    @property
    def holds(self) -> bool:
        return self.status in self.HOLDING
