"""A homeowner's request coming in: validation shared by the form and the API, the
reference, duplicates, submit (with consent), automatic screening, the screeners' verify
and reject decisions, and the homeowner's own answers on the status link (I didn't make
this request, I already hired someone)."""

import hashlib
import re
import secrets
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from marketplace import clock, localcache
from marketplace.compiled import CompiledQuery
from marketplace.errors import DomainError
from marketplace.models import Contractor, ServiceCategory, ZipCode
from marketplace.notifications import (
    notify_contractors,
)
from marketplace.services import get_zip, normalize_phone
from marketplace.tasking import enqueue_on_commit
from marketplace.tasks import send_notification

# tasks imports these services too: tasks.X is looked up when a task is sent.
from .. import policy, queries, tasks
from ..models import (
    Consent,
    Lead,
    LeadFlag,
    Purchase,
    ScreeningDecision,
)
from .lifecycle import ACTIVE_STATUSES, set_status, tell_homeowner

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
    # Held for a person whatever the rules say (a caller's voicemail): (LeadFlag code, detail).
    hold_flags: list = field(default_factory=list)


def clean_category(slug_or_obj) -> ServiceCategory:
    if isinstance(slug_or_obj, ServiceCategory):
        category = slug_or_obj
    else:
        slug = str(slug_or_obj)
        category = localcache.categories.get(
            ("slug", slug), lambda: ServiceCategory.objects.filter(slug=slug).first()
        )
    if category is None or not category.active:
        raise IntakeError("Choose one of the services we offer.", field="category")
    return category


def clean_zip(code: str) -> ZipCode:
    """A zip of the catalog, from this process's copy of it (marketplace.localcache)."""
    code = (code or "").strip()
    if not re.fullmatch(r"\d{5}", code):
        return get_zip(code, field="zip_code")  # its error message
    zip_code = localcache.zips.get(("zip", code), lambda: ZipCode.objects.filter(code=code).first())
    if zip_code is None:
        return get_zip(code, field="zip_code")
    return zip_code


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


def _new_reference() -> str:
    # Not checked first: the unique constraint refuses a taken one, and the submission is
    # tried again with another (submit_quote_request).
    return "FL-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


def _handled():
    """A lead still being handled (lifecycle.being_handled()), as a condition on one row."""
    return Q(status__in=ACTIVE_STATUSES) & ~Exists(
        Purchase.objects.filter(
            lead=OuterRef("pk"), outcome__in=[Purchase.Outcome.WON, Purchase.Outcome.LOST]
        )
    )


def _earlier_leads(*, phone: str, category_id: int, since, email: str = ""):
    """The leads of the same homeowner (phone or email) and category since `since` that
    one links to, as two subqueries: the oldest still being handled (the original, not a
    copy already rejected), and the latest.

    One branch per way of knowing the homeowner, each an ORDER BY created_at LIMIT 1 that
    its index (lead_dup_phone_idx, lead_dup_email_idx) answers in order: the plan stays on
    those indexes whatever the statistics or the values (the statement is prepared), and a
    homeowner with a thousand rejected copies costs a row, not a thousand. With both ways,
    the pick between the two branches' rows is a primary-key lookup of two."""
    ways = [Q(phone=phone)] + ([Q(email=email)] if email else [])  # a caller has no email

    def first(order: str, *conditions):
        branches = [
            Lead.objects.filter(same, *conditions, category_id=category_id, created_at__gte=since)
            .order_by(order)
            .values("pk")[:1]
            for same in ways
        ]
        if len(branches) == 1:
            return Subquery(branches[0])
        return Subquery(
            Lead.objects.filter(pk__in=[Subquery(branch) for branch in branches])
            .order_by(order)
            .values("pk")[:1]
        )

    return first("created_at", _handled()), first("-created_at")


def _earlier_query(*, phone, category_id, since, email="", zip_code_id=""):
    oldest_handled, latest = _earlier_leads(
        phone=phone, email=email, category_id=category_id, since=since
    )
    columns = [oldest_handled, latest]
    if zip_code_id:
        columns.append(Exists(queries.covering(category_id=category_id, zip_code_id=zip_code_id)))
    # One row, whatever the subqueries find: the category's (unordered: nothing to sort).
    return ServiceCategory.objects.filter(pk=category_id).order_by().values_list(*columns)


