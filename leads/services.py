"""Intake, duplicates, screening decisions and the homeowner's dispute."""

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from billing import services as billing
from billing.models import Account, Entry
from marketplace import clock
from marketplace.errors import DomainError
from marketplace.models import Contractor, ServiceCategory, ZipCode
from marketplace.notifications import (
    notify_address,
    notify_contractor,
    notify_contractors,
    quiet_until,
)
from marketplace.services import get_zip, normalize_phone
from marketplace.tasking import enqueue_on_commit
from marketplace.templatetags.money import cents
from territories import queries as territory_queries

from . import policy, queries, scoring
from .models import (
    Consent,
    ContactAttempt,
    Lead,
    LeadFlag,
    Offer,
    Purchase,
    Review,
    ScreeningDecision,
    Wave,
)
from .pricing import lead_price

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


class IntakeError(DomainError):
    pass


class NotScreenable(DomainError):
    status_code = 409


@dataclass
class QuoteRequest:
    """What a homeowner submits, by form or API, already in our types."""

    category: ServiceCategory
    zip_code: ZipCode
    description: str
    timeframe: str
    job_size: str
    ownership: str
    name: str
    phone: str
    email: str
    preferred_contact: str
    one_pro_only: bool = False
    street_address: str = ""
    profile_contractor: Contractor | None = None


@dataclass
class Submission:
    """Where and how it was submitted: consent evidence and the lead's source."""

    consent_text: str
    consent_method: str = "form_checkbox"
    ip_address: str | None = None
    user_agent: str = ""
    referrer: str = ""
    landing_page: str = ""
    channel: str = "web"
    utm: dict = field(default_factory=dict)


# --- Validation shared by the form and the API ---------------------------------------------


def clean_category(slug_or_obj) -> ServiceCategory:
    if isinstance(slug_or_obj, ServiceCategory):
        category = slug_or_obj
    else:
        category = ServiceCategory.objects.filter(slug=slug_or_obj).first()
    if category is None or not category.active:
        raise IntakeError("Choose one of the services we offer.", field="category")
    return category


def clean_zip(code: str) -> ZipCode:
    return get_zip(code, field="zip_code")


def clean_phone(raw: str) -> str:
    return normalize_phone(raw)


def clean_description(text: str) -> str:
    text = (text or "").strip()
    if len(text) < policy.DESCRIPTION_MIN_CHARS:
        raise IntakeError(
            f"Tell the pros a little more: at least {policy.DESCRIPTION_MIN_CHARS} characters.",
            field="description",
        )
    if len(text) > policy.DESCRIPTION_MAX_CHARS:
        raise IntakeError(
            f"Keep it under {policy.DESCRIPTION_MAX_CHARS} characters.", field="description"
        )
    return text


def clean_profile_contractor(contractor: Contractor, *, category, zip_code) -> Contractor:
    """A profile lead must fit the pro it is sent to, who must take requests now."""
    if not queries.takes_profile_requests(contractor):
        raise IntakeError(
            f"{contractor.business_name} is not taking new requests right now. Send your "
            "request to other local pros instead.",
            field="category",
        )
    if not contractor.categories.filter(pk=category.pk).exists():
        raise IntakeError(
            f"{contractor.business_name} does not offer {category.name.lower()}.",
            field="category",
        )
    if not contractor.service_areas.filter(zip_code=zip_code).exists():
        raise IntakeError(
            f"{contractor.business_name} does not work in {zip_code.code}.", field="zip_code"
        )
    return contractor


# --- Intake ----------------------------------------------------------------------------------


def _new_reference() -> str:
    while True:
        reference = "FL-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
        if not Lead.objects.filter(reference=reference).exists():
            return reference


def find_duplicate(*, phone: str, email: str, category: ServiceCategory) -> Lead | None:
    """The earlier lead of the same homeowner (phone or email) and category in 30 days.

    One still being handled wins (the oldest: the original, not a copy already
    rejected); else the latest one.
    """
    since = timezone.now() - policy.DUPLICATE_WINDOW
    matches = Lead.objects.filter(
        Q(phone=phone) | Q(email=email.lower()), category=category, created_at__gte=since
    )
    handled = matches.filter(being_handled()).order_by("created_at").first()
    return handled or matches.order_by("-created_at").first()


