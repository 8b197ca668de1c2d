"""Exclusive territories: subscribe, cancel, renew (DESIGN, Money; seed 002).

A subscription gives one contractor the first right to a (zip, category)'s leads. The
first month is charged in full from the balance when subscribing; each month after is
charged by renew_territories() at the end of the last. A month the balance cannot pay
gives SUBSCRIPTION_GRACE_DAYS of grace, then the territory is suspended and released.
"""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from billing import services as billing
from billing.models import Account, Entry
from marketplace import clock
from marketplace.errors import DomainError
from marketplace.models import Contractor, ServiceCategory, ZipCode
from marketplace.money import format_cents
from marketplace.notifications import notify_contractor
from marketplace.services import catalog_zip_codes

from . import pricing, queries
from .models import TerritorySubscription

MAX_ZIPS_PER_ORDER = 50


class TerritoryTaken(DomainError):
    status_code = 409
    field = "zip_codes"


class PriceChanged(DomainError):
    status_code = 409


class TerritoryError(DomainError):
    pass


def quote(
    contractor: Contractor, *, zip_codes: list[ZipCode], category: ServiceCategory, now=None
) -> pricing.Quote:
    """Every figure the contractor would pay for these zips in this category, with how each
    was computed, discounts applied against what they already hold."""
    now = now or timezone.now()
    figures = queries.figures_for(zip_codes, category, now=now)
    lines = [
        pricing.Line(
            zip_code=z.code,
            city=z.place,
            category=category.name,
            list_price_cents=pricing.monthly_fee_cents(figures[z.code]),
            formula=pricing.fee_formula(figures[z.code]),
        )
        for z in zip_codes
    ]
    held = queries.held_pairs(contractor)
    result = pricing.discount_lines(lines, held=held)
    result.lead_fee_cents = pricing.lead_fee_cents(category.slug)
    return result


def zip_codes_named(codes) -> list[ZipCode]:
    """The catalog's zip codes for an order or a lookup, in the order given, each once
    (TerritoryError otherwise, said by the form and the API alike)."""
    return catalog_zip_codes(
        codes,
        limit=MAX_ZIPS_PER_ORDER,
        too_many=f"Pick at most {MAX_ZIPS_PER_ORDER} zip codes at once.",
        none="Pick at least one zip code.",
        error=TerritoryError,
        field="zip_codes",
    )


def _check_order(contractor: Contractor, zip_codes: list[ZipCode], category) -> None:
    if not contractor.is_active or not contractor.is_onboarded:
        raise TerritoryError("Finish setting up your account before subscribing to a territory.")
    if not category.active:
        raise TerritoryError(f"{category.name} is not offered right now.", field="category")
    # The page and the API read codes through zip_codes_named(); a caller holding ZipCode
    # objects is held to the same limits here, without another query.
    if not zip_codes:
        raise TerritoryError("Pick at least one zip code.", field="zip_codes")
    if len(zip_codes) > MAX_ZIPS_PER_ORDER:
        raise TerritoryError(
            f"Pick at most {MAX_ZIPS_PER_ORDER} zip codes at once.", field="zip_codes"
        )
    if len({z.code for z in zip_codes}) != len(zip_codes):
        raise TerritoryError("A zip code is listed twice.", field="zip_codes")
    homeless = [z for z in zip_codes if not queries.is_territory_zip(z)]
    if homeless:
        raise TerritoryError(queries.not_a_territory(homeless), field="zip_codes")
    # A territory's leads go to its subscriber: only a pro who does the work, there.
    if not contractor.categories.filter(pk=category.pk).exists():
        raise TerritoryError(
            f"You do not offer {category.name.lower()}. Add it to your services in Settings first.",
            field="category",
        )
    served = set(
        contractor.service_areas.filter(zip_code__in=[z.code for z in zip_codes]).values_list(
            "zip_code_id", flat=True
        )
    )
    outside = [z.code for z in zip_codes if z.code not in served]
    if outside:
        raise TerritoryError(
            f"{', '.join(outside[:5])}{' and more' if len(outside) > 5 else ''} "
            f"{'is' if len(outside) == 1 else 'are'} outside your service area. Widen it in "
            "Settings, or pick zips you serve.",
            field="zip_codes",
        )


