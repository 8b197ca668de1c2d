from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from calls.admin import call_evidence
from calls.models import Call
from leads import admin as lead_admin
from leads.models import Lead, Purchase
from marketplace.adminkit import HistoryAdmin, ServiceFormMixin
from marketplace.errors import DomainError
from marketplace.models import ServiceCategory
from marketplace.money import format_cents

from . import policy, queries, services
from .models import CreditClaim


class DecisionForm(forms.ModelForm):
    decision = forms.ChoiceField(
        choices=[
            ("approve", "Approve: credit the full price"),
            ("partial", "Approve partially: wrong category, corrected below"),
            ("deny", "Deny"),
        ],
        widget=forms.RadioSelect,
    )
    corrected = forms.ModelChoiceField(
        queryset=ServiceCategory.objects.filter(active=True),
        required=False,
        label="Corrected category (partial approval)",
    )
    deny_reason = forms.ChoiceField(
        choices=[("", "—")] + list(policy.DENY_REASONS.items()), required=False
    )
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Explanation to the pro"
    )

    class Meta:
        model = CreditClaim
        fields = []

    def clean(self):
        data = super().clean()
        if data.get("decision") == "deny" and not data.get("deny_reason"):
            self.add_error("deny_reason", "Pick the policy's reason for denying.")
        if data.get("decision") == "partial" and not data.get("corrected"):
            self.add_error("corrected", "Pick the category the job really was.")
        return data


class OnBehalfForm(forms.ModelForm):
    """An account manager files a claim for a contractor (seed 003): which lead, which
    buyer, why. The policy decides as it does for the contractor's own claims."""

    lead_reference = forms.CharField(max_length=12, label="Lead reference", help_text="FL-…")
    contractor_email = forms.EmailField(
        label="Contractor's login email", help_text="The buyer the claim is for."
    )
    reason = forms.ChoiceField(
        choices=[("", "—")] + [(r.slug, r.label) for r in policy.REASONS],
        error_messages={"invalid_choice": policy.UNKNOWN_REASON},
    )
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,  # the policy declines a claim without notes, in its own words
        help_text="What the contractor told you: claims without notes are declined.",
    )

    class Meta:
        model = CreditClaim
        fields = []

    def clean(self):
        data = super().clean()
        reference = (data.get("lead_reference") or "").strip().upper()
        email = (data.get("contractor_email") or "").strip().lower()
        if not reference or not email:
            return data
        purchase = (
            Purchase.objects.select_related("contractor", "lead")
            .filter(lead__reference=reference, contractor__user__email=email)
            .first()
        )
        if purchase is None:
            if not Lead.objects.filter(reference=reference).exists():
                self.add_error("lead_reference", f"No lead {reference}.")
            else:
                self.add_error(
                    "contractor_email", f"The contractor with this login did not buy {reference}."
                )
        self.purchase = purchase
        return data


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(status="pending", due_by__lt=timezone.now())
        return queryset


