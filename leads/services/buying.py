"""A contractor's answer to an offer: accept (buy: one transaction that locks the lead,
checks a slot and the balance, debits the ledger, records the purchase and reveals the
contact) or decline; and the errors either can raise. Imports routing (a declined
territory or chosen-pro offer hands the lead on), never the other way round."""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from billing import services as billing
from billing.models import Account, Entry
from marketplace.errors import DomainError
from marketplace.models import Contractor
from marketplace.money import format_cents
from marketplace.notifications import (
    notify_contractor,
)
from territories import queries as territory_queries

from .. import queries, scoring
from ..models import (
    Lead,
    Offer,
    Purchase,
)
from . import analytics
from .aftersale import count_purchase
from .lifecycle import set_status, tell_homeowner
from .routing import ask_homeowner, end_territory_window


class OfferNotFound(DomainError):
    status_code = 404


class OfferNotPending(DomainError):
    status_code = 409


class LeadFull(DomainError):
    status_code = 409


class LeadClosed(DomainError):
    status_code = 409


class NotABuyer(DomainError):
    status_code = 409


def accept_offer(offer: Offer, *, contractor: Contractor) -> Purchase:
    """Buy a lead: one transaction under row locks (lead, then offer, then account).

    A slot must remain, the balance must cover the price; the ledger debit, the purchase
    and the revealed contact land together. A second click returns the same purchase;
    two pros racing for the last slot cannot both get it. A refusal that moves the lead
    on (a territory offer whose subscriber no longer holds it) is committed, then raised.
    """
    purchase, refused = _accept(offer, contractor=contractor)
    if refused is not None:
        raise refused
    return purchase


@transaction.atomic
def _accept(offer: Offer, *, contractor: Contractor) -> tuple[Purchase | None, DomainError | None]:
    # Lock the lead first: every accept of this lead waits here, one at a time.
    lead = Lead.objects.select_for_update().get(pk=offer.lead_id)
    offer = Offer.objects.select_for_update().filter(pk=offer.pk, contractor=contractor).first()
    if offer is None:
        raise OfferNotFound("No such offer.")
    if offer.status == Offer.Status.ACCEPTED:
        return offer.purchase, None  # a double click: charged once
    now = timezone.now()
    if offer.status != Offer.Status.PENDING:
        raise OfferNotPending(f"This offer is {offer.get_status_display().lower()}.")
    if offer.expires_at <= now:
        raise OfferNotPending("This offer has expired.")
    if lead.status != Lead.Status.OPEN:
        raise LeadClosed("This lead is no longer available.")
    taken = lead.purchases.count()
    if taken >= lead.max_pros:
        raise LeadFull("All slots on this lead are taken.")
    # Lock the pro's account: their accepts take turns, so caps and budget hold even when
    # several offers are accepted at once.
    account = Account.objects.select_for_update(no_key=True).get(
        pk=billing.account_for(contractor).pk
    )
    exclusive = offer.route == Offer.Route.TERRITORY
    if exclusive and not _holds_territory(contractor, lead):
        # The territory lapsed, was cancelled or no longer fits the pro since the offer:
        # the first right is gone, and the marketplace gets the lead now.
        Offer.objects.filter(pk=offer.pk).update(status=Offer.Status.WITHDRAWN, responded_at=now)
        end_territory_window(lead, now=now)
        return None, NotABuyer(
            f"You no longer hold the exclusive {lead.category.name.lower()} territory in "
            f"{lead.zip_code_id}, so this lead went to the marketplace."
        )
    star_gated = offer.route == Offer.Route.MARKETPLACE  # seed 004: marketplace leads only
    if (
        not queries.buyers(lead, price_cents=offer.price_cents, now=now, star_gated=star_gated)
        .filter(pk=contractor.pk)
        .exists()
    ):
        return None, NotABuyer(_why_not_a_buyer(contractor, lead, now=now, star_gated=star_gated))
    entry = billing.post_entry(
        account,
        kind=Entry.Kind.LEAD_PURCHASE,
        amount_cents=-offer.price_cents,
        memo=f"{'Territory lead' if exclusive else 'Lead'} {lead.reference}: "
        f"{lead.category.name} in {lead.zip_code.city}",
        idempotency_key=f"offer:{offer.pk}",
        require_cover=True,
    )
    purchase = Purchase.objects.create(
        lead=lead, contractor=contractor, offer=offer, price_cents=offer.price_cents, entry=entry
    )
    count_purchase(contractor)  # the star score's running totals
    offer.status = Offer.Status.ACCEPTED
    offer.responded_at = now
    offer.save(update_fields=["status", "responded_at"])
    analytics.count_sale(purchase)
    if exclusive or offer.route == Offer.Route.PROFILE or taken + 1 >= lead.max_pros:
        # Full; or exclusive (a territory lead is not resold); or the pro the homeowner
        # chose bought it: the request is answered.
        set_status(lead, Lead.Status.FILLED, tell_after_commit=True)

    # The buyer's receipt and the homeowner's email: two rows in the outbox, committed with
    # the money so neither is lost if the process dies after commit. Only the other pros'
    # withdrawals (one per pending offer) wait for the commit (set_status above).
    notify_contractor(
        contractor,
        template="lead_purchased",
        context={"purchase": purchase, "price": format_cents(purchase.price_cents)},
        link=reverse("leads:lead", args=[purchase.pk]),
    )
    tell_homeowner(
        lead,
        "pro_accepted",
        contractor_name=contractor.business_name,
        contractor_phone=contractor.phone,
    )
    return purchase, None


