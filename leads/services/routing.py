"""Who is offered a lead, and buying it (DESIGN, Lead lifecycle steps 4 to 7): route a
screened lead (profile lead, territory window, marketplace waves by tier), send due waves,
make offers, expire offers and leads, re-route and withdraw (ops), and releasing a profile
lead to other pros. Accepting and declining an offer are in buying.py."""

from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from marketplace.cursors import server_cursor
from marketplace.errors import DomainError
from marketplace.models import Contractor
from marketplace.money import format_cents
from marketplace.notifications import (
    notify_contractors_alike,
    quiet_until,
)
from marketplace.tasking import enqueue_on_commit
from territories import queries as territory_queries

# tasks imports these services too: tasks.X is looked up when a task is sent.
from .. import queries, tasks
from ..models import (
    Consent,
    Lead,
    Offer,
    Purchase,
    Wave,
)
from ..pricing import lead_price
from .lifecycle import WITHDRAWN_BY_OPS, set_status, tell_homeowner, withdraw_pending


def unrouted_lead_ids() -> list[int]:
    """Open leads routing never took (the broker was down when they were saved)."""

    cutoff = timezone.now() - settings.ROUTING_SWEEP_AFTER
    return list(
        Lead.objects.filter(
            status=Lead.Status.OPEN, routed_at__isnull=True, updated_at__lt=cutoff
        ).values_list("pk", flat=True)[:500]
    )


def route(lead_id: int) -> Lead | None:
    """Take an open lead, once, and start its offers (DESIGN, Lead lifecycle step 4): a
    profile lead goes to its pro alone; else the subscriber of its (zip, category)
    territory, if available, has it alone for TERRITORY_WINDOW_MINUTES; else, and after
    that window, it enters the marketplace in waves by tier (elite, pro, base after
    WAVE_DELAYS_MINUTES)."""
    return _start_routing(lead_id)


@transaction.atomic
def _start_routing(lead_id: int) -> Lead | None:
    """Claim the lead and create its profile offer, or its waves with the first one sent,
    in one transaction, so a failure leaves it unrouted for the task's retry and the sweep."""
    lead = (
        Lead.objects.select_for_update(of=("self",))
        .select_related("category", "zip_code")
        .filter(pk=lead_id)
        .first()
    )
    if lead is None or lead.status != Lead.Status.OPEN or lead.routed_at is not None:
        return None
    now = timezone.now()
    lead.routed_at = now
    lead.save(update_fields=["routed_at", "updated_at"])
    if lead.profile_contractor_id:
        pro = lead.profile_contractor
        if Purchase.objects.filter(
            contractor=pro, lead__in=queries.same_homeowner_leads(lead, now)
        ).exists():
            # The pro already has this homeowner's request: never sell it to them twice.
            set_status(
                lead,
                Lead.Status.REJECTED,
                reason=Lead.RejectReason.DUPLICATE,
                note=f"{pro.business_name} already bought this homeowner's request.",
            )
            return lead
        if not _chosen_pro_can_take(lead, pro, now=now):
            # Paused, deactivated, out of funds or over their limits since the homeowner
            # picked them: no offer they cannot accept; the homeowner decides what next.
            ask_homeowner(lead)
            return lead
        _make_offers(lead, [pro], route=Offer.Route.PROFILE, tier="", now=now)
        return lead
    _route_general(lead, now=now)
    return lead


def _route_general(lead: Lead, *, now) -> None:
    """A request for whoever does the job: the territory's subscriber alone for a window,
    if there is one who can take it, then the marketplace waves."""
    start = now
    subscriber = _available_subscriber(lead, now=now)
    if subscriber is not None:
        window = timedelta(minutes=settings.TERRITORY_WINDOW_MINUTES)
        _make_offers(
            lead,
            [subscriber],
            route=Offer.Route.TERRITORY,
            tier="",
            now=now,
            expires=now + window,
        )
        # The marketplace waits for the window; a decline brings it forward.
        start = now + window
    _schedule_waves(lead, start=start, send_due_at=now)


# --- A live call (calls/): the caller waits on the line while pros are rung --------------