def subscribe(
    contractor: Contractor,
    *,
    zip_codes: list[ZipCode],
    category: ServiceCategory,
    expected_total_cents: int | None = None,
) -> list[TerritorySubscription]:
    """Take several (zip, category) territories at once, all or none, and charge their
    first month in full. `expected_total_cents` is the total the contractor saw: if the
    price moved since, nothing is charged and they are asked to look again."""
    _check_order(contractor, zip_codes, category)
    try:
        subscriptions = _subscribe(contractor, zip_codes, category, expected_total_cents)
    except IntegrityError:
        # territory_one_holder: another contractor took one of these pairs between our
        # check and our insert; their transaction won, ours charged nothing.
        raise TerritoryTaken(
            "Another contractor just took one of these zip codes. Refresh the map and pick again."
        ) from None
    notify_contractor(
        contractor,
        template="territory_subscribed",
        context={
            "subscriptions": subscriptions,
            "total": format_cents(sum(s.fee_cents for s in subscriptions)),
            "lead_fee": format_cents(pricing.lead_fee_cents(category.slug)),
            "period_end": subscriptions[0].period_end,
        },
        link=reverse("territories:territories"),
    )
    return subscriptions


@transaction.atomic
def _subscribe(contractor, zip_codes, category, expected_total_cents):
    # Lock the account first: one contractor's orders take turns, so the discount counts
    # and the balance check see each other.
    account = Account.objects.select_for_update(no_key=True).get(
        pk=billing.account_for(contractor).pk
    )
    now = timezone.now()
    taken = {
        zip_code: holder
        for zip_code, holder in TerritorySubscription.objects.filter(
            zip_code__in=[z.code for z in zip_codes],
            category=category,
            status__in=TerritorySubscription.HOLDING,
        ).values_list("zip_code_id", "contractor_id")
    }
    if taken:
        yours = sorted(code for code, holder in taken.items() if holder == contractor.pk)
        others = sorted(code for code, holder in taken.items() if holder != contractor.pk)
        if yours:
            raise TerritoryTaken(f"You already hold {category.name} in {', '.join(yours)}.")
        raise TerritoryTaken(
            f"{category.name} is already taken in {', '.join(others)}. Remove "
            f"{'it' if len(others) == 1 else 'them'} and try again."
        )
    offer = quote(contractor, zip_codes=zip_codes, category=category, now=now)
    if expected_total_cents is not None and expected_total_cents != offer.total_cents:
        raise PriceChanged(
            f"The price is now {format_cents(offer.total_cents)} a month, not "
            f"{format_cents(expected_total_cents)}. Review it and subscribe again."
        )
    period_end = billing.add_month(now)
    subscriptions = []
    for z, line in zip(zip_codes, offer.lines, strict=True):
        subscription = TerritorySubscription.objects.create(
            contractor=contractor,
            zip_code=z,
            category=category,
            list_price_cents=line.list_price_cents,
            fee_cents=line.fee_cents,
            pricing=line.as_record(),
            started_at=now,
            period_start=now,
            period_end=period_end,
        )
        billing.charge_period(
            account,
            kind=Entry.Kind.SUBSCRIPTION,
            amount_cents=line.fee_cents,
            memo=f"Territory {category.name} in {z.code}, first month",
            key=f"territory:{subscription.pk}:{now.isoformat()}",
        )
        subscriptions.append(subscription)
    return subscriptions


def _owned(subscription_id: int, contractor: Contractor) -> TerritorySubscription:
    subscription = (
        TerritorySubscription.objects.select_for_update()
        .filter(pk=subscription_id, contractor=contractor)
        .first()
    )
    if subscription is None:
        raise DomainError("No such territory.")
    return subscription


@transaction.atomic
def cancel(subscription: TerritorySubscription, *, contractor: Contractor) -> TerritorySubscription:
    """Cancel at the end of the month already paid: the territory stays until then and is
    not charged again. Unpaid (in its grace period), it ends now."""
    subscription = _owned(subscription.pk, contractor)
    if not subscription.holds:
        raise TerritoryError("This territory has already ended.")
    if subscription.status == TerritorySubscription.Status.PAST_DUE:
        _end(subscription, status=TerritorySubscription.Status.CANCELED, at=timezone.now())
        return subscription
    subscription.cancel_at_period_end = True
    subscription.save(update_fields=["cancel_at_period_end"])
    return subscription


@transaction.atomic
def resume(subscription: TerritorySubscription, *, contractor: Contractor) -> TerritorySubscription:
    """Undo a cancellation before the month ends."""
    subscription = _owned(subscription.pk, contractor)
    if subscription.status != TerritorySubscription.Status.ACTIVE:
        raise TerritoryError("Only an active territory can be kept.")
    subscription.cancel_at_period_end = False
    subscription.save(update_fields=["cancel_at_period_end"])
    return subscription


def _end(subscription: TerritorySubscription, *, status: str, at) -> None:
    subscription.status = status
    subscription.ended_at = at
    subscription.grace_until = None
    subscription.save(update_fields=["status", "ended_at", "grace_until"])