ACTIVE_STATUSES = [Lead.Status.SUBMITTED, Lead.Status.SCREENING, Lead.Status.OPEN]


def being_handled() -> Q:
    """A lead still being worked on for the homeowner: screened or open, and no buyer has
    reported the job won or lost. A request of the same homeowner and category meanwhile
    is the same job again; after it, a new job (DESIGN, "A won job closes the lead")."""
    return Q(status__in=ACTIVE_STATUSES) & ~Q(
        purchases__outcome__in=[Purchase.Outcome.WON, Purchase.Outcome.LOST]
    )


def _lock_homeowner(*, phone: str, email: str, category: ServiceCategory) -> None:
    """Serialise submissions of one homeowner and category, so a double tap cannot slip
    two copies past the duplicate check. PostgreSQL: transaction-level advisory locks, in a
    fixed order; SQLite already runs one writing transaction at a time."""
    if connection.vendor != "postgresql":
        return
    keys = sorted({f"phone:{phone}:{category.pk}", f"email:{email}:{category.pk}"})
    with connection.cursor() as cursor:
        for key in keys:
            digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)]
            )


@transaction.atomic
def submit_quote_request(request: QuoteRequest, *, submission: Submission) -> Lead:
    """Record a homeowner's request with its consent, then screen it.

    Same homeowner and category within 30 days: linked to the earlier lead. While that
    one is still being handled (being_handled()) the new one is closed as a duplicate,
    unless it asks a specific pro through their profile; otherwise it is a new job and
    goes on, and routing never sells it to a pro who bought the earlier one.
    """
    email = request.email.strip().lower()
    _lock_homeowner(phone=request.phone, email=email, category=request.category)
    earlier = find_duplicate(phone=request.phone, email=email, category=request.category)
    lead = Lead.objects.create(
        reference=_new_reference(),
        status_token=secrets.token_urlsafe(32),
        category=request.category,
        zip_code=request.zip_code,
        street_address=request.street_address.strip(),
        description=request.description.strip(),
        timeframe=request.timeframe,
        job_size=request.job_size,
        ownership=request.ownership,
        estimated_value_cents=policy.estimate_job_value_cents(request.category, request.job_size),
        name=request.name.strip(),
        phone=request.phone,
        email=email,
        preferred_contact=request.preferred_contact,
        one_pro_only=request.one_pro_only,
        max_pros=policy.max_pros_for(one_pro_only=request.one_pro_only),
        profile_contractor=request.profile_contractor,
        # Nobody does this job here: said at once (page, email), and counted for ops.
        unserved=request.profile_contractor is None
        and not queries.covered(category_id=request.category.pk, zip_code_id=request.zip_code.pk),
        duplicate_of=earlier,
        referrer=submission.referrer[:500],
        landing_page=submission.landing_page[:500],
        channel=submission.channel,
        **{f"utm_{k}": str(v)[:100] for k, v in submission.utm.items() if v},
    )
    Consent.objects.create(
        lead=lead,
        text=submission.consent_text,
        method=submission.consent_method,
        given_at=lead.created_at,
        ip_address=submission.ip_address,
        user_agent=submission.user_agent[:500],
    )
    new_pro = (
        request.profile_contractor is not None
        and earlier is not None
        and earlier.profile_contractor_id != request.profile_contractor.pk
    )
    still_handled = (
        earlier is not None and Lead.objects.filter(being_handled(), pk=earlier.pk).exists()
    )
    if still_handled and not new_pro:
        # Answered on the page only: a double tap, or a script posting one request over
        # and over, must not send an email each time; the earlier request's confirmation
        # went out already.
        _set_status(
            lead,
            Lead.Status.REJECTED,
            reason=Lead.RejectReason.DUPLICATE,
            note=f"Same request as {earlier.reference}, still being handled.",
        )
        return lead
    screen(lead, duplicate_of=earlier)
    # In the outbox with the lead: sent after commit, retried and swept like every message.
    _tell_homeowner(lead, "received")
    return lead


