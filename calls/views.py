"""A pro's call pages: call settings (on/off, the ring number and its test call) and the
recording of a call they bought, played through Fairlead (never a public link); ops play
any recording from the same streaming code."""

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from marketplace.errors import DomainError, add_domain_error
from marketplace.notifications import twilio_configured
from marketplace.templatetags.phone import phone as readable_phone
from marketplace.views import contractor_required

from . import queries, recordings, services
from .forms import CallSettingsForm, CodeForm

# The code of a test call, kept in the session to be shown on the page when no call can
# be placed (Twilio is not set up: a laptop's demo).
DEMO_CODE = "calls_demo_code"


@contractor_required
def call_settings(request):
    contractor = request.contractor
    form = None
    if request.method == "POST":
        form = CallSettingsForm(request.POST)
        if form.is_valid():
            try:
                row = services.change_call_settings(
                    contractor,
                    enabled=form.cleaned_data["enabled"],
                    ring_number=form.cleaned_data["ring_number"],
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, _saved_message(row))
                return redirect("calls:settings")
    return _page(request, form=form)


def _saved_message(row) -> str:
    if not row.enabled:
        return "Call settings saved. Calls are off."
    if not row.verified:
        return "Call settings saved. Now verify your number: no calls will ring until you do."
    return "Call settings saved. Calls are on."


@require_POST
@contractor_required
def send_code(request):
    try:
        code = services.send_code(request.contractor)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("calls:settings")
    row = queries.call_settings_of(request.contractor)
    if twilio_configured():
        request.session.pop(DEMO_CODE, None)
        messages.success(request, "We are calling your number now: type the code it says below.")
    else:
        request.session[DEMO_CODE] = {"code": code, "number": row.ring_number}
    return redirect("calls:settings")


@require_POST
@contractor_required
def confirm_code(request):
    code_form = CodeForm(request.POST)
    if code_form.is_valid():
        try:
            services.confirm_code(request.contractor, code_form.cleaned_data["code"])
        except DomainError as error:
            add_domain_error(code_form, error)
        else:
            request.session.pop(DEMO_CODE, None)
            messages.success(request, "Number verified.")
            return redirect("calls:settings")
    return _page(request, code_form=code_form)


def _page(request, *, form=None, code_form=None):
    contractor = request.contractor
    row = queries.call_settings_of(contractor)
    demo = request.session.get(DEMO_CODE) if not twilio_configured() else None
    if not isinstance(demo, dict) or demo.get("number") != row.ring_number:
        demo = None
    return render(
        request,
        "calls/settings.html",
        {
            "nav": "settings",
            "row": row,
            "form": form
            or CallSettingsForm(
                initial={"enabled": row.enabled, "ring_number": readable_phone(row.ring_number)}
            ),
            "code_form": code_form or CodeForm(),
            "demo_code": demo["code"] if demo else "",
            "code_waiting": bool(row.ring_number and row.code_sent_at and not row.verified),
            "profile_number": queries.profile_number(contractor),
            "qualified_seconds": settings.CALL_QUALIFIED_SECONDS,
            "ring_seconds": settings.CALL_RING_SECONDS,
        },
    )


# --- Recordings -------------------------------------------------------------------------------


@require_safe
@contractor_required
def recording(request, purchase_id):
    """The recording on one of the pro's own leads (queries.may_play says which)."""
    call = queries.playable_recording(request.contractor, purchase_id)
    if call is None:
        raise Http404("No recording on this lead for you.")
    return _stream(request, call)


@require_safe
@staff_member_required
def recording_for_ops(request, call_id):
    """Ops play any call's recording (reviewing a credit claim, a voicemail lead)."""
    if not request.user.has_perm("calls.view_call"):
        raise PermissionDenied
    call = queries.call_for_ops(call_id)
    if call is None:
        raise Http404("No recording for this call.")
    return _stream(request, call)


def _stream(request, call):
    try:
        audio = recordings.audio_for(call, byte_range=request.headers.get("Range", ""))
    except recordings.RecordingUnavailable:
        return render(request, "calls/recording_unavailable.html", {"call": call}, status=502)
    if isinstance(audio.body, bytes):
        response = HttpResponse(audio.body, content_type=audio.content_type)
    else:
        response = StreamingHttpResponse(
            audio.body, content_type=audio.content_type, status=audio.status
        )
    for name, value in audio.headers.items():
        response[name] = value
    extension = "wav" if audio.content_type == "audio/wav" else "mp3"
    response["Content-Disposition"] = f'inline; filename="call-{call.pk}.{extension}"'
    response["Cache-Control"] = "private, no-store"
    return response
