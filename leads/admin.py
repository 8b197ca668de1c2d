from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.shortcuts import redirect
from django.urls import reverse

from marketplace.adminkit import HistoryAdmin, ReadOnlyAdmin, ServiceFormMixin
from marketplace.errors import DomainError
from marketplace.models import ServiceCategory
from marketplace.money import format_cents
from marketplace.services import normalize_phone

from . import services
from .models import (
    BlockedContact,
    Consent,
    ContactAttempt,
    Lead,
    LeadFlag,
    Offer,
    Purchase,
    Review,
    ScreeningDecision,
    ScreeningLead,
    Wave,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False


class ConsentInline(admin.StackedInline):
    model = Consent
    can_delete = False
    readonly_fields = ["text", "given_at", "ip_address", "user_agent"]
    fields = readonly_fields

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False


class FlagInline(ReadOnlyInline):
    model = LeadFlag
    fields = ["code", "detail", "created_at"]
    readonly_fields = fields


class DecisionInline(ReadOnlyInline):
    model = ScreeningDecision
    fields = ["outcome", "decided_by", "decided_at", "reason", "note", "changes"]
    readonly_fields = fields


class WaveInline(ReadOnlyInline):
    model = Wave
    fields = ["tier", "due_at", "sent_at", "offers_made"]
    readonly_fields = fields


class OfferInline(ReadOnlyInline):
    """Routing history: who was offered the lead, when, in which wave, and what they did."""

    model = Offer
    fields = ["contractor", "route", "tier", "status", "price_cents", "offered_at", "responded_at"]
    readonly_fields = fields
    ordering = ["offered_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("contractor")


class DisputedFilter(admin.SimpleListFilter):
    """Leads whose homeowner said "I didn't make this request": candidates for crediting
    every buyer."""

    title = "homeowner dispute"
    parameter_name = "disputed"

    def lookups(self, request, model_admin):
        return [("yes", "Homeowner says not theirs")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(homeowner_disputed_at__isnull=False)
        return queryset


class FlaggedFilter(admin.SimpleListFilter):
    title = "flag"
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        return LeadFlag.Code.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(flags__code=self.value())
        return queryset


class LeadAdminBase(HistoryAdmin):
    list_select_related = ["category", "zip_code"]
    search_fields = ["=reference", "phone", "email", "name"]
    inlines = [FlagInline, DecisionInline, ConsentInline]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_flags=Count("flags"))

    def has_delete_permission(self, request, obj=None):
        # Leads are closed (rejected, expired, filled), never deleted: their consent and
        # screening history are evidence that must outlive them.
        return False

    def get_search_results(self, request, queryset, search_term):
        """A phone typed any way ("(619) 555-0199") finds the E.164 number stored."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        try:
            phone = normalize_phone(search_term)
        except DomainError:
            return results, may_have_duplicates
        return results | queryset.filter(phone=phone), may_have_duplicates

    @admin.display(description="Place", ordering="zip_code__state")
    def place(self, lead):
        return f"{lead.zip_code.city}, {lead.zip_code.state} {lead.zip_code_id}"

    @admin.display(description="Estimate", ordering="estimated_value_cents")
    def estimate(self, lead):
        return format_cents(lead.estimated_value_cents)

    @admin.display(description="Flags", ordering="n_flags")
    def flag_count(self, lead):
        return lead.n_flags

    @admin.display(description="Source")
    def source(self, lead):
        if lead.profile_contractor_id:
            return "profile"
        return lead.utm_source or lead.channel


@admin.register(Lead)
class LeadAdmin(LeadAdminBase):
    inlines = [FlagInline, DecisionInline, WaveInline, OfferInline, ConsentInline]
    actions = [
        "reroute",
        "withdraw_offers",
    ]

    def has_route_lead_permission(self, request):
        return request.user.has_perm("leads.route_lead")

    @admin.action(
        description="Re-route: offer now to eligible pros not offered yet (a request to a "
        "chosen pro: to other pros, with the homeowner's agreement)",
        permissions=["route_lead"],
    )
    def reroute(self, request, queryset):
        total = 0
        for lead in queryset:
            try:
                made = services.reroute_lead(lead, by=request.user)
            except DomainError as error:
                self.message_user(request, str(error), messages.WARNING)
                continue
            if made:
                # Who re-routed, when, with what result: the lead's admin history.
                self.log_change(request, lead, f"Re-routed: {made} new offer(s).")
            total += made
        self.message_user(request, f"{total} new offer(s) made.", messages.SUCCESS)

    @admin.action(
        description="Withdraw all pending offers of the selected leads",
        permissions=["route_lead"],
    )
    def withdraw_offers(self, request, queryset):
        count = sum(services.withdraw_offers(lead) for lead in queryset)
        self.message_user(request, f"{count} offer(s) withdrawn.", messages.SUCCESS)

    list_display = [
        "reference",
        "created_at",
        "status",
        "category",
        "place",
        "estimate",
        "flag_count",
        "source",
    ]
    list_filter = [
        "status",
        "category",
        "zip_code__state",
        "channel",
        DisputedFilter,
        FlaggedFilter,
        "timeframe",
        "ownership",
        "one_pro_only",
        "unserved",
    ]
    exclude = ["status_token"]  # the homeowner's private link stays private

    def get_readonly_fields(self, request, obj=None):
        # A lead changes only through its services (screening, routing, credits), so the
        # rules and the decision records are never bypassed from this page.
        return [f.name for f in Lead._meta.fields if f.name != "status_token"]

    def has_add_permission(self, request):
        return False  # leads come from homeowners, through the form or the API


class ScreeningForm(forms.ModelForm):
    """Verify (optionally correcting category or value) or reject, with a reason."""

    decision = forms.ChoiceField(
        choices=[("verify", "Verify: open it for pros"), ("reject", "Reject")],
        widget=forms.RadioSelect,
    )
    reject_reason = forms.ChoiceField(
        choices=[("", "—")] + Lead.RejectReason.choices, required=False
    )
    note = forms.CharField(max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reached_homeowner = forms.BooleanField(
        required=False,
        label="We reached the homeowner while verifying",
        help_text="Recorded on the lead: non-contact credit claims on it are then denied.",
    )
    estimated_value_dollars = forms.DecimalField(
        label="Estimated job value ($)",
        min_value=1,
        max_value=10_000_000,
        decimal_places=2,
        help_text="The lead's price is 1% of this.",
    )

    class Meta:
        model = ScreeningLead
        fields = ["category"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A lead is corrected to a category homeowners can ask for, never a retired one.
        self.fields["category"].queryset = ServiceCategory.objects.filter(active=True)
        if self.instance.pk:
            self.fields["estimated_value_dollars"].initial = (
                Decimal(self.instance.estimated_value_cents) / 100
            )

    @property
    def estimated_value_cents(self) -> int:
        return int(self.cleaned_data["estimated_value_dollars"] * 100)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not data.get("reject_reason"):
            self.add_error("reject_reason", "Choose why this lead is rejected.")
        return data


@admin.register(ScreeningLead)
class ScreeningQueueAdmin(ServiceFormMixin, LeadAdminBase):
    """Held leads, oldest first. A decision the rules refuse shows only its reason."""

    form = ScreeningForm
    list_display = ["reference", "created_at", "category", "place", "estimate", "reasons"]
    list_filter = ["category", "zip_code__state", FlaggedFilter]
    actions = ["verify_selected"] + [
        f"reject_as_{code}" for code in ["spam", "test", "invalid", "out_of_area"]
    ]
    fieldsets = [
        (
            "Decision",
            {
                "fields": [
                    "reasons",
                    "decision",
                    "reject_reason",
                    "note",
                    "reached_homeowner",
                    "category",
                    "estimated_value_dollars",
                ]
            },
        ),
        (
            "Request",
            {
                "fields": [
                    "reference",
                    "created_at",
                    "zip_code",
                    "street_address",
                    "description",
                    "timeframe",
                    "job_size",
                    "ownership",
                    "name",
                    "phone",
                    "email",
                    "preferred_contact",
                    "one_pro_only",
                    "profile_contractor",
                    "duplicate_of",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(status=Lead.Status.SCREENING)
            .prefetch_related("flags")
        )

    def get_readonly_fields(self, request, obj=None):
        return ["reasons"] + [f for section in self.fieldsets[1:] for f in section[1]["fields"]]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # One decision per lead, then back to the queue: no "save and add another".
        extra_context = {
            **(extra_context or {}),
            "show_save_and_add_another": False,
            "show_save_and_continue": False,
        }
        return super().changeform_view(request, object_id, form_url, extra_context)

    def has_add_permission(self, request):
        return False

    @admin.display(description="Why it is held")
    def reasons(self, lead):
        return "; ".join(flag.detail for flag in lead.flags.all())

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if data["decision"] == "verify":
            services.verify_lead(
                obj,
                by=request.user,
                category=data["category"],
                estimated_value_cents=form.estimated_value_cents,
                note=data["note"],
                reached_homeowner=data["reached_homeowner"],
            )
        else:
            services.reject_lead(
                obj, by=request.user, reason=data["reject_reason"], note=data["note"]
            )

    def response_change(self, request, obj):
        # Back to the queue: the screener's next lead is the oldest one left.
        self.message_user(request, f"{obj.reference}: decision recorded.", messages.SUCCESS)
        return redirect("admin:leads_screeninglead_changelist")

    def refused_url(self, request, object_id) -> str:
        # Back to the queue too: a refused lead was usually decided by someone else a moment
        # before, and has left it; if not, it is still listed there.
        return reverse("admin:leads_screeninglead_changelist")

    def _decide_all(self, request, queryset, decide):
        done = 0
        for lead in queryset:
            try:
                decide(lead)
                done += 1
            except DomainError as error:
                self.message_user(request, error.message, messages.WARNING)
        if done:
            self.message_user(request, f"{done} lead(s) decided.", messages.SUCCESS)

    @admin.action(description="Verify selected leads (open them for pros)", permissions=["change"])
    def verify_selected(self, request, queryset):
        self._decide_all(
            request, queryset, lambda lead: services.verify_lead(lead, by=request.user)
        )

    def _reject_action(reason):
        def action(self, request, queryset):
            self._decide_all(
                request,
                queryset,
                lambda lead: services.reject_lead(lead, by=request.user, reason=reason),
            )

        action.__name__ = f"reject_as_{reason}"
        return admin.action(
            description=f"Reject selected: {Lead.RejectReason(reason).label}",
            permissions=["change"],
        )(action)

    reject_as_spam = _reject_action("spam")
    reject_as_test = _reject_action("test")
    reject_as_invalid = _reject_action("invalid")
    reject_as_out_of_area = _reject_action("out_of_area")
    del _reject_action


@admin.register(BlockedContact)
class BlockedContactAdmin(HistoryAdmin):
    list_display = ["kind", "value", "reason", "created_at"]
    list_filter = ["kind"]
    search_fields = ["value", "reason"]


@admin.register(Offer)
class OfferAdmin(ReadOnlyAdmin):
    list_display = [
        "lead",
        "contractor",
        "route",
        "tier",
        "status",
        "price",
        "offered_at",
        "expires_at",
    ]
    list_filter = ["status", "route", "tier"]
    list_select_related = ["lead__category", "lead__zip_code", "contractor"]
    search_fields = ["=lead__reference", "contractor__business_name", "contractor__user__email"]
    date_hierarchy = "offered_at"
    show_full_result_count = False

    @admin.display(description="Price", ordering="price_cents")
    def price(self, offer):
        return format_cents(offer.price_cents)


class ContactAttemptInline(ReadOnlyInline):
    model = ContactAttempt
    fields = ["channel", "result", "attempted_at", "note"]
    readonly_fields = fields


@admin.register(Purchase)
class PurchaseAdmin(ReadOnlyAdmin):
    list_display = ["lead", "contractor", "price", "outcome", "appointment_booked_at", "created_at"]
    list_filter = ["outcome", "lead__category"]
    list_select_related = ["lead__category", "lead__zip_code", "contractor"]
    search_fields = ["=lead__reference", "contractor__business_name", "contractor__user__email"]
    date_hierarchy = "created_at"
    inlines = [ContactAttemptInline]

    @admin.display(description="Price", ordering="price_cents")
    def price(self, purchase):
        return format_cents(purchase.price_cents)


@admin.register(Review)
class ReviewAdmin(ServiceFormMixin, HistoryAdmin):
    """Reviews are the homeowner's words: ops can only hide one, with a reason."""

    list_display = ["submitted_at", "contractor", "rating", "hidden", "replied_at"]
    list_filter = ["hidden", "rating"]
    list_select_related = ["purchase__contractor"]
    search_fields = ["purchase__contractor__business_name", "=purchase__lead__reference", "text"]
    fields = [
        "purchase",
        "rating",
        "text",
        "submitted_at",
        "reply",
        "replied_at",
        "hidden",
        "hidden_reason",
    ]
    readonly_fields = ["purchase", "rating", "text", "submitted_at", "reply", "replied_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Contractor")
    def contractor(self, review):
        return review.purchase.contractor

    def save_model(self, request, obj, form, change):
        if obj.hidden:
            services.hide_review(obj, reason=obj.hidden_reason)
        else:
            obj.hidden_reason = ""
            obj.save(update_fields=["hidden", "hidden_reason"])
            services.recompute_star_score(obj.purchase.contractor)