def _tell_homeowner(lead: Lead, template: str, **context) -> None:
    """Email the homeowner (through the outbox, after commit), times in their zip's zone,
    with their request and its private status link."""
    notify_address(
        lead.email,
        time_zone=lead.zip_code.timezone,
        template=template,
        context={"lead": lead, "status_url": status_url(lead), **context},
    )


def screen(lead: Lead, *, duplicate_of: Lead | None = None) -> Lead:
    """Automatic screening: clean leads open for routing, flagged ones wait for a person."""
    flags = policy.screening_flags(lead)
    if duplicate_of is not None:
        flags.append(
            policy.Flag(
                LeadFlag.Code.DUPLICATE,
                f"Same homeowner asked for {lead.category.name} in {duplicate_of.reference} "
                f"on {clock.local_date(lead.zip_code, duplicate_of.created_at):%b %-d}",
            )
        )
        if duplicate_of.rejection_reason in policy.HOLD_AFTER_REJECTION:
            flags.append(
                policy.Flag(
                    LeadFlag.Code.PRIOR_REJECTION,
                    f"{duplicate_of.reference} was rejected: "
                    f"{duplicate_of.get_rejection_reason_display().lower()}",
                )
            )
    LeadFlag.objects.bulk_create(
        [LeadFlag(lead=lead, code=flag.code, detail=flag.detail[:300]) for flag in flags]
    )
    # A duplicate of a finished lead may still be sold (never to the earlier buyers):
    # that flag alone does not hold it.
    holding = [f for f in flags if f.code != LeadFlag.Code.DUPLICATE]
    _set_status(lead, Lead.Status.SCREENING if holding else Lead.Status.OPEN)
    return lead


# Why a pending offer is taken back, as the pro is told ("The plumbing lead in Austin ...").
WITHDRAWN_FULL = "was taken by other pros"
WITHDRAWN_BY_OPS = "was withdrawn by Fairlead"


def _set_status(
    lead: Lead, status: str, *, reason: str = "", note: str = "", why: str = WITHDRAWN_FULL
) -> None:
    """Every change of a lead's status goes through here (the lead locked by the caller).
    A lead that leaves "open", however (filled, won, disputed, expired), stops there: its
    waves not sent yet never go out, and its pending offers are withdrawn, their pros told
    `why`."""
    leaving_open = lead.status == Lead.Status.OPEN and status != Lead.Status.OPEN
    lead.status = status
    lead.rejection_reason = reason
    lead.rejection_note = note[:300]
    lead.save(update_fields=["status", "rejection_reason", "rejection_note", "updated_at"])
    if status == Lead.Status.OPEN:
        from .tasks import route_lead

        enqueue_on_commit(route_lead, lead.pk)
    if leaving_open:
        now = timezone.now()
        Wave.objects.filter(lead=lead, sent_at__isnull=True).update(sent_at=now)
        _withdraw_pending(lead, now=now, why=why)


def status_url(lead: Lead) -> str:
    from django.conf import settings
    from django.urls import reverse

    return settings.SITE_URL + reverse("leads:status", args=[lead.status_token])


# --- Screening decisions ---------------------------------------------------------------------


