from functools import wraps

from celery import current_app as celery_app
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from twilio.twiml.messaging_response import MessagingResponse

from . import notifications, queries, services
from .errors import DomainError, add_domain_error
from .forms import ContractorProfileForm
from .keyset import keyset_page
from .models import Heartbeat, Notification, ZipCode


def home(request):
    return render(request, "home.html", {"categories": queries.active_categories()})


def contractor_required(view=None, *, onboarded=True):
    """Dashboard pages: a logged-in contractor, onboarded unless the page is onboarding."""

    def decorator(func):
        @wraps(func)
        @login_required
        def wrapper(request, *args, **kwargs):
            if hasattr(request, "viewer_contractor"):  # TimeZoneMiddleware looked it up
                contractor = request.viewer_contractor
            else:
                contractor = queries.contractor_for(request.user)
            if contractor is None:
                if request.user.is_staff:
                    messages.info(request, "Staff accounts work in the admin.")
                    return redirect("admin:index")
                contractor = services.create_contractor(request.user)
            if onboarded and not contractor.is_onboarded:
                messages.info(request, "Finish setting up your business to start getting leads.")
                return redirect("leads:onboarding")
            request.contractor = contractor
            return func(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view else decorator


def profile_form_view(request, *, template, success_message, next_url):
    contractor = request.contractor
    if request.method == "POST":
        form = ContractorProfileForm(request.POST)
        if form.is_valid():
            try:
                services.save_profile(contractor, changes=form.changes())
            except DomainError as error:
                add_domain_error(form, error)
            else:
                if callable(success_message):
                    success_message = success_message(contractor)
                messages.success(request, success_message)
                return redirect(next_url)
    else:
        form = ContractorProfileForm(initial=ContractorProfileForm.initial_for(contractor))
    return render(request, template, {"form": form, "contractor": contractor, "nav": "settings"})


@contractor_required
def profile_settings(request):
    return profile_form_view(
        request,
        template="dashboard/settings.html",
        success_message="Settings saved.",
        next_url="marketplace:settings",
    )


@require_GET
@contractor_required(onboarded=False)
def zip_lookup(request):
    """htmx: name the place of a typed zip under the field, or say it is unknown."""
    code = request.GET.get("base_zip", "").strip()
    place = ZipCode.objects.filter(code=code).first() if len(code) == 5 else None
    return render(request, "dashboard/partials/_zip_place.html", {"code": code, "place": place})


@never_cache
@require_GET
def health(request):
    """Database, broker and worker status for load balancers and docker healthchecks."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["broker"] = f"error: {exc.__class__.__name__}"
    healthy = checks["database"] == "ok" and checks["broker"] == "ok"
    beat = None
    if checks["database"] == "ok":
        beat = Heartbeat.objects.filter(name="worker").values_list("seen_at", flat=True).first()
    checks["worker_last_seen"] = beat.isoformat() if beat else None
    # Reported, not part of the status: a dead worker is not a reason to restart web.
    if beat is None:
        checks["worker"] = "unknown"
    else:
        checks["worker"] = "ok" if timezone.now() - beat <= settings.HEARTBEAT_MAX_AGE else "stale"
    checks["time"] = timezone.now().isoformat()
    checks["status"] = "ok" if healthy else "error"
    return JsonResponse(checks, status=200 if healthy else 503)


def favicon(request):
    """Browsers ask for /favicon.ico without reading a page: send them to the icon. A
    temporary redirect, since the static URL carries a hash that changes with the file."""
    return redirect(static("favicon.svg"))


def robots(request):
    return HttpResponse(
        "User-agent: *\nDisallow: /dashboard/\nDisallow: /admin/\n", content_type="text/plain"
    )


def not_found(request, exception=None):
    """404: JSON in the API's error format under /api/, a page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"non_field_errors": ["Not found."]}, status=404)
    return render(request, "404.html", status=404)


def server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"non_field_errors": ["Something went wrong on our side. Please try again."]},
            status=500,
        )
    return render(request, "500.html", status=500)


# --- In-app notifications --------------------------------------------------------------------


@contractor_required
def notification_badge(request):
    """htmx: the unread count in the navigation, polled every DASHBOARD_POLL_SECONDS."""
    return render(
        request,
        "dashboard/partials/_badge.html",
        {
            "unread": notifications.unread_count(request.user),
            "poll_seconds": settings.DASHBOARD_POLL_SECONDS,
        },
    )


@contractor_required
def notification_list(request):
    inbox = Notification.objects.filter(user=request.user, channel=Notification.Channel.IN_APP)
    # Newer / Older by keyset (index notification_list_idx): no COUNT of the whole inbox,
    # and a page deep in years of messages costs what the first does.
    page = keyset_page(
        inbox,
        older=request.GET.get("older", ""),
        newer=request.GET.get("newer", ""),
        per_page=25,
    )
    response = render(
        request,
        "dashboard/notifications.html",
        {"page": page, "nav": "notifications", "contractor": request.contractor},
    )
    notifications.mark_read(request.user, [n.pk for n in page])
    return response


# --- Twilio webhooks -------------------------------------------------------------------------


def _twilio_params(request):
    url = settings.SITE_URL + request.get_full_path()
    params = request.POST.dict()
    notifications.verify_twilio(url, params, request.headers.get("X-Twilio-Signature", ""))
    return params


@csrf_exempt
@require_POST
def twilio_status(request):
    try:
        params = _twilio_params(request)
    except notifications.TwilioRejected as error:
        return HttpResponse(str(error), status=400)
    # `n`: our row's id, which send() put in the callback URL (covered by the signature).
    row = request.GET.get("n")
    if row is not None and not (row.isascii() and row.isdigit() and len(row) <= 18):
        return HttpResponse("Bad message id.", status=400)
    notifications.record_sms_status(
        message_sid=params.get("MessageSid", ""),
        status=params.get("MessageStatus", ""),
        error_code=params.get("ErrorCode", ""),
        notification_id=int(row) if row is not None else None,
    )
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def twilio_sms(request):
    try:
        params = _twilio_params(request)
    except notifications.TwilioRejected as error:
        return HttpResponse(str(error), status=400)
    reply = notifications.record_inbound_sms(
        from_number=params.get("From", ""), body=params.get("Body", "")
    )
    # Twilio's default opt-out handling answers STOP itself, with the wording carriers
    # require, and from then refuses to text the number (error 21610, which send() records
    # as an opt-out too): STOP gets no reply of ours. To START Twilio answers only that the
    # number is subscribed again; we reply too, because our answer says what it means here
    # (whose alerts are back on). A deployment that wants a single reply turns Twilio's
    # START response off (Advanced Opt-Out on a Messaging Service).
    twiml = MessagingResponse()
    if reply:
        twiml.message(reply)
    return HttpResponse(str(twiml), content_type="text/xml")
