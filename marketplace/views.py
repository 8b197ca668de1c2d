from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import queries, services
from .celery import app as celery_app
from .errors import DomainError, add_domain_error
from .forms import ContractorProfileForm
from .models import Heartbeat, ZipCode


def home(request):
    return render(request, "home.html", {"categories": queries.active_categories()})


def contractor_required(view=None, *, onboarded=True):
    """Dashboard pages: a logged-in contractor, onboarded unless the page is onboarding."""

    def decorator(func):
        @wraps(func)
        @login_required
        def wrapper(request, *args, **kwargs):
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


@contractor_required
def dashboard_home(request):
    contractor = request.contractor
    return render(
        request,
        "dashboard/home.html",
        {
            "contractor": contractor,
            "categories": contractor.categories.all(),
            "area": queries.service_area_summary(contractor),
            "nav": "home",
        },
    )


SECTIONS = {
    "offers": {
        "title": "Offers",
        "empty": "No offers yet. When a homeowner in your service area asks for a quote in one "
        "of your categories, the lead appears here with its estimated value and price, "
        "before you decide to buy it.",
    },
    "leads": {
        "title": "Leads",
        "empty": "You have not bought a lead yet. Leads you accept show here with the "
        "homeowner's contact details and a place to log calls and outcomes.",
    },
    "territories": {
        "title": "Territories",
        "empty": "You have no exclusive territory. A territory gives you the first right to "
        "every lead for one zip code and service.",
    },
    "billing": {
        "title": "Billing",
        "empty": "No charges or top-ups yet. Your balance and monthly statements appear here.",
    },
    "credits": {
        "title": "Credits",
        "empty": "No credit claims. If a lead you bought turns out to be invalid, you can ask "
        "for your money back from the lead's page within 5 days of delivery.",
    },
    "analytics": {
        "title": "Analytics",
        "empty": "Nothing to chart yet. Once you buy leads and record outcomes, you will see "
        "cost per booked job by source, city and service here.",
    },
}


@contractor_required
def section(request, section):
    return render(
        request,
        "dashboard/section.html",
        {"section": SECTIONS[section], "nav": section, "contractor": request.contractor},
    )


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
        success_message="You're all set. New leads that fit you will show up under Offers.",
        next_url="dashboard:home",
    )


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
    healthy = all(value == "ok" for value in checks.values())
    beat = None
    if checks["database"] == "ok":
        beat = Heartbeat.objects.filter(name="worker").values_list("seen_at", flat=True).first()
    checks["worker_last_seen"] = beat.isoformat() if beat else None
    checks["time"] = timezone.now().isoformat()
    checks["status"] = "ok" if healthy else "error"
    return JsonResponse(checks, status=200 if healthy else 503)


def robots(request):
    return HttpResponse(
        "User-agent: *\nDisallow: /dashboard/\nDisallow: /admin/\n", content_type="text/plain"
    )