# Compiled once per process (building it cost more than running it) and prepared: planning
# it cost PostgreSQL several times running it, on every request.
_EARLIER = CompiledQuery(_earlier_query, prepared=True)


def _covering_query(*, category_id, zip_code_id):
    return queries.covering(category_id=category_id, zip_code_id=zip_code_id).values_list("pk")


# Not prepared: the plan PostgreSQL would keep for any zip and category (a generic plan) may
# walk every pro of the category; planned with the values, it starts from the zip.
_COVERING = CompiledQuery(_covering_query)


def find_duplicate(*, phone: str, email: str, category: ServiceCategory) -> Lead | None:
    """The earlier lead of the same homeowner (phone or email) and category in 30 days.

    One still being handled wins (the oldest: the original, not a copy already
    rejected); else the latest one.
    """
    earlier_id, _, _ = _earlier_and_coverage(
        phone=phone, email=email, category=category, zip_code=None
    )
    return None if earlier_id is None else Lead.objects.get(pk=earlier_id)


def _earlier_and_coverage(
    *, phone: str, email: str, category: ServiceCategory, zip_code, covered=None
):
    """One statement: the earlier lead to link to (its id, and whether it is still being
    handled), and, unless `covered` is given, whether any pro who takes leads does this job
    in `zip_code` (queries.covering; None without a zip code)."""
    values = {
        "phone": phone,
        "category_id": category.pk,
        "since": timezone.now() - policy.DUPLICATE_WINDOW,
    }
    if email:  # the email's condition is there only when there is one
        values["email"] = email.lower()
    if covered is None and zip_code is not None:
        values["zip_code_id"] = zip_code.pk
    rows = _EARLIER.rows(shape=bool(email), **values)
    oldest_handled, latest, *coverage = rows[0] if rows else (None, None)
    if "zip_code_id" in values:
        covered = bool(coverage and coverage[0])
    earlier = latest if oldest_handled is None else oldest_handled
    return earlier, oldest_handled is not None, covered


def _lock_homeowner(*, phone: str, email: str, category: ServiceCategory, zip_code) -> bool | None:
    """Serialise submissions of one homeowner and category, so a double tap cannot slip
    two copies past the duplicate check. PostgreSQL: transaction-level advisory locks, in a
    fixed order, taken in one statement; SQLite already runs one writing transaction at a
    time, and this returns None.

    The same statement says whether any pro who takes leads does this job in `zip_code`
    (queries.covering; it needs no lock): planned with the values in a round trip made
    anyway, it leaves the duplicate check after the lock a statement PostgreSQL plans once
    (_EARLIER)."""
    if connection.vendor != "postgresql":
        return None
    keys = sorted(
        {f"phone:{phone}:{category.pk}"} | ({f"email:{email}:{category.pk}"} if email else set())
    )
    ids = [
        int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)
        for key in keys
    ]
    covering, params = _COVERING.sql(category_id=category.pk, zip_code_id=zip_code.pk)
    with connection.cursor() as cursor:
        # The select list is evaluated left to right: the same order for everyone.
        cursor.execute(
            "SELECT "
            + ", ".join(["pg_advisory_xact_lock(%s)"] * len(ids))
            + f", EXISTS ({covering})",
            [*ids, *params],
        )
        return cursor.fetchone()[-1]


REFERENCE_TRIES = 3


def submit_quote_request(request: QuoteRequest, *, submission: Submission) -> Lead:
    """Record a homeowner's request with its consent, screened: it is saved once, in its
    final status (open, held for a screener, or closed as a duplicate).

    Same homeowner and category within 30 days: linked to the earlier lead. While that
    one is still being handled (being_handled()) the new one is closed as a duplicate,
    unless it asks a specific pro through their profile; otherwise it is a new job and
    goes on, and routing never sells it to a pro who bought the earlier one.
    """
    for attempt in range(REFERENCE_TRIES):
        try:
            return _submit(request, submission=submission, reference=_new_reference())
        except IntegrityError as error:
            # Another lead has this reference (one in a billion): its own transaction (or
            # savepoint) was rolled back, so try again with a new one.
            if "reference" not in str(error) or attempt == REFERENCE_TRIES - 1:
                raise
    raise AssertionError("unreachable")