def hold_for_live_call(lead: Lead) -> bool:
    """A caller's open lead waits for the pros rung live: routing takes it (routed_at) so
    no offer goes out meanwhile. False if routing had it already. The caller holds the lead's
    lock."""
    if lead.status != Lead.Status.OPEN or lead.routed_at is not None:
        return False
    lead.routed_at = timezone.now()
    lead.save(update_fields=["routed_at", "updated_at"])
    return True


def hand_back_to_routing(lead: Lead) -> None:
    """Nobody took the call: the lead is routed as any request (a territory window, then
    waves; a profile call goes to its pro as a profile request), by the route task after
    commit, or by the sweep if that task is lost. Pros who passed on the call keep their
    declined offer and are not offered it again."""
    if Lead.objects.filter(pk=lead.pk, status=Lead.Status.OPEN).update(
        routed_at=None, updated_at=timezone.now()
    ):
        enqueue_on_commit(tasks.route_lead, lead.pk)


def live_call_candidates(
    lead: Lead, *, now, among, limit: int
) -> list[tuple[Contractor, str, int]]:
    """Whom a live call may ring, in order, with the route and price of each: those of
    `among` (the pros who take calls and were not rung yet) who would be offered this lead
    now. A profile call: its pro. Else the territory's subscriber (available_subscriber's
    rules), then marketplace pros by wave order, best score first. Nobody in quiet hours."""
    found = []
    if lead.profile_contractor_id:
        pro = lead.profile_contractor
        if among.filter(pk=pro.pk).exists() and _chosen_pro_can_take(lead, pro, now=now):
            found.append((pro, Offer.Route.PROFILE, _price(lead, Offer.Route.PROFILE).cents))
    else:
        subscriber = _available_subscriber(lead, now=now)
        if subscriber is not None and among.filter(pk=subscriber.pk).exists():
            found.append(
                (subscriber, Offer.Route.TERRITORY, _price(lead, Offer.Route.TERRITORY).cents)
            )
        price = _price(lead, Offer.Route.MARKETPLACE).cents
        for tier in Contractor.Tier.wave_order():
            pros = (
                queries.eligible_contractors(lead, tier=tier, price_cents=price, now=now)
                .filter(pk__in=among.values("pk"))
                .exclude(pk__in=[c.pk for c, *_ in found])
                .order_by(F("star_score").desc(nulls_last=True), "pk")
            )
            found += [(pro, Offer.Route.MARKETPLACE, price) for pro in pros[: limit * 2]]
    return [item for item in found if quiet_until(item[0], now) <= now][:limit]


def _chosen_pro_can_take(lead: Lead, pro: Contractor, *, now) -> bool:
    """Could the pro a homeowner chose buy this profile lead now? Not star-gated (seed
    004's gate is for marketplace leads)."""
    price = _price(lead, Offer.Route.PROFILE).cents
    return (
        queries.buyers(lead, price_cents=price, now=now, star_gated=False)
        .filter(pk=pro.pk, account__balance_cents__gte=price)
        .exists()
    )


def ask_homeowner(lead: Lead) -> None:
    """The chosen pro cannot take the request: ask the homeowner, once, whether to send it
    to other pros (by email, answered on the status page). Without their word it goes to
    nobody else: their consent named that pro alone."""
    if lead.chosen_pro_unavailable_at is not None or lead.released_at is not None:
        return
    lead.chosen_pro_unavailable_at = timezone.now()
    lead.save(update_fields=["chosen_pro_unavailable_at", "updated_at"])
    tell_homeowner(
        lead, "chosen_pro_unavailable", contractor_name=lead.profile_contractor.business_name
    )


class NotReleasable(DomainError):
    status_code = 409


