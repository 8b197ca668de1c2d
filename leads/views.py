from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from billing.queries import balance_cents, readiness
from marketplace import clock, localcache
from marketplace import queries as marketplace_queries
from marketplace.errors import DomainError, add_domain_error
from marketplace.http import client_ip, over_limits
from marketplace.keyset import keyset_page
from marketplace.models import Contractor
from marketplace.money import format_cents
from marketplace.pagination import LateRowPaginator
from marketplace.views import contractor_required, profile_form_view

from . import policy, queries, services
from .forms import ContactAttemptForm, OutcomeForm, QuoteRequestForm
from .models import Consent, Lead, Purchase, Review
from .pricing import offer_price

RATE_LIMITED_MESSAGE = (
    "We have received many requests from your connection in the last hour. "
    "Please try again later, or call us if it is urgent."
)


# Attempts (typos included) are capped generously; INTAKE_RATE_LIMIT counts requests
# actually sent, so a homeowner fixing mistakes is not locked out.
ATTEMPTS_PER_SUBMISSION = 5


def intake_limited(request, *, channel: str = "web") -> bool:
    """Is this address over its limit of attempts or of requests sent? Counts one attempt,
    in one round trip to the cache, which also reads the versions of this process's copies
    of categories, zips and the block list (marketplace.localcache) for the request."""
    count, period = settings.INTAKE_RATE_LIMIT.split("/")
    attempts = f"{int(count) * ATTEMPTS_PER_SUBMISSION}/{period}"
    return bool(
        over_limits(
            request,
            count=[(f"intake-attempts-{channel}", attempts)],
            peek=[(f"intake-{channel}", settings.INTAKE_RATE_LIMIT)],
            read=(localcache.version_keys(), localcache.refresh),
        )
    )


def count_intake(request, *, channel: str = "web") -> None:
    """Count one request sent against INTAKE_RATE_LIMIT."""
    over_limits(request, count=[(f"intake-{channel}", settings.INTAKE_RATE_LIMIT)])


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
        request,
        "leads/quote_form.html",
        {
            "form": form,
            "contractor": contractor,
            "takes_requests": contractor is not None and queries.takes_profile_requests(contractor),
        },
        status=status,
    )


def _lead_for_token(token: str) -> Lead:
    return get_object_or_404(queries.leads_for_status_page(), status_token=token)


def _homeowner_zone(lead: Lead):
    """A homeowner has no login: their private pages show times in their zip's zone."""
    return timezone.override(clock.zone(lead.zip_code))


def _private(response):
    """Pages reached by a private link: not indexed, the link not leaked onwards.

    "same-origin" keeps the token out of other sites' logs (a link out sends no referrer)
    while the page's own forms still post with our Origin: "no-referrer" made browsers
    post with `Origin: null`, which the CSRF check refuses."""
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "same-origin"
    return response


@never_cache
def quote_sent(request, token):
    lead = _lead_for_token(token)
    status_url = request.build_absolute_uri(reverse("leads:status", args=[lead.status_token]))
    with _homeowner_zone(lead):
        return _private(
            render(
                request,
                "leads/quote_sent.html",
                {
                    "lead": lead,
                    "status_url": status_url,
                    "masked_email": queries.masked_email(lead),
                },
            )
        )


