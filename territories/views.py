from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from billing import pricing as billing_pricing
from marketplace import clock
from marketplace.errors import DomainError, add_domain_error
from marketplace.money import format_cents
from marketplace.views import contractor_required

from . import pricing, queries, services
from .forms import OrderForm, SearchForm
from .models import TerritorySubscription


def _search_form(request, contractor) -> SearchForm:
    data = request.GET.copy() if request.method == "GET" else request.POST.copy()
    if not data.get("category"):
        first = contractor.categories.filter(active=True).order_by("name").first()
        data["category"] = first.slug if first else "plumbing"
        if not data.get("q") and not data.get("metro") and contractor.base_zip_id:
            data["q"] = contractor.base_zip_id
    data.setdefault("radius", "5")
    return SearchForm(data)


def _map_data(rows) -> list[dict]:
    return [
        {
            "code": row.zip_code.code,
            "city": row.zip_code.place,
            "lat": row.zip_code.latitude,
            "lng": row.zip_code.longitude,
            "availability": row.availability,
            "label": row.availability_label,
            "selectable": row.selectable,
            "yours": row.yours,
            "fee": format_cents(row.monthly_fee_cents),  # money is shown one way, by the server
        }
        for row in rows
        if row.zip_code.latitude is not None
    ]


def _page(request, *, order_form=None, quote=None, status=200):
    contractor = request.contractor
    search = _search_form(request, contractor)
    rows, category = [], None
    if search.is_valid():
        category = search.cleaned_data["category"]
        try:
            zips = queries.find_zips(
                q=search.cleaned_data["q"],
                metro=search.cleaned_data["metro"],
                radius_miles=search.cleaned_data["radius"] or 5,
            )
        except queries.SearchError as error:
            search.add_error("q", str(error))
        else:
            rows = queries.zip_rows(zips, category, contractor=contractor, now=timezone.now())
    picked = set(request.POST.getlist("zip_codes")) if request.method == "POST" else set()
    context = {
        "nav": "territories",
        "contractor": contractor,
        "subscriptions": queries.subscriptions_for(contractor),
        "search": search,
        "category": category,
        "rows": rows,
        "picked": picked,
        "map_data": _map_data(rows),
        "order_form": order_form,
        "quote": quote,
        "lead_fee_cents": pricing.lead_fee_cents(category.slug) if category else 0,
        "window_minutes": settings.TERRITORY_WINDOW_MINUTES,
        "max_shown": queries.MAX_ZIPS_SHOWN,
        "discounts": pricing.volume_steps(),
        "min_monthly_leads": settings.TERRITORY_MIN_MONTHLY_LEADS,
        "extra_category_percent": settings.TERRITORY_EXTRA_CATEGORY_DISCOUNT_PERCENT,
        **_quote_terms(),
    }
    return render(request, "territories/page.html", context, status=status)


def _quote_terms() -> dict:
    """The terms the price box states, from the settings that make them."""
    return {
        "grace_days": settings.SUBSCRIPTION_GRACE_DAYS,
        "marketplace_rate": billing_pricing.rate_label(),
    }


@contractor_required
def territories_page(request):
    return _page(request)


def _quote_for(request, form: OrderForm):
    return services.quote(
        request.contractor,
        zip_codes=form.cleaned_data["zip_codes"],
        category=form.cleaned_data["category"],
    )


@require_POST
@contractor_required
def territory_quote(request):
    """The price of the zips picked so far, with how it was computed (htmx partial)."""
    form = OrderForm(request.POST)
    quote = _quote_for(request, form) if form.is_valid() else None
    context = {"order_form": form, "quote": quote, **_quote_terms()}
    if request.htmx:
        return render(request, "territories/partials/_quote.html", context)
    return _page(request, order_form=form, quote=quote)


@require_POST
@contractor_required
def territory_subscribe(request):
    form = OrderForm(request.POST)
    if not form.is_valid():
        return _page(request, order_form=form, status=400)
    try:
        subscriptions = services.subscribe(
            request.contractor,
            zip_codes=form.cleaned_data["zip_codes"],
            category=form.cleaned_data["category"],
            expected_total_cents=form.cleaned_data["expected_total_cents"],
        )
    except DomainError as error:
        quote = _quote_for(request, form)  # the current price, beside the reason
        add_domain_error(form, error)
        return _page(request, order_form=form, quote=quote, status=error.status_code)
    total = sum(s.fee_cents for s in subscriptions)
    messages.success(
        request,
        f"You now hold {len(subscriptions)} territor{'y' if len(subscriptions) == 1 else 'ies'}. "
        f"We charged {format_cents(total)} for the first month and emailed you a receipt.",
    )
    # Back to the same search, now showing the new holdings; built from the search's own
    # fields, never from a URL the request names.
    search = SearchForm(request.POST)
    query = {"category": form.cleaned_data["category"].slug}
    if search.is_valid():
        query.update({k: v for k, v in search.cleaned_data.items() if v and k != "category"})
    return redirect(f"{reverse('territories:territories')}?{urlencode(query)}")


def _own(request, subscription_id) -> TerritorySubscription:
    subscription = queries.subscription_for(request.contractor, subscription_id)
    if subscription is None:
        raise Http404("No such territory.")
    return subscription


@require_POST
@contractor_required
def territory_cancel(request, subscription_id: int):
    subscription = _own(request, subscription_id)
    try:
        subscription = services.cancel(subscription, contractor=request.contractor)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        where = f"{subscription.category.name} in {subscription.zip_code_id}"
        if subscription.holds:
            messages.success(
                request,
                f"{where} ends on "
                f"{clock.local_date(request.contractor, subscription.period_end):%b %-d, %Y}. "
                "It is not charged again.",
            )
        else:
            messages.success(request, f"{where} has ended.")
    return redirect("territories:territories")


@require_POST
@contractor_required
def territory_resume(request, subscription_id: int):
    subscription = _own(request, subscription_id)
    try:
        services.resume(subscription, contractor=request.contractor)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Your territory renews as before.")
    return redirect("territories:territories")