@transaction.atomic
def verify_lead(
    lead: Lead,
    *,
    by,
    category: ServiceCategory | None = None,
    estimated_value_cents: int | None = None,
    note: str = "",
    reached_homeowner: bool = False,
) -> Lead:
    """A screener confirms a held lead, optionally correcting category or value; it opens.
    `reached_homeowner`: the screener spoke with or heard back from the homeowner, which
    later rules out non-contact credits."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.status != Lead.Status.SCREENING:
        raise NotScreenable(
            f"{lead.reference} is {lead.get_status_display().lower()}, not waiting."
        )
    changes = {}
    if category is not None and category != lead.category:
        changes["category"] = [lead.category.slug, category.slug]
        lead.category = category
    if estimated_value_cents is not None and estimated_value_cents != lead.estimated_value_cents:
        if estimated_value_cents < 100:
            raise IntakeError(
                "The estimated value must be at least $1.00.", field="estimated_value_cents"
            )
        changes["estimated_value_cents"] = [lead.estimated_value_cents, estimated_value_cents]
        lead.estimated_value_cents = estimated_value_cents
    if reached_homeowner and lead.verification_reached_at is None:
        lead.verification_reached_at = timezone.now()
        changes["verification_reached"] = [False, True]
    lead.save(
        update_fields=["category", "estimated_value_cents", "verification_reached_at", "updated_at"]
    )
    ScreeningDecision.objects.create(
        lead=lead,
        outcome=ScreeningDecision.Outcome.VERIFIED,
        decided_by=by,
        note=note,
        changes=changes,
    )
    _set_status(lead, Lead.Status.OPEN)
    return lead


@transaction.atomic
def reject_lead(lead: Lead, *, by, reason: str, note: str = "") -> Lead:
    """A screener rejects a held lead with a reason; it is never offered to anyone."""
    if reason not in Lead.RejectReason.values:
        raise IntakeError("Choose a reason for rejecting.", field="reason")
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.status not in {Lead.Status.SCREENING, Lead.Status.SUBMITTED}:
        raise NotScreenable(
            f"{lead.reference} is {lead.get_status_display().lower()}, not waiting."
        )
    ScreeningDecision.objects.create(
        lead=lead,
        outcome=ScreeningDecision.Outcome.REJECTED,
        decided_by=by,
        reason=reason,
        note=note,
    )
    _set_status(lead, Lead.Status.REJECTED, reason=reason, note=note)
    return lead


# --- The homeowner's status link -------------------------------------------------------------


@transaction.atomic
def dispute_lead(lead: Lead) -> Lead:
    """ "I didn't make this request": flag it, and stop it if nobody has it yet. Idempotent."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.homeowner_disputed_at is not None:
        return lead
    lead.homeowner_disputed_at = timezone.now()
    lead.save(update_fields=["homeowner_disputed_at", "updated_at"])
    if lead.is_active:
        _set_status(
            lead,
            Lead.Status.REJECTED,
            reason=Lead.RejectReason.NOT_REQUESTED,
            note="The homeowner said they did not make this request.",
            why="was closed: the homeowner told us they did not make this request",
        )
    # Pros who bought it are about to call someone who says they never asked: tell them,
    # and where a credit is asked for.
    notify_contractors(
        [
            (
                purchase.contractor,
                "homeowner_disputed",
                {"purchase": purchase, "lead": lead},
                reverse("leads:lead", args=[purchase.pk]),
            )
            for purchase in lead.purchases.select_related("contractor__user")
        ]
    )
    return lead


def close_invalid_lead(lead: Lead, *, label: str) -> None:
    """Fairlead found a lead invalid (its buyers are credited): it stops here, so nobody
    else is offered or sold it. The caller holds the lead's lock."""
    if lead.is_active:
        _set_status(
            lead,
            Lead.Status.REJECTED,
            reason=Lead.RejectReason.FOUND_INVALID,
            note=f"Found invalid by Fairlead: {label}.",
            why="was closed: Fairlead found the request invalid",
        )


@transaction.atomic
def homeowner_hired(lead: Lead) -> Lead:
    """The homeowner says they hired someone: the request stops (filled), and no more pros
    are offered it. Idempotent."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.homeowner_hired_at is not None or not lead.is_active:
        return lead
    lead.homeowner_hired_at = timezone.now()
    lead.save(update_fields=["homeowner_hired_at", "updated_at"])
    _set_status(lead, Lead.Status.FILLED, why="was closed: the homeowner has hired a pro")
    return lead


# --- Routing hand-off ------------------------------------------------------------------------


def unrouted_lead_ids() -> list[int]:
    """Open leads routing never took (the broker was down when they were saved)."""
    from django.conf import settings

    cutoff = timezone.now() - settings.ROUTING_SWEEP_AFTER
    return list(
        Lead.objects.filter(
            status=Lead.Status.OPEN, routed_at__isnull=True, updated_at__lt=cutoff
        ).values_list("pk", flat=True)[:500]
    )


# --- Routing and offers (DESIGN, Lead lifecycle steps 4 to 7) ------------------------------

TIER_ORDER = [Contractor.Tier.ELITE, Contractor.Tier.PRO, Contractor.Tier.BASE]


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


def route(lead_id: int) -> Lead | None:
    """Take an open lead, once, and start its offers (DESIGN, Lead lifecycle step 4): a
    profile lead goes to its pro alone; else the subscriber of its (zip, category)
    territory, if available, has it alone for TERRITORY_WINDOW_MINUTES; else, and after
    that window, it enters the marketplace in waves by tier (elite, pro, base after
    WAVE_DELAYS_MINUTES)."""
    lead = _start_routing(lead_id)
    if lead is not None and not lead.profile_contractor_id:
        # The waves are saved: if sending the first one fails here, beat sends it.
        send_due_waves(lead_id=lead.pk)
    return lead


@transaction.atomic
def _start_routing(lead_id: int) -> Lead | None:
    """Claim the lead and create its profile offer or its waves in one transaction, so a
    failure leaves it unrouted for the task's retry and the sweep."""
    lead = Lead.objects.select_for_update().filter(pk=lead_id).first()
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
            _set_status(
                lead,
                Lead.Status.REJECTED,
                reason=Lead.RejectReason.DUPLICATE,
                note=f"{pro.business_name} already bought this homeowner's request.",
            )
            return lead
        if not _chosen_pro_can_take(lead, pro, now=now):
            # Paused, deactivated, out of funds or over their limits since the homeowner
            # picked them: no offer they cannot accept; the homeowner decides what next.
            _ask_homeowner(lead)
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
    _schedule_waves(lead, start=start)