@admin.register(CreditClaim)
class CreditClaimAdmin(ServiceFormMixin, HistoryAdmin):
    """The review queue: pending claims oldest first, with what a reviewer needs. A decision
    the policy refuses shows only its reason (ServiceFormMixin)."""

    form = DecisionForm
    list_display = ["filed_at", "lead_ref", "contractor", "reason", "status", "age", "appealed_at"]
    list_filter = ["status", OverdueFilter, "reason", "final"]
    list_select_related = ["purchase__lead", "purchase__contractor"]
    search_fields = ["=purchase__lead__reference", "purchase__contractor__business_name"]
    ordering = ["filed_at"]
    actions = ["reverse_selected"]
    readonly_fields = [
        "lead_summary",
        "reason",
        "notes",
        "appeal_notes",
        "filed_for",
        "outcome",
        "credited_so_far",
        "attempts",
        "screening",
        "other_claims",
        "claim_rate",
        "call_record",
        "status",
        "decision_reason",
        "credited",
        "filed_at",
        "due_by",
        "decided_by",
        "decided_at",
        "final",
    ]
    fieldsets = [
        (
            "Claim",
            {"fields": ["lead_summary", "reason", "notes", "appeal_notes", "filed_at", "due_by"]},
        ),
        (
            "Evidence",
            {
                "fields": [
                    "filed_for",
                    "outcome",
                    "credited_so_far",
                    "attempts",
                    "screening",
                    "other_claims",
                    "claim_rate",
                ]
            },
        ),
        ("Decision", {"fields": ["decision", "corrected", "deny_reason", "note"]}),
        (
            "Outcome",
            {
                "fields": [
                    "status",
                    "decision_reason",
                    "credited",
                    "decided_by",
                    "decided_at",
                    "final",
                ]
            },
        ),
    ]

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = OnBehalfForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (
                    "File a claim for a contractor",
                    {"fields": ["lead_reference", "contractor_email", "reason", "notes"]},
                )
            ]
        fieldsets = self.fieldsets
        if obj.status != CreditClaim.Status.PENDING:
            fieldsets = [fs for fs in fieldsets if fs[0] != "Decision"]
        if self._call(obj) is not None:
            # A call lead: the recording and what the caller pressed are the evidence for
            # wrong category, wrong location or solicitation.
            evidence = ("The call", {"fields": ["call_record"]})
            at = next(i for i, fs in enumerate(fieldsets) if fs[0] == "Evidence") + 1
            fieldsets = [*fieldsets[:at], evidence, *fieldsets[at:]]
        return fieldsets

    def _call(self, claim) -> Call | None:
        if not hasattr(claim, "_call"):
            claim._call = Call.objects.filter(lead_id=claim.purchase.lead_id).first()
        return claim._call

    @admin.display(description="Lead")
    def lead_ref(self, claim):
        return claim.purchase.lead.reference

    @admin.display(description="Contractor")
    def contractor(self, claim):
        return claim.purchase.contractor

    @admin.display(description="Age")
    def age(self, claim):
        hours = int((timezone.now() - claim.filed_at).total_seconds() // 3600)
        late = claim.status == "pending" and claim.due_by < timezone.now()
        return format_html("{}h{}", hours, " — OVERDUE" if late else "")

    @admin.display(description="Lead")
    def lead_summary(self, claim):
        lead = claim.purchase.lead
        return format_html(
            "{} · {} in {} {} · {} · {} · paid {} on {}",
            lead.reference,
            lead.category.name,
            lead.zip_code.city,
            lead.zip_code_id,
            lead.name,
            lead.phone,
            format_cents(claim.purchase.price_cents),
            timezone.localtime(claim.purchase.created_at).strftime("%Y-%m-%d %H:%M %Z"),
        )

    @admin.display(description="Contact attempts")
    def attempts(self, claim):
        rows = claim.purchase.attempts.all()
        if not rows:
            return "None logged"
        return format_html_join(
            "",
            "<div>{} · {} · {}{}</div>",
            (
                (
                    timezone.localtime(a.attempted_at).strftime("%Y-%m-%d %H:%M %Z"),
                    a.get_channel_display(),
                    a.get_result_display(),
                    (
                        f" · logged later ({timezone.localtime(a.created_at):%Y-%m-%d %H:%M %Z}),"
                        " not counted for non-contact"
                    )
                    if a.logged_late
                    else "",
                )
                for a in rows
            ),
        )

    @admin.display(description="Screening record")
    def screening(self, claim):
        lead = claim.purchase.lead
        flags = "; ".join(f.detail for f in lead.flags.all()) or "no flags"
        decisions = "; ".join(str(d) for d in lead.decisions.all()) or "opened automatically"
        disputed = " · homeowner said NOT MINE" if lead.homeowner_disputed_at else ""
        reached = (
            f" · OUR VERIFICATION REACHED THE HOMEOWNER on "
            f"{timezone.localtime(lead.verification_reached_at):%b %-d}"
            if lead.verification_reached_at
            else ""
        )
        return f"{flags} · {decisions}{disputed}{reached}"

    @admin.display(description="Recording and answers")
    def call_record(self, claim):
        call = self._call(claim)
        if call is None:
            return "—"
        if call.qualified is None:
            talked = "not put through to a pro"
        else:
            talked = f"talked {call.bridged_seconds // 60}:{call.bridged_seconds % 60:02d}, " + (
                f"qualified, fee {format_cents(call.fee_cents)}"
                if call.qualified
                else "not qualified, not charged"
            )
        return format_html(
            "<p>{} to {} ({}): {}.</p>{}",
            call.get_outcome_display() or call.get_stage_display(),
            call.tracking_number.number,
            call.tracking_number.label,
            talked,
            call_evidence(call),
        )

    @admin.display(description="Filed by")
    def filed_for(self, claim):
        if claim.filed_by_id is None:
            return "The contractor"
        return f"Filed by {claim.filed_by.email} for the contractor"

    @admin.display(description="How the job went")
    def outcome(self, claim):
        purchase = claim.purchase
        text = purchase.get_outcome_display()
        if purchase.outcome == purchase.Outcome.WON:
            won = timezone.localtime(purchase.won_at) if purchase.won_at else None
            return (
                f"Won{f' on {won:%b %-d}' if won else ''}, final value "
                f"{format_cents(purchase.final_value_cents)}"
            )
        if purchase.outcome == purchase.Outcome.LOST:
            text = f"Lost: {purchase.lost_reason}"
        if purchase.appointment_booked_at:
            booked = timezone.localtime(purchase.appointment_booked_at)
            text += f" · Appointment booked on {booked:%b %-d}"
        return text

    @admin.display(description="Credited on this lead so far")
    def credited_so_far(self, claim):
        net = queries.net_credited_cents(claim.purchase)
        return (
            f"{format_cents(net)} of {format_cents(claim.purchase.price_cents)} (net of reversals)"
        )

    @admin.display(description="Other claims on this lead")
    def other_claims(self, claim):
        others = CreditClaim.objects.filter(purchase__lead=claim.purchase.lead).exclude(pk=claim.pk)
        return "; ".join(f"{c.get_reason_display()} ({c.status})" for c in others) or "none"

    @admin.display(description="Claim rate")
    def claim_rate(self, claim):
        rates = queries.claim_rates([claim.purchase.contractor_id])
        mine = rates["rates"].get(claim.purchase.contractor_id, 0)
        return f"{mine:.0%} of their purchases (average {rates['average']:.0%})"

    @admin.display(description="Credited")
    def credited(self, claim):
        return format_cents(claim.credited_cents)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            purchase = form.purchase
            try:
                claim = services.file_claim(
                    purchase,
                    contractor=purchase.contractor,
                    reason=data["reason"],
                    notes=data["notes"],
                    by=request.user,
                )
            except services.ClaimDeclined as declined:
                # Declined at once under the policy: recorded (and the contractor emailed),
                # so it is no refusal to roll back; the page shows the reason alone.
                claim = purchase.claims.latest("filed_at")
                request._claim_declined = declined.message
            obj.pk = claim.pk  # the admin's message and log point at the real claim
            return
        if data["decision"] == "approve":
            services.approve_claim(obj, by=request.user, note=data["note"])
        elif data["decision"] == "partial":
            services.approve_claim(
                obj, by=request.user, corrected_category=data["corrected"], note=data["note"]
            )
        else:
            services.deny_claim(obj, by=request.user, reason=data["deny_reason"], note=data["note"])

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    def log_addition(self, request, obj, message):
        return super().log_addition(request, CreditClaim.objects.get(pk=obj.pk), message)

    def response_add(self, request, obj, post_url_continue=None):
        claim = CreditClaim.objects.get(pk=obj.pk)
        declined = getattr(request, "_claim_declined", "")
        if declined:
            self.message_user(request, f"Declined at once: {declined}", messages.ERROR)
            return redirect("admin:credits_creditclaim_change", claim.pk)
        self.message_user(
            request,
            f"Claim filed for {claim.purchase.contractor}: it waits for another reviewer; "
            "the contractor is emailed a receipt.",
            messages.SUCCESS,
        )
        return redirect("admin:credits_creditclaim_change", claim.pk)

    def response_change(self, request, obj):
        self.message_user(request, "Decision recorded; the pro is emailed.", messages.SUCCESS)
        return redirect("admin:credits_creditclaim_changelist")

    def has_reverse_creditclaim_permission(self, request):
        return request.user.has_perm("credits.reverse_creditclaim")

    @admin.action(
        description="Reverse the credit (the homeowner contradicts it)",
        permissions=["reverse_creditclaim"],
    )
    def reverse_selected(self, request, queryset):
        done = 0
        for claim in queryset:
            try:
                services.reverse_credit(claim, by=request.user)
                done += 1
            except DomainError as error:
                self.message_user(request, error.message, messages.WARNING)
        if done:
            self.message_user(request, f"{done} credit(s) reversed.", messages.SUCCESS)


def _proactive_credit(reason: str):
    """One "invalid lead: credit every buyer" action per reason the policy credits
    proactively; it moves money, so it asks for its own permission."""

    def action(modeladmin, request, queryset):
        total = sum(
            services.credit_lead_proactively(lead, by=request.user, reason=reason)
            for lead in queryset
        )
        modeladmin.message_user(request, f"{total} buyer(s) credited and told.", messages.SUCCESS)

    action.__name__ = f"credit_invalid_{reason}"
    label = policy.REASONS_BY_SLUG[reason].label
    return admin.action(
        description=f"Invalid lead ({label}): credit every buyer",
        permissions=["credit_invalid_lead"],
    )(action)


# The "invalid lead: credit every buyer" actions sit on the lead's admin page but move money
# under the credit policy, so credits adds them: leads/ never imports credits (the apps'
# one-way order). Registered after leads.admin, since credits follows leads in INSTALLED_APPS.
admin.site.unregister(Lead)


@admin.register(Lead)
class LeadAdmin(lead_admin.LeadAdmin):
    actions = [
        *lead_admin.LeadAdmin.actions,
        *(_proactive_credit(reason) for reason in policy.PROACTIVE_REASONS),
    ]

    def has_credit_invalid_lead_permission(self, request):
        return request.user.has_perm("credits.credit_invalid_lead")