@never_cache
def request_status(request, token):
    lead = _lead_for_token(token)
    with _homeowner_zone(lead):
        return _private(
            render(
                request,
                "leads/status.html",
                {
                    "lead": lead,
                    "status": queries.homeowner_status(lead),
                    "awaits_release": queries.awaits_release(lead),
                    "release_consent": policy.release_consent_text(),
                },
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
    with _homeowner_zone(lead):
        return _private(render(request, "leads/dispute_confirm.html", {"lead": lead}))


@never_cache
def hired(request, token):
    """ "I already hired someone": a confirmation page, then the POST that stops it."""
    lead = _lead_for_token(token)
    if request.method == "POST":
        services.homeowner_hired(lead)
        messages.success(
            request, "Thank you for telling us. We have stopped showing your request to pros."
        )
        return redirect("leads:status", token=token)
    with _homeowner_zone(lead):
        return _private(render(request, "leads/hired_confirm.html", {"lead": lead}))


@require_POST
def release(request, token):
    """ "Send it to other pros": the homeowner's answer when the pro they chose cannot take
    their request. The button's words are recorded as their consent."""
    lead = _lead_for_token(token)
    try:
        services.release_profile_lead(
            lead,
            consent_text=policy.release_consent_text(),
            method=Consent.Method.STATUS_PAGE,
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, "We are sending your request to other local pros who do this work."
        )
    return redirect("leads:status", token=token)


# --- Contractor dashboard: offers and purchased leads ---------------------------------------


@contractor_required
def offers_page(request):
    contractor = request.contractor
    page = LateRowPaginator(queries.offers_for(contractor), 20).get_page(request.GET.get("page"))
    context = {
        "nav": "offers",
        "contractor": contractor,
        "page": page,
        "now": timezone.now(),
        "balance_cents": balance_cents(contractor),
        "poll_seconds": settings.DASHBOARD_POLL_SECONDS,
    }
    template = "leads/partials/_offer_rows.html" if request.htmx else "leads/offers.html"
    return render(request, template, context)


def _own_offer(request, offer_id):
    offer = queries.offer_for(request.contractor, offer_id)
    if offer is None:
        raise Http404("No such offer.")
    return offer


@contractor_required
def offer_accept(request, offer_id):
    """GET: confirm with the price and the balance after. POST: buy."""
    offer = _own_offer(request, offer_id)
    balance = balance_cents(request.contractor)
    if request.method == "POST":
        try:
            purchase = services.accept_offer(offer, contractor=request.contractor)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("leads:offers")
        messages.success(
            request, f"Lead bought for {format_cents(purchase.price_cents)}. Call them soon!"
        )
        return redirect("leads:lead", purchase_id=purchase.pk)
    return render(
        request,
        "leads/offer_accept.html",
        {
            "nav": "offers",
            "offer": offer,
            "balance_cents": balance,
            "balance_after_cents": balance - offer.price_cents,
            "formula": offer_price(offer).formula,
        },
    )


@require_POST
@contractor_required
def offer_decline(request, offer_id):
    offer = _own_offer(request, offer_id)
    try:
        services.decline_offer(offer, contractor=request.contractor)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.info(request, "Offer declined. We will not show you this lead again.")
    return redirect("leads:offers")


@contractor_required
def leads_page(request):
    page = keyset_page(
        queries.purchases_for(request.contractor),
        older=request.GET.get("older", ""),
        newer=request.GET.get("newer", ""),
    )
    return render(
        request,
        "leads/leads.html",
        {"nav": "leads", "page": page, "contractor": request.contractor},
    )


def _own_purchase(request, purchase_id):
    purchase = queries.purchase_for(request.contractor, purchase_id)
    if purchase is None:
        raise Http404("No such lead among your purchases.")
    return purchase


@contractor_required
def lead_detail(request, purchase_id, attempt_form=None, outcome_form=None):
    purchase = _own_purchase(request, purchase_id)
    return render(
        request,
        "leads/lead_detail.html",
        {
            "nav": "leads",
            "purchase": purchase,
            "attempts": purchase.attempts.all(),
            "attempt_form": attempt_form
            or ContactAttemptForm(time_zone=request.contractor.timezone),
            "outcome_form": outcome_form
            or OutcomeForm(
                initial={
                    "was": purchase.outcome,
                    "outcome": purchase.outcome,
                    "final_value_dollars": format_cents(purchase.final_value_cents, plain=True)
                    if purchase.final_value_cents
                    else None,
                    "lost_reason": purchase.lost_reason,
                }
            ),
        },
    )


@require_POST
@contractor_required
def lead_attempt(request, purchase_id):
    purchase = _own_purchase(request, purchase_id)
    form = ContactAttemptForm(request.POST, time_zone=request.contractor.timezone)
    if form.is_valid():
        try:
            services.log_contact_attempt(purchase, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Attempt logged.")
            return redirect("leads:lead", purchase_id=purchase.pk)
    return lead_detail(request, purchase_id, attempt_form=form)


@require_POST
@contractor_required
def lead_outcome(request, purchase_id):
    purchase = _own_purchase(request, purchase_id)
    form = OutcomeForm(request.POST)
    if form.is_valid():
        try:
            services.record_outcome(
                purchase,
                outcome=form.cleaned_data["outcome"],
                final_value_cents=form.cleaned_data["final_value_dollars"],
                lost_reason=form.cleaned_data["lost_reason"],
                expected=form.cleaned_data["was"] or None,
            )
        except DomainError as error:
            if error.field == "final_value_cents":
                error.field = "final_value_dollars"
            if isinstance(error, services.OutcomeNotAllowed):
                # Show what it is now, so saving again applies to that.
                data = request.POST.copy()
                data["was"] = Purchase.objects.get(pk=purchase.pk).outcome
                form = OutcomeForm(data)
                form.is_valid()
            add_domain_error(form, error)
        else:
            messages.success(request, "Outcome saved.")
            return redirect("leads:lead", purchase_id=purchase.pk)
    return lead_detail(request, purchase_id, outcome_form=form)


# --- Reviews ---------------------------------------------------------------------------------


@never_cache
def review(request, token):
    """The homeowner's private review page: 1 to 5 stars and a few words, once."""
    item = get_object_or_404(
        Review.objects.select_related(
            "purchase__contractor", "purchase__lead__category", "purchase__lead__zip_code"
        ),
        token=token,
    )
    error = ""
    if request.method == "POST" and item.submitted_at is None:
        try:
            rating = int(request.POST.get("rating", "0"))
        except ValueError:
            rating = 0
        try:
            services.submit_review(item, rating=rating, text=request.POST.get("text", ""))
        except DomainError as problem:
            error = problem.message
        else:
            return redirect("leads:review", token=token)
    with _homeowner_zone(item.purchase.lead):
        return _private(render(request, "leads/review.html", {"review": item, "error": error}))


@require_POST
@contractor_required
def review_reply(request, purchase_id):
    purchase = _own_purchase(request, purchase_id)
    item = Review.objects.filter(purchase=purchase).first()
    if item is None:
        messages.error(request, "There is no review to reply to yet.")
    else:
        try:
            services.reply_to_review(
                item, contractor=request.contractor, text=request.POST.get("reply", "")
            )
        except DomainError as problem:
            messages.error(request, problem.message)
        else:
            messages.success(request, "Reply published on your profile.")
    return redirect("leads:lead", purchase_id=purchase.pk)


# --- Contractor dashboard: overview and onboarding ------------------------------------------
# They live here, not in marketplace/, because they show what leads and billing decide:
# readiness (billing) and the star score (leads). marketplace/ imports no app to its right.


def _readiness(contractor):
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
            "area": marketplace_queries.service_area_summary(contractor),
            "score": _score_parts(contractor),
            "threshold": settings.STAR_SCORE_THRESHOLD,
            "nav": "home",
        },
    )


def _score_parts(contractor):
    return services.score_parts(contractor)


@contractor_required(onboarded=False)
def onboarding(request):
    if request.contractor.is_onboarded and request.method == "GET":
        return redirect("marketplace:settings")
    return profile_form_view(
        request,
        template="dashboard/onboarding.html",
        success_message=_onboarding_done,
        next_url="leads:home",
    )


def _onboarding_done(contractor) -> str:
    """Onboarding ends on the truth: ready, or not yet (the Overview lists what is missing)."""
    if _readiness(contractor):
        return "Your business is set up, but leads cannot reach you yet: see what is missing below."
    return "You're ready. New leads that fit you will show up under Offers."
