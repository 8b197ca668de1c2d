from datetime import date

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from marketplace import clock
from marketplace.errors import DomainError, add_domain_error
from marketplace.http import csv_stream
from marketplace.models import Contractor
from marketplace.money import format_cents
from marketplace.pagination import KnownCountPaginator
from marketplace.views import contractor_required

from . import queries, services
from .forms import TOP_UP_CHOICES, TopUpForm
from .models import Entry, Membership


def _month(request) -> date | None:
    raw = request.GET.get("month", "")
    try:
        year, month = (int(part) for part in raw.split("-"))
        # The month after must exist too (its first day ends the range): not year 9999.
        return date(year, month, 1) if 1900 <= year <= 9998 else None
    except ValueError:
        return None


@contractor_required
def billing_home(request, form=None):
    contractor = request.contractor
    month = _month(request)
    entries = queries.statement(contractor, month=month)
    if month is None:  # every entry: the account's running count, no COUNT(*) of them all
        paginator = KnownCountPaginator(entries, 25, count=queries.entry_count(contractor))
    else:  # a month's entries, counted in the index range of that month
        paginator = Paginator(entries, 25)
    page = paginator.get_page(request.GET.get("page"))
    balance = queries.balance_state(contractor)
    context = {
        "nav": "billing",
        "contractor": contractor,
        "balance": balance,
        "balance_cents": balance.balance_cents,
        "page": page,
        "month": month,
        "months": queries.statement_months(contractor),
        "form": form or TopUpForm(),
        "choices": TOP_UP_CHOICES,
        "payments_enabled": services.payments_enabled(),
        "can_simulate": settings.DEBUG and not services.payments_enabled(),
        **_membership_context(contractor),
    }
    template = "billing/partials/_rows.html" if request.htmx else "billing/home.html"
    return render(request, template, context)


def _membership_context(contractor) -> dict:
    """The tiers a contractor can pick, each with what choosing it does and costs now."""

    membership = Membership.objects.filter(contractor=contractor).first()
    now = timezone.now()
    tiers = []
    for tier in Contractor.Tier:
        fee = services.membership_fee_cents(tier)
        rank, current = tier.rank, Contractor.Tier(contractor.tier).rank
        charges = services.charges_now(contractor, membership, tier=tier, now=now)
        if tier == contractor.tier:
            action = "Your tier"
        elif charges:
            charge = services.upgrade_charge_cents(membership, tier=tier, now=now)
            action = (
                f"{'Upgrade' if rank > current else 'Switch'} now: {format_cents(charge)} today"
            )
        elif membership and membership.period_end > now:
            action = f"Move down on {clock.local_date(contractor, membership.period_end):%b %-d}"
        else:
            action = "Move down now"
        tiers.append(
            {
                "value": tier.value,
                "label": tier.label,
                "fee": fee,
                "action": action,
                "current": tier == contractor.tier,
                "confirm": charges,  # anything that charges is confirmed first
                "scheduled": membership is not None and membership.scheduled_tier == tier,
            }
        )
    delays = dict(zip(["elite", "pro", "base"], settings.WAVE_DELAYS_MINUTES, strict=True))
    for tier in tiers:
        tier["delay"] = delays[tier["value"]]
    return {"membership": membership, "tiers": tiers}


def _confirm_page(request, quote, *, moved=False):
    return render(
        request,
        "billing/confirm_upgrade.html",
        {"nav": "billing", "contractor": request.contractor, "quote": quote, "moved": moved},
        status=409 if moved else 200,
    )


@contractor_required
def confirm_upgrade(request):
    """The step between tapping an upgrade and paying for it: what is charged today and
    what renews when. Only its Confirm button charges (change_tier, with the amount)."""
    quote = queries.upgrade_quote(
        request.contractor, tier=request.GET.get("tier", ""), now=timezone.now()
    )
    if quote is None:
        return redirect("billing:home")
    return _confirm_page(request, quote)


@require_POST
@contractor_required
def change_tier(request):
    tier = request.POST.get("tier", "")
    quote = queries.upgrade_quote(request.contractor, tier=tier, now=timezone.now())
    if quote is not None:
        # An upgrade charges only the amount the contractor confirmed; without one, or
        # when it moved since (a prorated month shrinks), they see the confirmation again.
        confirmed = request.POST.get("confirm_cents", "")
        if not confirmed:
            confirm_url = reverse("billing:membership-confirm")
            return redirect(f"{confirm_url}?{urlencode({'tier': tier})}")
        if confirmed != str(quote.charge_cents):
            return _confirm_page(request, quote, moved=True)
    try:
        message = services.change_tier(request.contractor, tier=tier)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, message)
    return redirect("billing:home")


@require_POST
@contractor_required
def top_up(request):
    form = TopUpForm(request.POST)
    if not form.is_valid():
        return billing_home(request, form=form)
    try:
        if request.POST.get("simulate") and settings.DEBUG:
            services.simulate_top_up(request.contractor, amount_cents=form.amount_cents)
            messages.success(request, "Simulated payment received: your balance is updated.")
            return redirect("billing:home")
        top_up = services.start_top_up(
            request.contractor,
            amount_cents=form.amount_cents,
            success_url=request.build_absolute_uri(reverse("billing:top-up-return"))
            + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=request.build_absolute_uri(reverse("billing:home")),
        )
    except DomainError as error:
        add_domain_error(form, error)
        return billing_home(request, form=form)
    return HttpResponseRedirect(top_up.checkout_url)


@contractor_required
def top_up_return(request):
    messages.info(
        request,
        "Thank you. Your balance updates as soon as Stripe confirms the payment, "
        "usually within a minute.",
    )
    return redirect("billing:home")


ALL_MONTHS = "all"


@contractor_required
def statement_csv(request):
    """The statement of one local month (`?month=YYYY-MM`, this month by default), or
    everything with `?month=all`; streamed, a chunk of entries at a time."""
    contractor = request.contractor
    everything = request.GET.get("month") == ALL_MONTHS
    month = None if everything else _month(request) or clock.local_date(contractor).replace(day=1)
    name = f"fairlead-statement-{month:%Y-%m}.csv" if month else "fairlead-statement.csv"
    zone = clock.zone(contractor)
    kinds = dict(Entry.Kind.choices)

    def rows():
        # Local times (the statement's months are the contractor's), with their UTC offset.
        yield ["date", "kind", "memo", "amount_usd", "balance_after_usd", "entry_id"]
        for at, kind, memo, amount, after, pk in queries.statement_lines(contractor, month=month):
            yield [
                at.astimezone(zone).isoformat(timespec="seconds"),
                kinds.get(kind, kind),
                memo,
                format_cents(amount, plain=True),
                format_cents(after, plain=True),
                pk,
            ]

    return csv_stream(name, rows())


@csrf_exempt
@require_POST
def stripe_webhook(request):
    try:
        services.handle_stripe_webhook(request.body, request.headers.get("Stripe-Signature", ""))
    except services.WebhookRejected as error:
        return HttpResponseBadRequest(error.message)
    return HttpResponse("ok")
