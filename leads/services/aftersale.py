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
)
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
    attempt = ContactAttempt.objects.create(
        purchase=purchase,
        channel=channel,
        result=result,
        attempted_at=attempted_at,
        note=note,
        verified=verified,
        duration_seconds=duration_seconds,
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
            set_status(lead, Lead.Status.FILLED, why="was closed: the homeowner has hired a pro")
        purchase.refresh_from_db()
        if outcome == Outcome.WON:
            invite_review(purchase)  # the homeowner can review the pro right away
    return purchase


def score_parts(contractor: Contractor, *, now=None):
    """The contractor's star score and its parts, from visible reviews and response times."""

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