@transaction.atomic
def _submit(request: QuoteRequest, *, submission: Submission, reference: str) -> Lead:
    email = request.email.strip().lower()
    homeowner = {"phone": request.phone, "email": email, "category": request.category}
    # Whether any pro does this job here comes with the lock on PostgreSQL, else with the
    # duplicate check.
    covered = _lock_homeowner(**homeowner, zip_code=request.zip_code)
    earlier_id, earlier_handled, covered = _earlier_and_coverage(
        **homeowner, zip_code=request.zip_code, covered=covered
    )
    earlier = None
    if earlier_id is not None:
        earlier = Lead.objects.select_related("category").get(pk=earlier_id)
    lead = Lead(
        reference=reference,
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
        unserved=request.profile_contractor is None and not covered,
        duplicate_of=earlier,
        referrer=submission.referrer[:500],
        landing_page=submission.landing_page[:500],
        channel=submission.channel,
        **{f"utm_{k}": str(v)[:100] for k, v in submission.utm.items() if v},
    )
    new_pro = (
        request.profile_contractor is not None
        and earlier is not None
        and earlier.profile_contractor_id != request.profile_contractor.pk
    )
    flags = []
    if earlier_handled and not new_pro:
        # Answered on the page only: a double tap, or a script posting one request over
        # and over, must not send an email each time; the earlier request's confirmation
        # went out already.
        lead.status = Lead.Status.REJECTED
        lead.rejection_reason = Lead.RejectReason.DUPLICATE
        lead.rejection_note = f"Same request as {earlier.reference}, still being handled."
    else:
        flags = _screening_flags(lead, duplicate_of=earlier, hold_flags=submission.hold_flags)
        lead.status = _screened_status(flags)
    lead.save(force_insert=True)
    Consent.objects.create(
        lead=lead,
        text=submission.consent_text,
        method=submission.consent_method,
        given_at=lead.created_at,
        ip_address=submission.ip_address,
        user_agent=submission.user_agent[:500],
    )
    if flags:
        LeadFlag.objects.bulk_create(
            [LeadFlag(lead=lead, code=flag.code, detail=flag.detail[:300]) for flag in flags]
        )
    if lead.status == Lead.Status.REJECTED:
        return lead
    # In the outbox with the lead: sent after commit, retried and swept like every message.
    received = tell_homeowner(lead, "received", send=False)
    if lead.status == Lead.Status.OPEN:
        # One task: routing first (the fast queue), which then has the email sent.
        enqueue_on_commit(tasks.route_lead, lead.pk, then_send=[received.pk])
    else:
        enqueue_on_commit(send_notification, received.pk)
    return lead


def _screening_flags(lead: Lead, *, duplicate_of: Lead | None, hold_flags=()) -> list:
    """What holds this lead for a screener: the rules, the caller's `hold_flags` (code,
    detail), and an earlier request of the same homeowner."""
    flags = policy.screening_flags(lead) + [
        policy.Flag(code, detail) for code, detail in hold_flags
    ]
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
    return flags


def _screened_status(flags) -> str:
    # A duplicate of a finished lead may still be sold (never to the earlier buyers):
    # that flag alone does not hold it.
    holding = [f for f in flags if f.code != LeadFlag.Code.DUPLICATE]
    return Lead.Status.SCREENING if holding else Lead.Status.OPEN


def screen(lead: Lead, *, duplicate_of: Lead | None = None, hold_flags=()) -> Lead:
    """Automatic screening of a saved lead: clean leads open for routing, flagged ones
    wait for a person. `hold_flags`: (code, detail) pairs the caller knows of (a voicemail
    nobody screened). Intake screens before it saves (_submit)."""
    flags = _screening_flags(lead, duplicate_of=duplicate_of, hold_flags=hold_flags)
    LeadFlag.objects.bulk_create(
        [LeadFlag(lead=lead, code=flag.code, detail=flag.detail[:300]) for flag in flags]
    )
    set_status(lead, _screened_status(flags))
    return lead


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
    set_status(lead, Lead.Status.OPEN)
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
    set_status(lead, Lead.Status.REJECTED, reason=reason, note=note)
    return lead


@transaction.atomic
def dispute_lead(lead: Lead) -> Lead:
    """ "I didn't make this request": flag it, and stop it if nobody has it yet. Idempotent."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.homeowner_disputed_at is not None:
        return lead
    lead.homeowner_disputed_at = timezone.now()
    lead.save(update_fields=["homeowner_disputed_at", "updated_at"])
    if lead.is_active:
        set_status(
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
        set_status(
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
    set_status(lead, Lead.Status.FILLED, why="was closed: the homeowner has hired a pro")
    return lead
