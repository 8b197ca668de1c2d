"""Ops' side of calls: Fairlead's numbers (finance adds and edits them), every call with the
pros it rang, what the caller heard and pressed, and the recording; pros' call settings; and
the call simulator page (DESIGN, Calls)."""

from datetime import datetime

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from marketplace.adminkit import HistoryAdmin, ReadOnlyAdmin, ServiceFormMixin
from marketplace.errors import DomainError
from marketplace.money import format_cents
from marketplace.services import normalize_phone

from . import policy, services, simulator
from .models import Call, CallLeg, CallSettings, TrackingNumber


def _minutes(seconds) -> str:
    return "—" if seconds is None else f"{seconds // 60}:{seconds % 60:02d}"


def _local(moment, *, year: bool = True) -> str:
    """A time in the viewer's zone (the admin activates the staff member's), with the zone."""
    if moment is None:
        return "—"
    return timezone.localtime(moment).strftime(f"%b %-d{', %Y' if year else ''}, %-I:%M:%S %p %Z")


def staff_recording_url(call: Call) -> str:
    """The call's recording played through Fairlead, for staff who may view calls; "" when
    there is none (or the staff player is not installed)."""
    if not (call.recording_sid or call.recording_url):
        return ""
    try:
        return reverse("calls:recording-staff", args=[call.pk])
    except NoReverseMatch:
        return ""


def ivr_answers(call: Call) -> list[dict]:
    """What the caller heard and answered, in order, with times in the viewer's zone."""
    rows = []
    for item in call.answers:
        try:
            at = timezone.localtime(datetime.fromisoformat(item.get("at", "")))
        except (TypeError, ValueError):
            at = None
        rows.append({**item, "at": at})
    return rows


def call_evidence(call: Call | None) -> str:
    """The recording player and the IVR answers of a call: the call's own page and the
    review of a credit claim on a call lead show the same."""
    if call is None:
        return ""
    return render_to_string(
        "calls/partials/call_evidence.html",
        {"call": call, "recording_url": staff_recording_url(call), "answers": ivr_answers(call)},
    )


# --- Tracking numbers -------------------------------------------------------------------------


class TrackingNumberForm(forms.ModelForm):
    class Meta:
        model = TrackingNumber
        fields = ["number", "purpose", "label", "area_zip", "categories", "contractor", "active"]
        widgets = {"categories": forms.CheckboxSelectMultiple}

    def clean_number(self):
        try:
            return normalize_phone(self.cleaned_data["number"])
        except DomainError as error:
            raise forms.ValidationError(error.message) from None

    def clean(self):
        data = super().clean()
        chosen = data.get("categories")
        count = len(chosen) if chosen is not None else 0
        if data.get("purpose") == TrackingNumber.Purpose.SERVICE_LINE and not count:
            self.add_error("categories", "A service line offers at least one service.")
        if count > policy.MENU_MAX:
            self.add_error(
                "categories",
                f"A keypad menu holds at most {policy.MENU_MAX} services; this has {count}.",
            )
        return data


@admin.register(TrackingNumber)
class TrackingNumberAdmin(HistoryAdmin):
    form = TrackingNumberForm
    list_display = ["number", "label", "purpose", "area_zip", "contractor", "active", "calls"]
    list_filter = ["purpose", "active"]
    search_fields = ["number", "label", "contractor__business_name"]
    list_select_related = ["area_zip", "contractor"]
    raw_id_fields = ["area_zip"]  # a zip's id is its code: typed as is
    autocomplete_fields = ["contractor"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_calls=Count("calls"))

    def has_delete_permission(self, request, obj=None):
        # Its calls point at it (evidence): a number no longer used is made inactive.
        return False

    @admin.display(description="Calls", ordering="n_calls")
    def calls(self, number):
        url = reverse("admin:calls_call_changelist") + f"?tracking_number__id__exact={number.pk}"
        return format_html('<a href="{}">{}</a>', url, number.n_calls)


# --- Calls ------------------------------------------------------------------------------------


class CallLegInline(admin.TabularInline):
    """The pros rung, in order: what each heard (the fee) and did."""

    model = CallLeg
    extra = 0
    max_num = 0
    can_delete = False
    fields = [
        "position",
        "contractor",
        "route",
        "number",
        "status",
        "fee",
        "whispered_at",
        "taken_at",
        "leg_seconds",
    ]
    readonly_fields = fields

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("contractor")

    @admin.display(description="Fee whispered")
    def fee(self, leg):
        return format_cents(leg.price_cents)


