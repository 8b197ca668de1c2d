from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied

from marketplace.adminkit import ReadOnlyAdmin, ServiceFormMixin
from marketplace.formtools import DollarsField
from marketplace.templatetags.money import cents

from . import services
from .models import Account, Entry, Membership, StripeEvent, TopUp


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["contractor", "email", "balance", "updated_at"]
    list_select_related = ["contractor__user"]
    search_fields = ["contractor__business_name", "contractor__user__email"]
    readonly_fields = ["contractor", "balance", "created_at", "updated_at"]
    fields = readonly_fields

    @admin.display(description="Email", ordering="contractor__user__email")
    def email(self, account):
        return account.contractor.user.email

    @admin.display(description="Balance", ordering="balance_cents")
    def balance(self, account):
        return cents(account.balance_cents)


# Larger than any balance a contractor keeps: a figure above it is a slip of the keyboard.
MAX_ADJUSTMENT_CENTS = 100_000_000


class AdjustmentForm(forms.ModelForm):
    """Ops type dollars as they would write them ("25" is $25.00); stored as cents."""

    amount = DollarsField(
        label="Amount ($)",
        max_cents=MAX_ADJUSTMENT_CENTS,
        help_text="Dollars and cents, e.g. 25 or 12.50; negative takes money off, e.g. -12.50.",
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=True)

    class Meta:
        model = Entry
        fields = ["account", "reason"]

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError("An adjustment moves a non-zero amount.")
        return amount

    @property
    def amount_cents(self) -> int:
        return self.cleaned_data["amount"]


@admin.register(Entry)
class EntryAdmin(ServiceFormMixin, admin.ModelAdmin):
    """The ledger, read-only; Add is a manual adjustment through billing.services.adjust."""

    list_display = [
        "created_at",
        "account",
        "kind",
        "amount",
        "balance_after",
        "memo",
        "created_by",
    ]
    list_filter = ["kind", "created_at"]
    list_select_related = ["account__contractor", "created_by"]
    search_fields = [
        "account__contractor__business_name",
        "account__contractor__user__email",
        "memo",
        "=idempotency_key",
    ]
    date_hierarchy = "created_at"
    raw_id_fields = ["account"]
    show_full_result_count = False

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = AdjustmentForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["account", "amount", "reason"]
        return [f.name for f in Entry._meta.fields]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else [f.name for f in Entry._meta.fields]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Amount", ordering="amount_cents")
    def amount(self, entry):
        return cents(entry.amount_cents)

    @admin.display(description="Balance after")
    def balance_after(self, entry):
        return cents(entry.balance_after_cents)

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied
        entry = services.adjust(
            form.cleaned_data["account"],
            amount_cents=form.amount_cents,
            reason=form.cleaned_data["reason"],
            by=request.user,
        )
        # The admin's success message and log then name the entry the service wrote.
        for field in Entry._meta.concrete_fields:
            setattr(obj, field.attname, getattr(entry, field.attname))


@admin.register(TopUp)
class TopUpAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "account",
        "amount",
        "status",
        "paid_at",
        "checkout_session_id",
        "refunded",
        "dispute_status",
    ]
    list_filter = ["status", "dispute_status"]
    list_select_related = ["account__contractor"]
    search_fields = [
        "=checkout_session_id",
        "=payment_intent_id",
        "=charge_id",
        "account__contractor__user__email",
    ]

    @admin.display(description="Amount", ordering="amount_cents")
    def amount(self, top_up):
        return cents(top_up.amount_cents)

    @admin.display(description="Refunded", ordering="refunded_cents")
    def refunded(self, top_up):
        return cents(top_up.refunded_cents)


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "type", "event_id", "result", "processed_at"]
    list_filter = ["type"]
    search_fields = ["=event_id", "=payment_intent_id"]


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    """Paid tiers and their months. Contractors buy tiers on their billing page; a tier
    ops set on the contractor by hand is not billed, and ends the paid membership at the
    end of its month."""

    list_display = [
        "contractor",
        "tier",
        "tier_in_use",
        "status",
        "fee",
        "period_end",
        "scheduled_tier",
        "started_at",
    ]
    list_filter = ["status", "tier", "scheduled_tier"]
    search_fields = ["contractor__business_name", "contractor__user__email"]
    list_select_related = ["contractor"]

    @admin.display(description="Tier in use", ordering="contractor__tier")
    def tier_in_use(self, obj):
        return obj.contractor.get_tier_display()

    @admin.display(description="Monthly fee", ordering="fee_cents")
    def fee(self, obj):
        return cents(obj.fee_cents)
