from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from marketplace.errors import DomainError, add_domain_error
from marketplace.http import limited
from marketplace.models import Contractor

from . import queries, services
from .forms import QuoteRequestForm
from .models import Lead

RATE_LIMITED_MESSAGE = (
    "We have received many requests from your connection in the last hour. "
    "Please try again later, or call us if it is urgent."
)


# Attempts (typos included) are capped generously; INTAKE_RATE_LIMIT counts requests
# actually sent, so a homeowner fixing mistakes is not locked out.
ATTEMPTS_PER_SUBMISSION = 5


def intake_limited(request, *, channel: str = "web") -> bool:
    """Is this address over its limit of attempts or of requests sent? Counts one attempt."""
    count, period = settings.INTAKE_RATE_LIMIT.split("/")
    attempts = f"{int(count) * ATTEMPTS_PER_SUBMISSION}/{period}"
    return limited(request, group=f"intake-attempts-{channel}", rate=attempts) or limited(
        request, group=f"intake-{channel}", rate=settings.INTAKE_RATE_LIMIT, peek=True
    )


def count_intake(request, *, channel: str = "web") -> None:
    """Count one request sent against INTAKE_RATE_LIMIT."""
    limited(request, group=f"intake-{channel}", rate=settings.INTAKE_RATE_LIMIT)


def quote_form(request, contractor_slug: str | None = None):
    contractor = None
    slug = contractor_slug or request.GET.get("pro")
    if slug:
        contractor = get_object_or_404(
            Contractor.objects.filter(is_active=True, onboarded_at__isnull=False), slug=slug
        )
    status = 200
    if request.method == "POST":
        form = QuoteRequestForm(request.POST, contractor=contractor)
        if intake_limited(request):
            form.is_valid()
            form.add_error(None, RATE_LIMITED_MESSAGE)
            status = 429
        elif form.is_valid():
            try:
                lead = services.submit_quote_request(
                    form.quote_request(), submission=form.submission(request)
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                count_intake(request)
                return redirect("leads:sent", token=lead.status_token)
    else:
        form = QuoteRequestForm(
            contractor=contractor, initial=QuoteRequestForm.initial_from(request)
        )
    return render(
        request, "leads/quote_form.html", {"form": form, "contractor": contractor}, status=status
    )


def _lead_for_token(token: str) -> Lead:
    return get_object_or_404(queries.leads_for_status_page(), status_token=token)


def _private(response):
    """Pages reached by a private link: not indexed, the link not leaked onwards."""
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


@never_cache
def quote_sent(request, token):
    lead = _lead_for_token(token)
    status_url = request.build_absolute_uri(reverse("leads:status", args=[lead.status_token]))
    return _private(
        render(
            request,
            "leads/quote_sent.html",
            {"lead": lead, "status_url": status_url, "masked_email": queries.masked_email(lead)},
        )
    )


@never_cache
def request_status(request, token):
    lead = _lead_for_token(token)
    return _private(
        render(
            request, "leads/status.html", {"lead": lead, "status": queries.homeowner_status(lead)}
        )
    )


@never_cache
def dispute(request, token):
    """ "I didn't make this request": a confirmation page, then the POST that stops it."""
    lead = _lead_for_token(token)
    if request.method == "POST":
        services.dispute_lead(lead)
        messages.success(
            request,
            "Thank you for telling us. We have stopped this request and will not share it further.",
        )
        return redirect("leads:status", token=token)
    return _private(render(request, "leads/dispute_confirm.html", {"lead": lead}))