def renewal_fee(subscription: TerritorySubscription) -> pricing.Line:
    """Next month's fee: the list price fixed at subscribing, with the discounts earned by
    what the contractor will hold next month (fewer zips can mean a smaller discount): a
    territory cancelled to end by this one's renewal no longer counts."""
    others = (
        TerritorySubscription.objects.filter(
            contractor_id=subscription.contractor_id, status__in=TerritorySubscription.HOLDING
        )
        .exclude(pk=subscription.pk)
        .exclude(cancel_at_period_end=True, period_end__lte=subscription.period_end)
    )
    # The additional-category discount goes to every category of a zip but its first.
    first_in_zip = not others.filter(
        zip_code_id=subscription.zip_code_id, created_at__lt=subscription.created_at
    ).exists()
    line = pricing.Line(
        zip_code=subscription.zip_code_id,
        city="",
        category=subscription.category.name,
        list_price_cents=subscription.list_price_cents,
        formula=subscription.pricing.get("formula", ""),
    )
    zips = set(others.values_list("zip_code_id", flat=True)) | {subscription.zip_code_id}
    return pricing.apply_discounts(line, zips_held=len(zips), first_in_zip=first_in_zip)


def renew_territories(*, limit: int = 500) -> dict:
    """Beat: end cancelled territories at their period's end, charge the next month of the
    others; unpaid ones get SUBSCRIPTION_GRACE_DAYS of grace (told once), then are
    suspended and released for others."""
    now = timezone.now()
    done = {"renewed": 0, "ended": 0, "past_due": 0, "suspended": 0}
    # Months to charge first, then graces running out; the ones still in grace (retried
    # each run) last, so they never crowd new renewals out of a batch.
    due = (
        TerritorySubscription.objects.filter(
            status__in=TerritorySubscription.HOLDING, period_end__lte=now
        )
        .order_by(F("grace_until").asc(nulls_first=True), "period_end", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for subscription_id in list(due):
        with transaction.atomic():
            subscription = (
                TerritorySubscription.objects.select_for_update()
                .select_related("contractor", "category")
                .filter(
                    pk=subscription_id,
                    status__in=TerritorySubscription.HOLDING,
                    period_end__lte=now,
                )
                .first()
            )
            if subscription is None:
                continue  # another beat run got here first
            done[_renew_one(subscription, now=now)] += 1
    return done


def _renew_one(subscription: TerritorySubscription, *, now) -> str:
    what = f"{subscription.category.name} in {subscription.zip_code_id}"
    contractor = subscription.contractor
    if not contractor.is_active:
        # No month is charged for leads the contractor cannot get; the pair is freed.
        _end(subscription, status=TerritorySubscription.Status.SUSPENDED, at=now)
        _tell(
            contractor,
            "subscription_ended",
            {"what": f"Your territory {what}", "why": "your account is deactivated"},
        )
        return "suspended"
    if subscription.cancel_at_period_end:
        _end(subscription, status=TerritorySubscription.Status.CANCELED, at=subscription.period_end)
        _tell(
            contractor,
            "subscription_ended",
            {"what": f"Your territory {what}", "why": "you cancelled it"},
        )
        return "ended"
    line = renewal_fee(subscription)
    outcome = billing.renew_month(
        subscription,
        account=billing.account_for(contractor),
        kind=Entry.Kind.SUBSCRIPTION,
        fee_cents=line.fee_cents,
        memo=f"Territory {what}, month from "
        f"{clock.local_date(contractor, subscription.period_end):%b %-d}",
        key=f"territory:{subscription.pk}:{subscription.period_end.isoformat()}",
        now=now,
    )
    if outcome == "lapsed":
        _end(subscription, status=TerritorySubscription.Status.SUSPENDED, at=now)
        _tell(
            contractor,
            "subscription_ended",
            {
                "what": f"Your territory {what}",
                "why": "its monthly fee could not be paid from your balance; it is now "
                "open to other contractors",
            },
        )
        return "suspended"
    if outcome == "renewed":
        subscription.pricing = {**subscription.pricing, **line.as_record()}
    subscription.save()
    if outcome == "past_due":
        billing.tell_payment_due(
            contractor,
            what=f"your territory {what}",
            fee_cents=line.fee_cents,
            grace_until=subscription.grace_until,
            link="territories:territories",
        )
    return "renewed" if outcome == "renewed" else "past_due"


def _tell(contractor: Contractor, template: str, context: dict) -> None:
    """The message is a row written with the change; it is sent once the change commits."""
    notify_contractor(
        contractor, template=template, context=context, link=reverse("territories:territories")
    )
