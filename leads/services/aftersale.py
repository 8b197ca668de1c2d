"""After the sale (DESIGN, Lead lifecycle step 8): contact attempts, outcomes (a won job
closes the lead), review invitations, reviews and replies, and the star score."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Min, Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from marketplace.errors import DomainError
from marketplace.models import Contractor

from .. import policy, scoring
from ..models import (
    ContactAttempt,
    Lead,
    Purchase,
    Review,
    ScoreTotals,
)
from . import analytics
from .lifecycle import set_status, tell_homeowner


def log_contact_attempt(
    purchase: Purchase,
    *,
    channel: str,
    result: str,
    attempted_at=None,
    note: str = "",
    verified: bool = False,
    duration_seconds: int | None = None,
) -> ContactAttempt:
    """Record a call, text or email to the homeowner. Reaching them marks it contacted.
    `attempted_at` is aware (the form reads it in the contractor's zone, the API with its
    offset); when it was logged is kept too (created_at), for the credit policy.
    `verified`: Fairlead logged it itself (a call bridged through its number, with its
    real time and duration), not the contractor."""
    now = timezone.now()
    attempted_at = attempted_at or now
    if timezone.is_naive(attempted_at):
        raise DomainError("Give the time with its time zone.", field="attempted_at")
    if attempted_at > now + timedelta(minutes=5):
        raise DomainError("An attempt cannot be in the future.", field="attempted_at")
    if attempted_at < purchase.created_at - timedelta(minutes=1):
        raise DomainError("An attempt cannot be before you bought the lead.", field="attempted_at")
    with transaction.atomic():
        attempt = _create_attempt(
            purchase,
            channel=channel,
            result=result,
            attempted_at=attempted_at,
            note=note,
            verified=verified,
            duration_seconds=duration_seconds,
        )
        # Responsiveness is part of the score: counted, not recomputed from the history.
        totals, earlier = _count_attempt(purchase, attempt)
        _store_score(totals)
        analytics.count_first_attempt(purchase, before=earlier, after=attempt.attempted_at)
    return attempt


def _create_attempt(purchase: Purchase, *, result: str, **fields) -> ContactAttempt:
    attempt = ContactAttempt.objects.create(
        purchase=purchase,
        result=result,
        **fields,
    )
    if result == ContactAttempt.Result.REACHED and purchase.outcome == Purchase.Outcome.NEW:
        if Purchase.objects.filter(pk=purchase.pk, outcome=Purchase.Outcome.NEW).update(
            outcome=Purchase.Outcome.CONTACTED
        ):
            purchase.outcome = Purchase.Outcome.CONTACTED
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
        before = Purchase.objects.get(pk=purchase.pk)  # what analytics counted, under the lock
        if not Purchase.objects.filter(pk=purchase.pk, outcome=expected).update(**updates):
            current = Purchase.objects.get(pk=purchase.pk).get_outcome_display().lower()
            raise OutcomeNotAllowed(
                f"The outcome changed meanwhile: it is now {current}. Reload the lead and "
                "try again."
            )
        if outcome == Outcome.WON and lead.status == Lead.Status.OPEN:
            set_status(lead, Lead.Status.FILLED, why="was closed: the homeowner has hired a pro")
        purchase.refresh_from_db()
        analytics.count_purchase_change(purchase.pk, before=before, after=purchase)
        if outcome == Outcome.WON:
            invite_review(purchase)  # the homeowner can review the pro right away
    return purchase


# --- The star score: running totals (scoring.py says how) -----------------------------------


def _review_totals(contractor: Contractor) -> dict:
    """The review part of the totals, from the pro's visible reviews."""
    count, weight, points = 0, 0.0, 0.0
    for stars, at in Review.objects.filter(
        purchase__contractor=contractor, submitted_at__isnull=False, hidden=False
    ).values_list("rating", "submitted_at"):
        w = scoring.epoch_weight(at)
        count, weight, points = count + 1, weight + w, points + w * (stars - 1) / 4
    return {"reviews": count, "review_weight": weight, "review_points": points}


def _history_totals(contractor: Contractor) -> dict:
    """Every total from the whole history: the nightly recompute, and a pro's first event."""
    firsts = (
        Purchase.objects.filter(contractor=contractor)
        .annotate(first=Min("attempts__attempted_at"))
        .values_list("created_at", "first")
    )
    purchases, quick = 0, 0
    for bought, first in firsts:
        purchases += 1
        quick += scoring.in_time(first - bought if first else None)
    return {"purchases": purchases, "answered_in_time": quick, **_review_totals(contractor)}


def _locked_totals(contractor: Contractor) -> tuple[ScoreTotals, bool]:
    """The pro's totals row, locked for this transaction, and whether it was just made
    from the history (then it already counts the event at hand). Events and the rebuild
    both lock it, so a rebuild never loses an event."""
    totals = ScoreTotals.objects.select_for_update().filter(contractor=contractor).first()
    if totals is not None:
        return totals, False
    _, made = ScoreTotals.objects.get_or_create(
        contractor=contractor,
        defaults={**_history_totals(contractor), "rebuilt_at": timezone.now()},
    )
    return ScoreTotals.objects.select_for_update().get(contractor=contractor), made