@transaction.atomic
def release_profile_lead(
    lead: Lead,
    *,
    consent_text: str,
    method: str,
    ip_address: str | None = None,
    user_agent: str = "",
) -> Lead:
    """Send a request made to one chosen pro to other pros, with the homeowner's word
    (their click on the status page, or what they told ops), recorded as a consent. It is
    then routed as any request: the territory's subscriber, then the marketplace waves,
    with a fresh LEAD_TTL_HOURS to find them; the chosen pro is not offered it again."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.status != Lead.Status.OPEN or not lead.profile_contractor_id:
        raise NotReleasable(f"{lead.reference} is not an open request to one chosen pro.")
    if lead.released_at is not None:
        return lead  # a second click: sent already
    if lead.offers.filter(route=Offer.Route.PROFILE, status=Offer.Status.PENDING).exists():
        raise NotReleasable(
            f"{lead.profile_contractor.business_name} still has the offer; it is sent on "
            "only when they cannot take it."
        )
    now = timezone.now()
    Consent.objects.create(
        lead=lead,
        text=consent_text,
        method=method,
        given_at=now,
        ip_address=ip_address,
        user_agent=user_agent[:500],
    )
    lead.released_at = now
    lead.routed_at = now  # the time to find pros starts again
    lead.save(update_fields=["released_at", "routed_at", "updated_at"])
    _route_general(lead, now=now)  # the first wave goes out now, as at routing
    return lead


def _schedule_waves(lead: Lead, *, start, send_due_at=None) -> None:
    """The lead's marketplace waves, saved so beat sends each when due; rescheduling moves
    the ones not sent yet. `send_due_at`: a lead routed now (the caller holds its lock),
    whose waves due by then are sent at once, in this transaction; the rest wait for beat."""
    plan = [
        (tier, start + timedelta(minutes=delay))
        for tier, delay in zip(
            Contractor.Tier.wave_order(), settings.WAVE_DELAYS_MINUTES, strict=True
        )
    ]
    if send_due_at is not None and not Wave.objects.filter(lead=lead).exists():
        # A first routing: every wave in one insert, the due ones sent with it.
        waves = [Wave(lead=lead, tier=tier, due_at=due_at) for tier, due_at in plan]
        to_offer = {}
        for wave in waves:
            if wave.due_at <= send_due_at:
                wave.sent_at = send_due_at
                to_offer[wave.tier] = _wave_contractors(lead, wave.tier, now=send_due_at)
                wave.offers_made = len(to_offer[wave.tier])
        Wave.objects.bulk_create(waves)
        for tier, contractors in to_offer.items():
            _make_offers(
                lead, contractors, route=Offer.Route.MARKETPLACE, tier=tier, now=send_due_at
            )
        return
    for tier, due_at in plan:
        if not Wave.objects.filter(lead=lead, tier=tier, sent_at__isnull=True).update(
            due_at=due_at
        ):
            Wave.objects.bulk_create(
                [Wave(lead=lead, tier=tier, due_at=due_at)], ignore_conflicts=True
            )
    if send_due_at is not None:
        send_due_waves(lead_id=lead.pk)


def _available_subscriber(lead: Lead, *, now) -> Contractor | None:
    """The territory's subscriber, when they can take this lead now: active, not paused,
    under their caps and budget, a balance that covers the per-lead fee, and for an
    urgent lead not in their quiet hours. Else None, and the lead goes to the marketplace."""
    holding = territory_queries.holder(zip_code_id=lead.zip_code_id, category_id=lead.category_id)
    if holding is None:
        return None
    fee = _price(lead, Offer.Route.TERRITORY).cents
    pro = holding.contractor
    if lead.offers.filter(contractor=pro).exists():
        return None  # they had it already (a released request its chosen pro declined)
    if (
        not queries.serving(queries.buyers(lead, price_cents=fee, now=now, star_gated=False), lead)
        .filter(pk=pro.pk, account__balance_cents__gte=fee)
        .exists()
    ):
        return None
    if lead.timeframe == Lead.Timeframe.URGENT and quiet_until(pro, now) > now:
        return None
    return pro


def send_due_waves(*, lead_id: int | None = None) -> int:
    """Offer each due wave's lead to every eligible contractor of its tier at the same
    moment. Each wave is sent once (compare-and-set on sent_at), whichever worker runs."""
    now = timezone.now()
    due = Wave.objects.filter(sent_at__isnull=True, due_at__lte=now)
    if lead_id is not None:
        due = due.filter(lead_id=lead_id)
    sent = 0
    for wave in list(due.order_by("due_at")[:200]):
        with transaction.atomic():
            # Lock the lead first (the same order as accept), then claim the wave.
            lead = Lead.objects.select_for_update().get(pk=wave.lead_id)
            if not Wave.objects.filter(pk=wave.pk, sent_at__isnull=True).update(sent_at=now):
                continue
            if lead.status != Lead.Status.OPEN or lead.purchases.count() >= lead.max_pros:
                continue
            contractors = _wave_contractors(lead, wave.tier, now=now)
            made = _make_offers(
                lead, contractors, route=Offer.Route.MARKETPLACE, tier=wave.tier, now=now
            )
            Wave.objects.filter(pk=wave.pk).update(offers_made=made)
            sent += 1
    return sent


def _wave_contractors(lead: Lead, tier: str, *, now) -> list[queries.WavePro]:
    """Whom a wave of this tier offers the lead to now."""
    return queries.wave_contractors(
        lead, tier=tier, price_cents=_price(lead, Offer.Route.MARKETPLACE).cents, now=now
    )


def _price(lead: Lead, route: str):
    return lead_price(
        route=route, category=lead.category, estimated_value_cents=lead.estimated_value_cents
    )


def _make_offers(lead: Lead, contractors, *, route: str, tier: str, now, expires=None) -> int:
    """Offer the lead to these contractors, all at one price and expiry, and tell them (one
    message rendered per time zone). Returns how many offers were made."""
    contractors = list(contractors)
    if not contractors:
        return 0
    price = _price(lead, route)
    expires = expires or now + timedelta(minutes=settings.OFFER_TTL_MINUTES)
    # Every offer of the wave alike but for its pro: the messages show this one.
    offer = Offer(
        lead=lead,
        route=route,
        tier=tier,
        price_cents=price.cents,
        offered_at=now,
        expires_at=expires,
    )
    offer.copy_lead_keys(lead)
    _insert_offers(offer, [c.pk for c in contractors])
    notify_contractors_alike(
        contractors,
        template="new_offer",
        context={
            "price": format_cents(price.cents),
            "formula": price.formula,
            "value": format_cents(lead.estimated_value_cents),
            "offer": offer,
        },
        link=reverse("leads:offers"),
        expires_at=expires,  # a text held by quiet hours is dropped once the offer expired
        urgent=True,
    )
    return len(contractors)


def _insert_offers(offer: Offer, contractor_ids: list[int]) -> None:
    """One offer like `offer` per contractor, in one statement. On PostgreSQL the ids go as
    one array (a wave of a thousand pros builds no thousand model instances)."""
    if connection.vendor != "postgresql":
        Offer.objects.bulk_create(
            [
                Offer(
                    lead_id=offer.lead_id,
                    contractor_id=contractor_id,
                    route=offer.route,
                    tier=offer.tier,
                    price_cents=offer.price_cents,
                    offered_at=offer.offered_at,
                    expires_at=offer.expires_at,
                    category_id=offer.category_id,
                    zip_code_id=offer.zip_code_id,
                    utm_source=offer.utm_source,
                )
                for contractor_id in contractor_ids
            ]
        )
        return
    with server_cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {Offer._meta.db_table}
                (lead_id, contractor_id, status, route, tier, price_cents, offered_at, expires_at,
                 category_id, zip_code_id, utm_source)
            SELECT %s, contractor_id, %s, %s, %s, %s, %s, %s, %s, %s, %s
            FROM UNNEST(%b::bigint[]) AS contractor_id
            """,  # noqa: S608 - the table name is ours; every value is a parameter
            [
                offer.lead_id,
                offer.status,
                offer.route,
                offer.tier,
                offer.price_cents,
                offer.offered_at,
                offer.expires_at,
                offer.category_id,
                offer.zip_code_id,
                offer.utm_source,
                contractor_ids,
            ],
        )