def _holds_territory(contractor: Contractor, lead: Lead) -> bool:
    """Does the contractor still hold this lead's territory, and still do its work there?"""
    holding = territory_queries.holder(zip_code_id=lead.zip_code_id, category_id=lead.category_id)
    return (
        holding is not None
        and holding.contractor_id == contractor.pk
        and queries.serving(Contractor.objects.filter(pk=contractor.pk), lead).exists()
    )


def _why_not_a_buyer(contractor: Contractor, lead: Lead, *, now, star_gated: bool) -> str:
    """The reason buyers() left this pro out, in words they can act on."""
    contractor = Contractor.objects.get(pk=contractor.pk)
    if not contractor.is_active or not contractor.is_onboarded:
        return "Your account cannot buy leads right now. Contact Fairlead support."
    if contractor.is_paused:
        return "You paused new leads. Resume them in Settings, then accept."
    if Purchase.objects.filter(
        contractor=contractor, lead__in=queries.same_homeowner_leads(lead, now)
    ).exists():
        return "You already bought this homeowner's request for this service in the last 30 days."
    if star_gated and not scoring.passes(contractor.star_score, settings.STAR_SCORE_THRESHOLD):
        return "Your star score is below what marketplace leads need."
    return (
        "Buying this lead would go over your daily or weekly lead cap or your monthly "
        "budget. You can raise them in Settings."
    )


@transaction.atomic
def decline_offer(offer: Offer, *, contractor: Contractor) -> Offer:
    """Pass on a lead. Only a pending offer can be declined. A territory's subscriber who
    passes sends the lead to the marketplace at once (seed 002's backup), so it never dies."""
    now = timezone.now()
    if not Offer.objects.filter(
        pk=offer.pk, contractor=contractor, status=Offer.Status.PENDING
    ).update(status=Offer.Status.DECLINED, responded_at=now):
        current = Offer.objects.filter(pk=offer.pk, contractor=contractor).first()
        if current is None:
            raise OfferNotFound("No such offer.")
        raise OfferNotPending(f"This offer is {current.get_status_display().lower()}.")
    offer = Offer.objects.select_related("lead__profile_contractor", "lead__zip_code").get(
        pk=offer.pk
    )
    if offer.lead.status == Lead.Status.OPEN:
        if offer.route == Offer.Route.TERRITORY:
            end_territory_window(offer.lead, now=now)
        elif offer.route == Offer.Route.PROFILE:
            ask_homeowner(offer.lead)
    return offer


# --- A live call (calls/): bought when the pro takes it, paid for only if it qualifies ---


@transaction.atomic
def take_live_call(lead: Lead, *, contractor: Contractor, route: str, tier: str, price_cents: int):
    """A pro pressed 1 on a caller's whisper: they buy the lead now, contact revealed, at no
    charge yet (charge_live_call bills it if the call qualifies). The same checks as
    accepting an offer, so a pro whose balance, caps or territory changed since they were
    rung is refused (NotABuyer) and the next pro is rung. The caller is talking to them: the
    lead is filled, nobody else is offered it."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.status != Lead.Status.OPEN:
        raise LeadClosed("This caller's request is no longer open.")
    now = timezone.now()
    account = Account.objects.select_for_update(no_key=True).get(
        pk=billing.account_for(contractor).pk
    )
    if route == Offer.Route.TERRITORY and not _holds_territory(contractor, lead):
        raise NotABuyer("You no longer hold this territory.")
    star_gated = route == Offer.Route.MARKETPLACE
    if account.balance_cents < price_cents or not (
        queries.buyers(lead, price_cents=price_cents, now=now, star_gated=star_gated)
        .filter(pk=contractor.pk)
        .exists()
    ):
        raise NotABuyer("Your balance or limits no longer cover this call.")
    offer, _ = Offer.objects.update_or_create(
        lead=lead,
        contractor=contractor,
        defaults={
            "status": Offer.Status.ACCEPTED,
            "route": route,
            "tier": tier,
            "price_cents": price_cents,
            "offered_at": now,
            "expires_at": now,
            "responded_at": now,
            # Offered anew (an earlier offer is replaced): the lead's keys as it is now.
            "category_id": lead.category_id,
            "zip_code_id": lead.zip_code_id,
            "utm_source": lead.utm_source,
        },
    )
    purchase = Purchase.objects.create(
        lead=lead, contractor=contractor, offer=offer, price_cents=0, entry=None
    )
    count_purchase(contractor)  # the star score's running totals
    # After the totals' lock, as accept takes them: the analytics lock always comes last.
    analytics.count_new_purchase(purchase, by_call=True)
    set_status(lead, Lead.Status.FILLED)
    return purchase


@transaction.atomic
def charge_live_call(purchase: Purchase, *, amount_cents: int, key: str, memo: str) -> Entry:
    """Bill a qualified call once (idempotent by `key`, the call's sid): the ledger debit
    and the purchase's price land together, under the purchase lock that orders every
    credit decision on it. Not refused for a low balance: the pro had the balance when
    they took the call, and the call has happened."""
    purchase = Purchase.objects.select_for_update(no_key=True, of=("self",)).get(pk=purchase.pk)
    entry = billing.post_entry(
        billing.account_for(purchase.contractor),
        kind=Entry.Kind.LEAD_PURCHASE,
        amount_cents=-amount_cents,
        memo=memo,
        idempotency_key=key,
    )
    if purchase.entry_id is None:
        analytics.count_purchase_delta(
            purchase.pk, {"spend_cents": amount_cents - purchase.price_cents}
        )
        purchase.entry = entry
        purchase.price_cents = amount_cents
        purchase.save(update_fields=["entry", "price_cents"])
    return entry