def _parts(totals: ScoreTotals, now) -> scoring.ScoreParts:
    return scoring.from_totals(
        purchases=totals.purchases,
        answered_in_time=totals.answered_in_time,
        reviews=totals.reviews,
        review_weight=totals.review_weight,
        review_points=totals.review_points,
        now=now,
    )


def _store_score(totals: ScoreTotals) -> float | None:
    """Store the unrounded score the totals give now; none before the first review
    (scoring.py says why)."""
    parts = _parts(totals, timezone.now())
    exact = parts.exact if parts.review_count else None
    Contractor.objects.filter(pk=totals.contractor_id).update(star_score=exact)
    return exact


def score_parts(contractor: Contractor, *, now=None):
    """The contractor's star score and its parts, from the stored totals: one small read
    whatever the history. A pro with no totals yet (no event since they were introduced)
    has them made from the history once, here, not on every page load."""
    totals = ScoreTotals.objects.filter(contractor=contractor).first()
    if totals is None:
        with transaction.atomic():
            totals, _ = _locked_totals(contractor)
    return _parts(totals, now or timezone.now())


def count_purchase(contractor: Contractor) -> None:
    """A lead bought: one more purchase, not yet answered. In the buyer's transaction.
    The stored score is left as it was until the next attempt, review or nightly run."""
    if not ScoreTotals.objects.filter(contractor=contractor).update(purchases=F("purchases") + 1):
        with transaction.atomic():  # the buyer's, or its own (a purchase made in a test)
            _locked_totals(contractor)  # made from the history, this purchase included


def _count_attempt(purchase: Purchase, attempt: ContactAttempt) -> tuple[ScoreTotals, object]:
    """Was the purchase answered in time before this attempt, and is it now (an attempt
    may be logged with an earlier time than one already logged)? Also returns the first
    attempt before this one (None: this is the first), read under the totals' lock."""
    totals, made = _locked_totals(purchase.contractor)  # the rebuild waits for this event
    earlier = (
        ContactAttempt.objects.filter(purchase_id=purchase.pk)
        .exclude(pk=attempt.pk)
        .aggregate(first=Min("attempted_at"))["first"]
    )
    if made:
        return totals, earlier
    before = earlier is not None and scoring.in_time(earlier - purchase.created_at)
    first = attempt.attempted_at if earlier is None else min(earlier, attempt.attempted_at)
    after = scoring.in_time(first - purchase.created_at)
    if after != before:
        totals.answered_in_time += 1 if after else -1
        ScoreTotals.objects.filter(pk=totals.pk).update(
            answered_in_time=F("answered_in_time") + (1 if after else -1)
        )
    return totals, earlier


def _count_reviews(contractor: Contractor) -> None:
    """A review shown, hidden or shown again: the review totals anew (a pro's reviews
    are few), then the stored score."""
    totals, _ = _locked_totals(contractor)
    fresh = _review_totals(contractor)
    ScoreTotals.objects.filter(pk=totals.pk).update(**fresh)
    for name, value in fresh.items():
        setattr(totals, name, value)
    _store_score(totals)


@transaction.atomic
def recompute_star_score(contractor: Contractor) -> float | None:
    """Rebuild the contractor's totals from the whole history (fixing any drift) and store
    their unrounded star score."""
    totals, _ = _locked_totals(contractor)
    fresh = _history_totals(contractor)
    ScoreTotals.objects.filter(pk=totals.pk).update(**fresh, rebuilt_at=timezone.now())
    for name, value in fresh.items():
        setattr(totals, name, value)
    return _store_score(totals)


def recompute_star_scores() -> int:
    """Beat, nightly: reviews fade with age, so every stored score moves even without an
    event; a pro under the threshold is let back in when old reviews weigh less. The
    totals are rebuilt from the history on the way, for every pro who bought a lead."""
    ids = list(
        Contractor.objects.filter(
            Q(star_score__isnull=False)
            | Q(purchases__review__submitted_at__isnull=False)
            | Q(score_totals__isnull=False)
            | Q(purchases__isnull=False)  # the first night makes their totals
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
        tell_homeowner(
            lead,
            "review_invite",
            contractor_name=purchase.contractor.business_name,
            review_url=settings.SITE_URL + reverse("leads:review", args=[review.token]),
        )
    return review


def invite_due_reviews() -> int:
    """Beat: purchases 14 days old get their review invitation (won ones get it at once)."""
    due = Purchase.objects.filter(
        created_at__lte=timezone.now() - policy.REVIEW_INVITE_AFTER,
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
    _count_reviews(review.purchase.contractor)
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
    _count_reviews(review.purchase.contractor)
    return review