def _territory_window(lead: Lead) -> Offer | None:
    """The subscriber's pending offer while the lead is theirs alone, else None."""
    return (
        lead.offers.filter(route=Offer.Route.TERRITORY, status=Offer.Status.PENDING)
        .select_related("contractor")
        .first()
    )


def end_territory_window(lead: Lead, *, now) -> None:
    """The subscriber passed, or ops took their offer back: the marketplace waves go out
    now instead of at the window's end, so the lead never waits for nothing."""

    _schedule_waves(lead, start=now)
    enqueue_on_commit(tasks.send_lead_waves, lead.pk)


def expire_offers_and_leads() -> dict:
    """Beat: offers past OFFER_TTL_MINUTES expire; open leads past LEAD_TTL_HOURS stop.
    A lead nobody bought expires and the homeowner is told; one with buyers is filled."""
    now = timezone.now()
    due = Offer.objects.filter(status=Offer.Status.PENDING, expires_at__lte=now)
    chosen_pro_missed = list(
        due.filter(route=Offer.Route.PROFILE, lead__status=Lead.Status.OPEN).values_list(
            "lead_id", flat=True
        )
    )
    expired_offers = due.update(status=Offer.Status.EXPIRED)
    for lead in Lead.objects.filter(pk__in=chosen_pro_missed).select_related(
        "profile_contractor", "zip_code"
    ):
        ask_homeowner(lead)  # the chosen pro let it pass
    cutoff = now - timedelta(hours=settings.LEAD_TTL_HOURS)
    expired_leads = 0
    for lead_id in Lead.objects.filter(status=Lead.Status.OPEN, routed_at__lte=cutoff).values_list(
        "pk", flat=True
    )[:500]:
        with transaction.atomic():
            lead = Lead.objects.select_for_update().get(pk=lead_id)
            if lead.status != Lead.Status.OPEN:
                continue
            why = "has expired: its time to find pros is over"
            if lead.purchases.exists():
                set_status(lead, Lead.Status.FILLED, why=why)
                continue
            set_status(lead, Lead.Status.EXPIRED, why=why)
            tell_homeowner(lead, "lead_expired")
            expired_leads += 1
    return {"offers": expired_offers, "leads": expired_leads}