@admin.register(Call)
class CallAdmin(ReadOnlyAdmin):
    """Every call, newest first: evidence, read only. The simulator page places new ones."""

    list_display = [
        "when",
        "line",
        "caller",
        "progress",
        "lead_link",
        "rung",
        "duration",
        "qualified",
        "fee",
    ]
    list_filter = ["outcome", "stage", "qualified", "voicemail", "tracking_number"]
    search_fields = ["=call_sid", "caller_phone", "from_number", "=lead__reference"]
    list_select_related = ["tracking_number", "lead"]
    date_hierarchy = "started_at"
    show_full_result_count = False
    inlines = [CallLegInline]
    change_list_template = "admin/calls/call/change_list.html"
    fieldsets = [
        (
            "The call",
            {
                "fields": [
                    "started",
                    "tracking_number",
                    "caller",
                    "progress",
                    "lead_link",
                    "duration",
                    "call_sid",
                ]
            },
        ),
        ("What the caller heard and answered", {"fields": ["evidence"]}),
        (
            "Screening",
            {"fields": ["category", "zip_code", "timeframe", "missed_text_sent_at"]},
        ),
        (
            "Money",
            {"fields": ["bridged", "qualified", "fee", "charge", "settled_at", "settle_note"]},
        ),
    ]
    readonly_fields = [
        "started",
        "tracking_number",
        "caller",
        "progress",
        "lead_link",
        "duration",
        "call_sid",
        "evidence",
        "category",
        "zip_code",
        "timeframe",
        "missed_text_sent_at",
        "bridged",
        "qualified",
        "fee",
        "charge",
        "settled_at",
        "settle_note",
    ]

    def get_queryset(self, request):
        legs = CallLeg.objects.select_related("contractor").order_by("position")
        return super().get_queryset(request).prefetch_related(Prefetch("legs", queryset=legs))

    @admin.display(description="Started", ordering="started_at")
    def started(self, call):
        return _local(call.started_at)

    @admin.display(description="Started", ordering="started_at")
    def when(self, call):
        return _local(call.started_at, year=False)

    @admin.display(description="Number", ordering="tracking_number__label")
    def line(self, call):
        number = call.tracking_number
        return format_html("{}<br><small>{}</small>", number.label, number.number)

    @admin.display(description="Caller", ordering="caller_phone")
    def caller(self, call):
        return call.caller_phone or f"{call.from_number or 'withheld'} (not a US number)"

    @admin.display(description="Stage / outcome", ordering="outcome")
    def progress(self, call):
        if call.outcome:
            text = call.get_outcome_display()
        else:
            text = f"In progress: {call.get_stage_display().lower()}"
        if call.voicemail and call.outcome != Call.Outcome.VOICEMAIL:
            text += " · voicemail"
        return text

    @admin.display(description="Lead", ordering="lead__reference")
    def lead_link(self, call):
        if call.lead is None:
            return "—"
        url = reverse("admin:leads_lead_change", args=[call.lead_id])
        return format_html(
            '<a href="{}">{}</a> ({})', url, call.lead.reference, call.lead.get_status_display()
        )

    @admin.display(description="Pros rung")
    def rung(self, call):
        legs = call.legs.all()
        if not legs:
            return "—"
        return format_html_join(
            ", ", "{} ({})", ((leg.contractor, leg.get_status_display()) for leg in legs)
        )

    @admin.display(description="Duration", ordering="duration_seconds")
    def duration(self, call):
        text = _minutes(call.duration_seconds)
        if call.bridged_seconds is not None:
            text += f" (talked {_minutes(call.bridged_seconds)})"
        return text

    @admin.display(description="Talked")
    def bridged(self, call):
        return _minutes(call.bridged_seconds)

    @admin.display(description="Fee", ordering="fee_cents")
    def fee(self, call):
        return format_cents(call.fee_cents) if call.fee_cents else "—"

    @admin.display(description="Recording and answers")
    def evidence(self, call):
        return call_evidence(call)

    # The simulator: a page of its own, for those who may place simulated calls.

    def has_simulate_permission(self, request):
        return request.user.has_perm("calls.simulate_call")

    def get_urls(self):
        return [
            path(
                "simulate/",
                self.admin_site.admin_view(self.simulate_view),
                name="calls_call_simulate",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "may_simulate": self.has_simulate_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def simulate_view(self, request):
        """Place a simulated call through the real webhooks and show what happened. The
        transcript is kept in the session across the redirect, so a reload places nothing."""
        if not self.has_simulate_permission(request):
            raise PermissionDenied
        off = simulator.why_off()
        shown = request.session.pop(SIMULATED, None) if request.method == "GET" else None
        if request.method == "POST":
            form = SimulateCallForm(request.POST)
        else:  # the last call's answers again, to try a variation of it
            form = SimulateCallForm(initial=shown["answers"] if shown else None)
        if request.method == "POST" and not off and form.is_valid():
            try:
                result = simulator.simulate(form.script())
            except simulator.SimulatorError as error:
                form.add_error(None, str(error))
            else:
                if result.call is not None:
                    self.log_addition(request, result.call, "Placed with the call simulator.")
                request.session[SIMULATED] = {
                    "lines": result.lines,
                    "call": result.call.pk if result.call else None,
                    # Not the caller: a new made-up one each time, or it is a duplicate.
                    "answers": {
                        name: request.POST.get(name, "") for name in form.fields if name != "caller"
                    },
                }
                self.message_user(request, "Call simulated.", messages.SUCCESS)
                return redirect("admin:calls_call_simulate")
        call = None
        if shown and shown["call"]:
            call = Call.objects.select_related("lead").filter(pk=shown["call"]).first()
        context = {
            **self.admin_site.each_context(request),
            "title": "Simulate a call",
            "opts": self.model._meta,
            "off": off,
            "form": form,
            "lines": shown["lines"] if shown else [],
            "call": call,
            "qualified_seconds": settings.CALL_QUALIFIED_SECONDS,
        }
        status = 403 if off and request.method == "POST" else 200
        return TemplateResponse(request, "admin/calls/call/simulate.html", context, status=status)


SIMULATED = "calls:simulated"  # the session key of the last simulation's transcript


class SimulateCallForm(forms.Form):
    number = forms.ModelChoiceField(
        queryset=TrackingNumber.objects.filter(active=True),
        empty_label=None,
        label="Call this number",
    )
    caller = forms.CharField(
        required=False,
        max_length=32,
        label="From (caller ID)",
        help_text="Blank: a made-up 555-01xx number in the line's area code.",
    )
    service = forms.CharField(
        required=False,
        max_length=60,
        label="Service",
        help_text='The menu key ("1") or the service said aloud ("plumbing"). Blank: silence.',
    )
    zip_code = forms.CharField(
        required=False, max_length=20, label="Zip", help_text="Blank: silence."
    )
    ready = forms.ChoiceField(
        required=False,
        initial="2",
        label="Ready",
        choices=[
            ("1", "1: needs a pro in the next few days"),
            ("2", "2: in the next few weeks"),
            ("3", "3: just planning"),
            ("", "Says nothing"),
        ],
    )
    hang_up_at = forms.ChoiceField(
        required=False,
        label="The caller hangs up",
        choices=list(simulator.HANG_UP_AT.items()),
    )
    talk_seconds = forms.IntegerField(
        min_value=0,
        max_value=3600,
        initial=75,
        label="Seconds talked",
        help_text=f"A call is qualified (and charged) from {settings.CALL_QUALIFIED_SECONDS} s.",
    )
    voicemail_seconds = forms.IntegerField(
        min_value=1,
        max_value=policy.VOICEMAIL_MAX_SECONDS,
        initial=20,
        label="Voicemail seconds",
        help_text="When the call goes to voicemail.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = list(simulator.PRO_ACTIONS.items())
        for n in range(1, max(settings.CALL_MAX_PROS, 1) + 1):
            self.fields[f"pro_{n}"] = forms.ChoiceField(
                choices=choices,
                initial="answer" if n == 1 else "no-answer",
                label="The first pro rung" if n == 1 else f"Pro number {n}",
            )
        self.order_fields(
            ["number", "caller", "service", "zip_code", "ready", "hang_up_at"]
            + [name for name in self.fields if name.startswith("pro_")]
        )

    def clean_caller(self):
        caller = self.cleaned_data["caller"].strip()
        if not caller:
            return ""
        try:
            return normalize_phone(caller)
        except DomainError as error:
            raise forms.ValidationError(error.message) from None

    def script(self) -> simulator.Script:
        data = self.cleaned_data
        number = data["number"]
        return simulator.Script(
            to=number.number,
            caller=data["caller"] or simulator.demo_caller(number),
            answers={
                step: [data[field]] if data[field] else []
                for step, field in [("service", "service"), ("zip", "zip_code"), ("ready", "ready")]
            },
            hang_up_at=data["hang_up_at"],
            pros=[data[name] for name in self.fields if name.startswith("pro_")],
            talk_seconds=data["talk_seconds"],
            voicemail_seconds=data["voicemail_seconds"],
        )


# --- Pros' call settings ----------------------------------------------------------------------


class CallSettingsForm(forms.ModelForm):
    class Meta:
        model = CallSettings
        fields = ["enabled", "ring_number"]


@admin.register(CallSettings)
class CallSettingsAdmin(ServiceFormMixin, HistoryAdmin):
    """A pro's calls on or off and the number rung. A new number rings nobody until the pro
    proves it theirs (the test call's code, from their settings page): ops cannot verify it."""

    form = CallSettingsForm
    list_display = ["contractor", "enabled", "ring_number", "verified", "verified_at"]
    list_filter = ["enabled"]
    search_fields = ["contractor__business_name", "ring_number", "contractor__user__email"]
    list_select_related = ["contractor"]
    readonly_fields = ["contractor", "verified_number", "verified_at", "updated_at"]

    def has_add_permission(self, request):
        return False  # made with the pro's first visit to their call settings

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Number verified", boolean=True)
    def verified(self, row):
        return row.verified

    def save_model(self, request, obj, form, change):
        services.change_call_settings(
            obj.contractor, enabled=obj.enabled, ring_number=obj.ring_number
        )