def _chosen_pro_can_take(lead: Lead, pro: Contractor, *, now) -> bool:
    """Could the pro a homeowner chose buy this profile lead now? Not star-gated (seed
    004's gate is for marketplace leads)."""
    price = _price(lead, Offer.Route.PROFILE).cents
    return (
        queries.buyers(lead, price_cents=price, now=now, star_gated=False)
        .filter(pk=pro.pk, account__balance_cents__gte=price)
        .exists()
    )


def _ask_homeowner(lead: Lead) -> None:
    """The chosen pro cannot take the request: ask the homeowner, once, whether to send it
    to other pros (by email, answered on the status page). Without their word it goes to
    nobody else: their consent named that pro alone."""
    if lead.chosen_pro_unavailable_at is not None or lead.released_at is not None:
        return
    lead.chosen_pro_unavailable_at = timezone.now()
    lead.save(update_fields=["chosen_pro_unavailable_at", "updated_at"])
    _tell_homeowner(
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
    _route_general(lead, now=now)
    send_due_waves(lead_id=lead.pk)  # the first wave goes out now, as at routing
    return lead


def _schedule_waves(lead: Lead, *, start) -> None:
    """The lead's marketplace waves, saved so beat sends each when due; rescheduling moves
    the ones not sent yet."""
    for tier, delay in zip(TIER_ORDER, settings.WAVE_DELAYS_MINUTES, strict=True):
        due_at = start + timedelta(minutes=delay)
        if not Wave.objects.filter(lead=lead, tier=tier, sent_at__isnull=True).update(
            due_at=due_at
        ):
            Wave.objects.bulk_create(
                [Wave(lead=lead, tier=tier, due_at=due_at)], ignore_conflicts=True
            )


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
            contractors = list(
                queries.eligible_contractors(
                    lead,
                    tier=wave.tier,
                    price_cents=_price(lead, Offer.Route.MARKETPLACE).cents,
                    now=now,
                )
            )
            offers = _make_offers(
                lead, contractors, route=Offer.Route.MARKETPLACE, tier=wave.tier, now=now
            )
            Wave.objects.filter(pk=wave.pk).update(offers_made=len(offers))
            sent += 1
    return sent


def _price(lead: Lead, route: str):
    return lead_price(
        route=route, category=lead.category, estimated_value_cents=lead.estimated_value_cents
    )


def _make_offers(
    lead: Lead, contractors, *, route: str, tier: str, now, expires=None
) -> list[Offer]:
    price = _price(lead, route)
    expires = expires or now + timedelta(minutes=settings.OFFER_TTL_MINUTES)
    offers = Offer.objects.bulk_create(
        [
            Offer(
                lead=lead,
                contractor=contractor,
                route=route,
                tier=tier,
                price_cents=price.cents,
                offered_at=now,
                expires_at=expires,
            )
            for contractor in contractors
        ]
    )
    context = {
        "price": cents(price.cents),
        "formula": price.formula,
        "value": cents(lead.estimated_value_cents),
    }
    notify_contractors(
        [
            (
                offer.contractor,
                "new_offer",
                {**context, "offer": offer},
                reverse("leads:offers"),
            )
            for offer in offers
        ],
        expires_at=expires,  # a text held by quiet hours is dropped once the offer expired
    )
    return offers


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
        _end_territory_window(lead, now=now)
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
    offer.status = Offer.Status.ACCEPTED
    offer.responded_at = now
    offer.save(update_fields=["status", "responded_at"])
    if exclusive or offer.route == Offer.Route.PROFILE or taken + 1 >= lead.max_pros:
        # Full; or exclusive (a territory lead is not resold); or the pro the homeowner
        # chose bought it: the request is answered.
        _set_status(lead, Lead.Status.FILLED)
    notify_contractor(
        contractor,
        template="lead_purchased",
        context={"purchase": purchase, "price": cents(purchase.price_cents)},
        link=reverse("leads:lead", args=[purchase.pk]),
    )
    _tell_homeowner(
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


def _withdraw_pending(lead: Lead, *, now, why: str) -> int:
    pending = list(
        lead.offers.filter(status=Offer.Status.PENDING).select_related("contractor__user")
    )
    Offer.objects.filter(pk__in=[o.pk for o in pending], status=Offer.Status.PENDING).update(
        status=Offer.Status.WITHDRAWN, responded_at=now
    )
    notify_contractors(
        [
            (
                o.contractor,
                "offer_withdrawn",
                {"offer": o, "why": why},
                reverse("leads:offers"),
            )
            for o in pending
        ]
    )
    return len(pending)


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
            _end_territory_window(offer.lead, now=now)
        elif offer.route == Offer.Route.PROFILE:
            _ask_homeowner(offer.lead)
    return offer


def _territory_window(lead: Lead) -> Offer | None:
    """The subscriber's pending offer while the lead is theirs alone, else None."""
    return (
        lead.offers.filter(route=Offer.Route.TERRITORY, status=Offer.Status.PENDING)
        .select_related("contractor")
        .first()
    )


def _end_territory_window(lead: Lead, *, now) -> None:
    """The subscriber passed, or ops took their offer back: the marketplace waves go out
    now instead of at the window's end, so the lead never waits for nothing."""
    from .tasks import send_lead_waves

    _schedule_waves(lead, start=now)
    enqueue_on_commit(send_lead_waves, lead.pk)


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
        _ask_homeowner(lead)  # the chosen pro let it pass
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
                _set_status(lead, Lead.Status.FILLED, why=why)
                continue
            _set_status(lead, Lead.Status.EXPIRED, why=why)
            _tell_homeowner(lead, "lead_expired")
            expired_leads += 1
    return {"offers": expired_offers, "leads": expired_leads}


# --- After the sale (DESIGN, Lead lifecycle step 8) -----------------------------------------


def log_contact_attempt(
    purchase: Purchase, *, channel: str, result: str, attempted_at=None, note: str = ""
) -> ContactAttempt:
    """Record a call, text or email to the homeowner. Reaching them marks it contacted.
    `attempted_at` is aware (the form reads it in the contractor's zone, the API with its
    offset); when it was logged is kept too (created_at), for the credit policy."""
    now = timezone.now()
    attempted_at = attempted_at or now
    if timezone.is_naive(attempted_at):
        raise DomainError("Give the time with its time zone.", field="attempted_at")
    if attempted_at > now + timedelta(minutes=5):
        raise DomainError("An attempt cannot be in the future.", field="attempted_at")
    if attempted_at < purchase.created_at - timedelta(minutes=1):
        raise DomainError("An attempt cannot be before you bought the lead.", field="attempted_at")
    attempt = ContactAttempt.objects.create(
        purchase=purchase, channel=channel, result=result, attempted_at=attempted_at, note=note
    )
    if result == ContactAttempt.Result.REACHED and purchase.outcome == Purchase.Outcome.NEW:
        if Purchase.objects.filter(pk=purchase.pk, outcome=Purchase.Outcome.NEW).update(
            outcome=Purchase.Outcome.CONTACTED
        ):
            purchase.outcome = Purchase.Outcome.CONTACTED
    recompute_star_score(purchase.contractor)  # responsiveness is part of the score
    return attempt


class OutcomeNotAllowed(DomainError):
    status_code = 409
    field = "outcome"


def record_outcome(
    purchase: Purchase,
    *,
    outcome: str,
    final_value_cents: int | None = None,
    lost_reason: str = "",
    expected: str | None = None,
) -> Purchase:
    """Move a bought lead along: contacted, appointment booked, won (with the final job
    value) or lost (with a reason), only by the steps policy.OUTCOME_STEPS allows; won is
    final. A compare-and-set from `expected` (the outcome the caller saw; by default the
    one on `purchase`): an update made meanwhile from another page or the API is never
    overwritten, the caller is told instead. A won job closes the lead: it is filled and
    no more pros are offered it."""
    Outcome = Purchase.Outcome
    if outcome not in Outcome.values:
        raise DomainError("Pick one of the listed outcomes.", field="outcome")
    if outcome == Outcome.WON and not final_value_cents:
        raise DomainError(
            "Enter the final job value of the job you won.", field="final_value_cents"
        )
    if outcome == Outcome.LOST and not lost_reason.strip():
        raise DomainError("Say briefly why the job was lost.", field="lost_reason")
    expected = expected or purchase.outcome
    if expected == outcome and outcome in (Outcome.NEW, Outcome.CONTACTED, Outcome.APPOINTMENT):
        return purchase  # nothing to change
    if expected == Outcome.WON:
        if outcome == Outcome.WON and final_value_cents == purchase.final_value_cents:
            return purchase  # the same report again
        raise OutcomeNotAllowed(
            "This job is marked won: its outcome and final value are final. Contact Fairlead "
            "if it needs a correction."
        )
    if outcome not in policy.OUTCOME_STEPS[expected]:
        raise OutcomeNotAllowed(
            f"A job marked {Outcome(expected).label.lower()} cannot go back to "
            f"{Outcome(outcome).label.lower()}."
        )
    now = timezone.now()
    updates = {
        "outcome": outcome,
        "final_value_cents": final_value_cents if outcome == Outcome.WON else None,
        "lost_reason": lost_reason.strip()[:200] if outcome == Outcome.LOST else "",
    }
    if outcome in (Outcome.APPOINTMENT, Outcome.WON):
        # A booking stays booked, even if the job is lost later (analytics count it).
        updates["appointment_booked_at"] = Coalesce(F("appointment_booked_at"), Value(now))
    if outcome == Outcome.WON:
        updates["won_at"] = now
    with transaction.atomic():
        # Lead first, as accept takes it: a won job fills the lead in the same transaction.
        lead = Lead.objects.select_for_update().get(pk=purchase.lead_id)
        if not Purchase.objects.filter(pk=purchase.pk, outcome=expected).update(**updates):
            current = Purchase.objects.get(pk=purchase.pk).get_outcome_display().lower()
            raise OutcomeNotAllowed(
                f"The outcome changed meanwhile: it is now {current}. Reload the lead and "
                "try again."
            )
        if outcome == Outcome.WON and lead.status == Lead.Status.OPEN:
            _set_status(lead, Lead.Status.FILLED, why="was closed: the homeowner has hired a pro")
        purchase.refresh_from_db()
        if outcome == Outcome.WON:
            invite_review(purchase)  # the homeowner can review the pro right away
    return purchase


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
    for tier in TIER_ORDER:
        contractors = list(
            queries.eligible_contractors(lead, tier=tier, price_cents=price, now=now)
        )
        made += len(
            _make_offers(lead, contractors, route=Offer.Route.MARKETPLACE, tier=tier, now=now)
        )
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
    withdrawn = _withdraw_pending(lead, now=now, why=WITHDRAWN_BY_OPS)
    if chosen_pro_had_it and lead.status == Lead.Status.OPEN:
        _ask_homeowner(lead)  # the pro they chose will not answer: they decide what next
    if in_window and lead.status == Lead.Status.OPEN:
        _end_territory_window(lead, now=now)
    return withdrawn


# --- Reviews and the star score (issue 8) ---------------------------------------------------

REVIEW_INVITE_AFTER = timedelta(days=14)


def score_parts(contractor: Contractor, *, now=None):
    """The contractor's star score and its parts, from visible reviews and response times."""
    from django.db.models import Min

    now = now or timezone.now()
    ratings = list(
        Review.objects.filter(
            purchase__contractor=contractor, submitted_at__isnull=False, hidden=False
        ).values_list("rating", "submitted_at")
    )
    delays = [
        (first - bought) if first else None
        for bought, first in Purchase.objects.filter(contractor=contractor)
        .annotate(first=Min("attempts__attempted_at"))
        .values_list("created_at", "first")
    ]
    return scoring.compute(ratings=ratings, first_attempt_delays=delays, now=now)


def recompute_star_score(contractor: Contractor) -> float | None:
    """Store the contractor's unrounded star score; none before their first review
    (scoring.py says why)."""
    parts = score_parts(contractor)
    exact = parts.exact if parts.review_count else None
    Contractor.objects.filter(pk=contractor.pk).update(star_score=exact)
    return exact


def recompute_star_scores() -> int:
    """Beat, nightly: reviews fade with age, so every stored score moves even without an
    event; a pro under the threshold is let back in when old reviews weigh less."""
    ids = list(
        Contractor.objects.filter(
            Q(star_score__isnull=False) | Q(purchases__review__submitted_at__isnull=False)
        )
        .distinct()
        .values_list("pk", flat=True)
    )
    for contractor in Contractor.objects.filter(pk__in=ids).iterator():
        recompute_star_score(contractor)
    return len(ids)


def invite_review(purchase: Purchase) -> Review | None:
    """Email the homeowner a private link to review the pro, once per purchase; never to one
    who said they did not make the request (also when they said it after the purchase)."""
    if purchase.lead.homeowner_disputed_at is not None:
        return None
    review, created = Review.objects.get_or_create(
        purchase=purchase,
        defaults={"token": secrets.token_urlsafe(32), "invited_at": timezone.now()},
    )
    if created:
        lead = purchase.lead
        _tell_homeowner(
            lead,
            "review_invite",
            contractor_name=purchase.contractor.business_name,
            review_url=settings.SITE_URL + reverse("leads:review", args=[review.token]),
        )
    return review


def invite_due_reviews() -> int:
    """Beat: purchases 14 days old get their review invitation (won ones get it at once)."""
    due = Purchase.objects.filter(
        created_at__lte=timezone.now() - REVIEW_INVITE_AFTER,
        review__isnull=True,
        lead__homeowner_disputed_at__isnull=True,
    ).select_related("lead", "contractor")[:500]
    return sum(1 for purchase in due if invite_review(purchase))


@transaction.atomic
def submit_review(review: Review, *, rating: int, text: str) -> Review:
    """The homeowner's review: once, 1 to 5 stars."""
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.submitted_at is not None:
        raise DomainError("You already reviewed this pro. Thank you!")
    if rating not in range(1, 6):
        raise DomainError("Choose 1 to 5 stars.", field="rating")
    review.rating, review.text, review.submitted_at = rating, text.strip()[:2000], timezone.now()
    review.save(update_fields=["rating", "text", "submitted_at"])
    recompute_star_score(review.purchase.contractor)
    return review


@transaction.atomic
def reply_to_review(review: Review, *, contractor: Contractor, text: str) -> Review:
    """The pro answers publicly, once."""
    review = Review.objects.select_for_update().get(pk=review.pk, purchase__contractor=contractor)
    if review.submitted_at is None:
        raise DomainError("There is no review to reply to yet.")
    if review.replied_at is not None:
        raise DomainError("You already replied to this review.")
    if not text.strip():
        raise DomainError("Write your reply.", field="reply")
    review.reply, review.replied_at = text.strip()[:1000], timezone.now()
    review.save(update_fields=["reply", "replied_at"])
    return review


@transaction.atomic
def hide_review(review: Review, *, reason: str) -> Review:
    """Ops hide a review (it then counts for nothing), always with a reason."""
    if not reason.strip():
        raise DomainError("Say why the review is hidden.", field="hidden_reason")
    review.hidden, review.hidden_reason = True, reason.strip()[:200]
    review.save(update_fields=["hidden", "hidden_reason"])
    recompute_star_score(review.purchase.contractor)
    return review
