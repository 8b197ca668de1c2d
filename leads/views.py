from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

from marketplace.errors import DomainError, add_domain_error
from marketplace.models import Contractor

from . import queries, services
from .forms import QuoteRequestForm
from .models import Lead

RATE_LIMITED_MESSAGE = (
    "We have received many requests from your connection in the last hour. "
    "Please try again later, or call us if it is urgent."
)


def intake_limited(request, *, increment: bool) -> bool:
    return is_ratelimited(
        request,
        group="intake",
        key="ip",
        rate=settings.INTAKE_RATE_LIMIT,
        method="POST",
        increment=increment,
    )


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
        if intake_limited(request, increment=True):
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


@never_cache
def quote_sent(request, token):
    lead = _lead_for_token(token)
    status_url = request.build_absolute_uri(reverse("leads:status", args=[lead.status_token]))
    return render(request, "leads/quote_sent.html", {"lead": lead, "status_url": status_url})


@never_cache
def request_status(request, token):
    lead = _lead_for_token(token)
    response = render(
        request,
        "leads/status.html",
        {"lead": lead, "status": queries.homeowner_status(lead)},
    )
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_POST
def dispute(request, token):
    lead = _lead_for_token(token)
    services.dispute_lead(lead)
    messages.success(
        request,
        "Thank you for telling us. We have stopped this request and will not share it further.",
    )
    return redirect("leads:status", token=token)
