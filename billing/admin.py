from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from marketplace.adminkit import HistoryAdmin, ReadOnlyAdmin, ServiceFormMixin
from marketplace.errors import DomainError
from marketplace.formtools import DollarsField
from marketplace.models import Contractor
from marketplace.money import format_cents

from . import queries, services
from .models import Account, Entry, Membership, StripeEvent, TopUp, UnmatchedPayment


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
        return format_cents(account.balance_cents)


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
        return format_cents(entry.amount_cents)

    @admin.display(description="Balance after")
    def balance_after(self, entry):
        return format_cents(entry.balance_after_cents)

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
        return format_cents(top_up.amount_cents)

    @admin.display(description="Refunded", ordering="refunded_cents")
    def refunded(self, top_up):
        return format_cents(top_up.refunded_cents)


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "type", "event_id", "result", "processed_at"]
    list_filter = ["type"]
    search_fields = ["=event_id", "=payment_intent_id"]


class CreditForm(forms.Form):
    email = forms.EmailField(
        label="Contractor's email",
        help_text="The login email of the contractor whose balance this payment goes to.",
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="How you know it is theirs (e.g. their email to us, the Stripe customer).",
    )

    def clean_email(self):
        contractor = Contractor.objects.filter(
            user__email__iexact=self.cleaned_data["email"]
        ).first()
        if contractor is None:
            raise forms.ValidationError("No contractor has this email.")
        self.account = services.account_for(contractor)
        return self.cleaned_data["email"]


class CloseForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you did in Stripe, or whose money it is.",
    )


@admin.register(UnmatchedPayment)
class UnmatchedPaymentAdmin(ReadOnlyAdmin, HistoryAdmin):
    """Finance's queue of Stripe money the ledger could not place. Each item is resolved by
    an action that calls billing.services (credit, or close with a note); resolved items
    stay, with their history."""

    list_display = [
        "created_at",
        "status",
        "reason",
        "money",
        "event",
        "suggested_account",
        "resolved_by",
        "resolved_at",
    ]
    list_filter = ["status", "reason"]
    list_select_related = ["event", "suggested_account__contractor", "resolved_by"]
    search_fields = ["=event__event_id", "=session_id", "=payment_intent_id"]
    actions = ["credit_to_contractor", "close_refunded_in_stripe", "close_not_ours"]
    readonly_fields = ["other_reports"]

    def has_resolve_permission(self, request):
        return request.user.has_perm("billing.resolve_unmatchedpayment")

    @admin.display(description="Amount", ordering="amount_cents")
    def money(self, item):
        return item.money

    @admin.display(description="Other items of this payment")
    def other_reports(self, item):
        """One payment can be reported twice (its session, its payment intent): finance
        sees the other items before crediting, and which one credited it."""
        others = queries.other_reports_of_payment(item).select_related("event")
        if not others:
            return "none"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">item {}</a>: {} ({}), {}</li>',
                (
                    (
                        reverse("admin:billing_unmatchedpayment_change", args=[other.pk]),
                        other.pk,
                        other.event.type,
                        other.money,
                        other.get_status_display(),
                    )
                    for other in others
                ),
            ),
        )

    def _form_page(self, request, queryset, *, form, action, title, explanation, submit):
        items = list(queryset)
        for item in items:
            item.other_reports = list(
                queries.other_reports_of_payment(item).select_related("event")
            )
        return TemplateResponse(
            request,
            "admin/billing/unmatchedpayment/resolve.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": title,
                "explanation": explanation,
                "items": items,
                "form": form,
                "action": action,
                "submit_label": submit,
            },
        )

    @admin.action(
        description="Credit to a contractor (through the ledger)", permissions=["resolve"]
    )
    def credit_to_contractor(self, request, queryset):
        queryset = queryset.select_related("event", "suggested_account__contractor__user")
        if queryset.count() != 1:
            self.message_user(request, "Credit one payment at a time.", messages.ERROR)
            return None
        item = queryset.get()
        bound = "post" in request.POST and "email" in request.POST
        suggested = item.suggested_account
        form = (
            CreditForm(request.POST)
            if bound
            else CreditForm(initial={"email": suggested.contractor.user.email if suggested else ""})
        )
        if bound and form.is_valid():
            try:
                entry = services.credit_unmatched(
                    item,
                    account=form.account,
                    note=form.cleaned_data["note"],
                    by=request.user,
                )
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
                return None
            self.message_user(
                request,
                f"{format_cents(entry.amount_cents)} credited to {entry.account.contractor}.",
                messages.SUCCESS,
            )
            return None
        return self._form_page(
            request,
            queryset,
            form=form,
            action="credit_to_contractor",
            title="Credit Stripe money to a contractor",
            explanation="The amount Stripe took goes to the balance you choose, once.",
            submit="Credit it",
        )

    def _close(self, request, queryset, *, status, action, title):
        bound = "post" in request.POST and "note" in request.POST
        form = CloseForm(request.POST if bound else None)
        if bound and form.is_valid():
            done = 0
            for item in queryset:
                try:
                    services.close_unmatched(
                        item, status=status, note=form.cleaned_data["note"], by=request.user
                    )
                    done += 1
                except DomainError as error:
                    self.message_user(request, f"{item}: {error.message}", messages.WARNING)
            if done:
                self.message_user(request, f"{done} item(s) closed.", messages.SUCCESS)
            return None
        return self._form_page(
            request,
            queryset.select_related("event", "suggested_account__contractor"),
            form=form,
            action=action,
            title=title,
            explanation="No money moves in Fairlead; the note is kept with the item.",
            submit="Close",
        )

    @admin.action(description="Close: refunded in Stripe", permissions=["resolve"])
    def close_refunded_in_stripe(self, request, queryset):
        return self._close(
            request,
            queryset,
            status=UnmatchedPayment.Status.REFUNDED,
            action="close_refunded_in_stripe",
            title="Close as refunded in Stripe",
        )

    @admin.action(description="Close: not ours", permissions=["resolve"])
    def close_not_ours(self, request, queryset):
        return self._close(
            request,
            queryset,
            status=UnmatchedPayment.Status.NOT_OURS,
            action="close_not_ours",
            title="Close as not ours",
        )


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
        return format_cents(obj.fee_cents)
