from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from twilio.twiml.messaging_response import MessagingResponse

from . import notifications, queries, services
from .celery import app as celery_app
from .errors import DomainError, add_domain_error
from .forms import ContractorProfileForm
from .http import limited
from .models import Heartbeat, Notification, ProfileClick, ServiceCategory, ZipCode


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
                return redirect("dashboard:onboarding")
            request.contractor = contractor
            return func(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view else decorator


def _readiness(contractor):
    # billing builds on marketplace (its views use contractor_required): imported here.
    from billing.queries import readiness

    return readiness(contractor)


@contractor_required
def dashboard_home(request):
    contractor = request.contractor
    return render(
        request,
        "dashboard/home.html",
        {
            "contractor": contractor,
            "missing": _readiness(contractor),
            "categories": contractor.categories.all(),
            "area": queries.service_area_summary(contractor),
            "score": _score_parts(contractor),
            "threshold": settings.STAR_SCORE_THRESHOLD,
            "nav": "home",
        },
    )


def _score_parts(contractor):
    from leads.services import score_parts

    return score_parts(contractor)


def _profile_form_view(request, *, template, success_message, next_url):
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


@contractor_required(onboarded=False)
def onboarding(request):
    if request.contractor.is_onboarded and request.method == "GET":
        return redirect("dashboard:settings")
    return _profile_form_view(
        request,
        template="dashboard/onboarding.html",
        success_message=_onboarding_done,
        next_url="dashboard:home",
    )


def _onboarding_done(contractor) -> str:
    """Onboarding ends on the truth: ready, or not yet (the Overview lists what is missing)."""
    if _readiness(contractor):
        return "Your business is set up, but leads cannot reach you yet: see what is missing below."
    return "You're ready. New leads that fit you will show up under Offers."


@contractor_required
def profile_settings(request):
    return _profile_form_view(
        request,
        template="dashboard/settings.html",
        success_message="Settings saved.",
        next_url="dashboard:settings",
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


# --- Public directory and profiles -----------------------------------------------------------


def directory(request):
    slug = request.GET.get("category", "")
    category = ServiceCategory.objects.filter(active=True, slug=slug).first() if slug else None
    zip_code = request.GET.get("zip", "").strip()
    zip_error = ""
    if zip_code and not ZipCode.objects.filter(code=zip_code).exists():
        zip_error = f"{zip_code[:10]} is not a US zip code we know."
        zip_code = ""
    # Whether a pro takes requests is a leads rule (their balance against a lead's price).
    from leads.queries import takes_profile_requests

    contractors = queries.directory_contractors(category=category, zip_code=zip_code)
    page = Paginator(contractors, 20).get_page(request.GET.get("page"))
    for pro in page:
        pro.takes_requests = takes_profile_requests(pro)
    context = {
        "page": page,
        "category": category,
        "zip_code": zip_code,
        "zip_error": zip_error,
        "categories": queries.active_categories(),
    }
    template = "directory/partials/_rows.html" if request.htmx else "directory/list.html"
    return render(request, template, context)


def profile(request, slug):
    contractor = queries.public_profile(slug)
    if contractor is None:
        raise Http404("No such pro.")
    from leads.queries import public_reviews, takes_profile_requests

    return render(
        request,
        "directory/profile.html",
        {
            "contractor": contractor,
            "area": queries.service_area_summary(contractor),
            "reviews": public_reviews(contractor),
            "takes_requests": takes_profile_requests(contractor),
        },
    )


class ExternalRedirect(HttpResponseRedirect):
    allowed_schemes = ["http", "https", "tel"]


def profile_click(request, slug, kind):
    """Count a Call or Website click. A call goes on to the phone; a website click shows
    a page that names where the visitor is going (the pro typed the address when they
    signed themselves up), with a link to exactly the stored address: Fairlead never
    redirects to a site, and never anywhere a query string says."""
    contractor = queries.public_profile(slug)
    if contractor is None:
        raise Http404("No such pro.")
    if kind == ProfileClick.Kind.PHONE:
        target = f"tel:{contractor.phone}" if contractor.phone else ""
    else:
        target = contractor.website_link
    if not target:
        raise Http404("This pro has no such link.")
    # The click is counted here, when the homeowner clicks Website on the profile (as
    # before the interstitial), not when they continue: "Continue" is a plain link off
    # the site that we neither see nor want to track. One visitor hammering a link counts
    # a few times at most, and still gets through.
    if not limited(request, group=f"click-{kind}-{contractor.pk}", rate="5/h"):
        source = request.META.get("HTTP_REFERER", "") or request.GET.get("from", "")
        services.record_click(contractor, kind=kind, source_page=source)
    if kind == ProfileClick.Kind.PHONE:
        return ExternalRedirect(target)
    response = render(
        request,
        "directory/leaving.html",
        {"contractor": contractor, "url": target, "host": contractor.website_host},
    )
    # The destination never learns which Fairlead page sent the visitor.
    response["Referrer-Policy"] = "no-referrer"
    return response


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
    page = Paginator(inbox.order_by("-created_at"), 25).get_page(request.GET.get("page"))
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