@transaction.atomic
def reroute_lead(lead: Lead, *, by=None) -> int:
    """Ops: offer an open marketplace lead now to every eligible pro of every tier not
    offered it yet. Earlier waves and offers stay as they were (routing history); returns
    how many offers were made. A request to a chosen pro is sent to other pros, recorded as
    the homeowner's word given to `by` (release_profile_lead); a lead in a territory
    subscriber's window raises DomainError."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.status != Lead.Status.OPEN:
        return 0
    if lead.profile_contractor_id and lead.released_at is None:
        # A request to one chosen pro goes to others only with the homeowner's word: ops
        # re-route it after speaking with them, and that is recorded as their consent.
        if by is None:
            raise DomainError("Re-routing a request to a chosen pro needs the staff member.")
        release_profile_lead(
            lead,
            consent_text=(
                f"The homeowner agreed, speaking with Fairlead, to send this request to "
                f"other local pros; recorded by {by.email}."
            ),
            method=Consent.Method.OPS_RECORDED,
        )
        return lead.offers.filter(status=Offer.Status.PENDING).count()
    if lead.routed_at is None:
        # Routing decides first whether a territory subscriber has the first right to it.
        raise DomainError(
            f"{lead.reference} has not been routed yet; the worker routes it within a "
            "minute. Re-route it after that."
        )
    now = timezone.now()
    window = _territory_window(lead)
    if window is not None:
        # The subscriber bought the first right to this lead: ops withdraw their offer
        # first when they must break it (the waves then go out as usual).
        raise DomainError(
            f"{lead.reference} is in {window.contractor.business_name}'s exclusive territory "
            f"window until {timezone.localtime(window.expires_at):%-I:%M %p %Z}; withdraw that "
            "offer first to send it to the marketplace now."
        )
    price = _price(lead, Offer.Route.MARKETPLACE).cents
    made = 0
    for tier in Contractor.Tier.wave_order():
        contractors = list(
            queries.eligible_contractors(lead, tier=tier, price_cents=price, now=now)
        )
        made += _make_offers(lead, contractors, route=Offer.Route.MARKETPLACE, tier=tier, now=now)
    return made


@transaction.atomic
def withdraw_offers(lead: Lead) -> int:
    """Ops: take back every pending offer of a lead (the pros are told). Taking back a
    territory subscriber's offer ends their window: the marketplace waves go out now."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    now = timezone.now()
    in_window = _territory_window(lead) is not None
    chosen_pro_had_it = lead.offers.filter(
        route=Offer.Route.PROFILE, status=Offer.Status.PENDING
    ).exists()
    withdrawn = withdraw_pending(lead, now=now, why=WITHDRAWN_BY_OPS)
    if chosen_pro_had_it and lead.status == Lead.Status.OPEN:
        ask_homeowner(lead)  # the pro they chose will not answer: they decide what next
    if in_window and lead.status == Lead.Status.OPEN:
        end_territory_window(lead, now=now)
    return withdrawn
