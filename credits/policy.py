"""The lead credit policy as data and functions (seed 003, DESIGN "Credit policy").

Views, the API, the admin and tasks ask this module; nothing else decides whether a
claim may be filed, how much it credits, or why it is declined.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from leads.policy import contact_log_window_words, logged_late
from marketplace import clock


@dataclass(frozen=True)
class Reason:
    slug: str
    label: str
    help: str
    evidence_required: bool = False  # what the contractor learned from the homeowner
    partial: bool = False  # may be credited in part


REASONS = [
    Reason(
        "incorrect_contact",
        "Incorrect contact information",
        "The contact is a different person, not the one on the lead (or a co-owner or spouse "
        "of the property).",
        evidence_required=True,
    ),
    Reason("non_working_phone", "Non-working phone number", "The phone number does not work."),
    Reason(
        "wrong_category",
        "Wrong category",
        "The job is for a different kind of work than the lead's category. If you serve the "
        "right category, you are credited the difference in price.",
        partial=True,
    ),
    Reason(
        "wrong_location",
        "Wrong location",
        "The job is outside your service area, not where the lead's zip code says.",
    ),
    Reason(
        "duplicate",
        "Duplicate lead",
        "We delivered you this homeowner for the same category in the last 30 days.",
    ),
    Reason(
        "test_or_solicitation",
        "Testing or solicitation",
        "A company testing the system, or someone selling you a product or service.",
    ),
    Reason(
        "looking_for_work",
        "Looking for work",
        "The person wanted a job, not to hire a contractor.",
    ),
    Reason(
        "not_authorized",
        "Not authorized to hire",
        "The person does not own the property (and the job needs the owner) or is a minor.",
        evidence_required=True,
    ),
    Reason(
        "already_hired",
        "Work already hired or done",
        "The homeowner told you the work was hired or completed before we delivered the lead.",
        evidence_required=True,
    ),
    Reason(
        "did_not_request",
        "Customer did not make the request",
        "The homeowner told you they never asked for quotes.",
        evidence_required=True,
    ),
    Reason(
        "misleading_ad",
        "Misleading advertisement",
        "The homeowner says they asked because of misleading information (a 'free' service, "
        "a contest, an incentive).",
        evidence_required=True,
    ),
    Reason(
        "do_not_call",
        "Do-not-call request",
        "On your first contact the person asked to be put on the Do Not Call list.",
        evidence_required=True,
    ),
    Reason("fraudulent", "Fraudulent", "The request is fake or made with someone else's details."),
    Reason(
        "non_contact",
        "Non-contact",
        "You could not reach the homeowner although you called within minutes of delivery, "
        "again the same day, on day 2 and on day 3, and emailed or texted them. Log those "
        "attempts on the lead first: they are the evidence.",
    ),
]
REASONS_BY_SLUG = {reason.slug: reason for reason in REASONS}

# What ops can find themselves, and credit every buyer for without a claim.
PROACTIVE_REASONS = [
    "incorrect_contact",
    "non_working_phone",
    "did_not_request",
    "looking_for_work",
    "duplicate",
    "test_or_solicitation",
]

# Shown on the claim form so contractors do not file them: out of anyone's control.
NOT_CREDITABLE = [
    "You did not win the job, or they hired another company.",
    "The homeowner changed their mind after a valid request.",
    "The homeowner is shopping around.",
    "Affordability, or the homeowner could not get financing.",
    "A language barrier made it hard to talk with the homeowner.",
    "You received the same homeowner from another lead company, before or after us.",
    "The homeowner was already in your CRM or database.",
    "The project is valid but the homeowner is not ready to start right away.",
    "The job fits the category even if you do not offer that specific type of work.",
    "Only the street address is wrong (an exact address is not required).",
]

# Why a reviewer denies a claim: picked from here, then explained in free text.
DENY_REASONS = {
    "not_creditable": "The situation is not creditable under the policy.",
    "category_appropriate": "The job fits the lead's category.",
    "address_only": "Only the street address is wrong, which is not creditable.",
    "notes_insufficient": "The notes do not show why the lead should be credited.",
    "reason_mismatch": "What happened does not match the reason chosen.",
    "homeowner_contradicts": "The homeowner told us something that contradicts the claim.",
    "verification_reached": "Our verification reached the homeowner, so non-contact does "
    "not apply.",
    "job_won": "You marked this job won: a job you won is not creditable.",
}

# What a claim with a reason not on the list is told (form, API and instant decline alike).
UNKNOWN_REASON = "This reason is not on the credit policy's list of creditable situations."

# A purchase that cost nothing (a call lead whose call did not qualify) has nothing to credit.
NOT_CHARGED = "You were not charged for this lead, so there is nothing to credit."

# Why an approved credit is taken back.
REVERSAL_REASON = "The homeowner told us something that contradicts the approved credit."


def claim_window() -> timedelta:
    return timedelta(days=settings.CREDIT_CLAIM_WINDOW_DAYS)


def claim_deadline(delivered_at: datetime) -> datetime:
    """The last moment a claim can be filed: 5 days (setting) after delivery."""
    return delivered_at + claim_window()


def review_due_by(filed_at: datetime, *, time_zone: str) -> datetime:
    """The decision target: 2 business days (setting) after filing, counted in the
    contractor's zone; weekends and US federal holidays are skipped."""
    return clock.add_business_days(filed_at, settings.CREDIT_REVIEW_BUSINESS_DAYS, who=time_zone)


@dataclass(frozen=True)
class Attempt:
    channel: str  # call | text | email
    at: datetime
    reached: bool
    logged_at: datetime | None = None  # when it was entered; None: as it happened
    verified: bool = False  # logged by Fairlead itself: a call bridged through its number

    @property
    def logged_late(self) -> bool:
        return self.logged_at is not None and logged_late(
            attempted_at=self.at, logged_at=self.logged_at
        )


def non_contact_shortfall(
    attempts: list[Attempt], *, delivered_at: datetime, time_zone: str
) -> list[str]:
    """What the logged attempts still lack for a non-contact credit, in words; empty when
    the schedule is met. Days are the contractor's local days, delivery day being day 1.
    Only attempts logged within the log window of when they happened count."""
    if any(a.reached for a in attempts):
        return ["You reached the homeowner, so this is not a non-contact lead."]

    def local_day(moment: datetime) -> int:
        return clock.local_day_number(moment, first=delivered_at, who=time_zone)

    counted = [a for a in attempts if not a.logged_late]
    calls = sorted(a.at for a in counted if a.channel == "call")
    first_window = timedelta(minutes=settings.CREDIT_FIRST_CALL_MINUTES)
    missing = []
    first = next((c for c in calls if delivered_at <= c <= delivered_at + first_window), None)
    if first is None:
        missing.append(f"a call within {settings.CREDIT_FIRST_CALL_MINUTES} minutes of delivery")
    if not any(local_day(c) == 1 and c != first for c in calls):
        missing.append("a second call on the day of delivery")
    if not any(local_day(c) == 2 for c in calls):
        missing.append("a call on day 2")
    if not any(local_day(c) == 3 for c in calls):
        missing.append("a call on day 3")
    if not any(a.channel in {"text", "email"} for a in counted):
        missing.append("at least one email or text")
    return missing


# A call Fairlead bridged is proof the homeowner was reached on the lead's number: a claim
# that the number does not work, or that nobody could be reached, is declined at once.
CONTRADICTED_BY_A_CONNECTED_CALL = {"non_working_phone", "non_contact"}


def instant_decline(
    *,
    reason: str,
    notes: str,
    filed_at: datetime,
    delivered_at: datetime,
    attempts: list[Attempt],
    time_zone: str,
) -> str:
    """The reason a claim is declined at once, shown to the contractor; "" if it goes to
    review. The rules are the policy's "will be declined" list that needs no person."""
    if reason not in REASONS_BY_SLUG:
        return UNKNOWN_REASON
    if filed_at > claim_deadline(delivered_at):
        delivered_on = clock.local_date(time_zone, delivered_at)
        return (
            f"Credit requests must be filed within {settings.CREDIT_CLAIM_WINDOW_DAYS} days "
            f"of delivery; this lead was delivered on {delivered_on:%b %-d}."
        )
    if not (notes or "").strip():
        return "Add notes that explain what happened: claims without notes are declined."
    bridged = next((a for a in attempts if a.verified and a.reached), None)
    if reason in CONTRADICTED_BY_A_CONNECTED_CALL and bridged is not None:
        return (
            "Fairlead connected you with this homeowner on their number on "
            f"{clock.local_date(time_zone, bridged.at):%b %-d}: they were reached, so "
            f"{REASONS_BY_SLUG[reason].label.lower()} does not apply."
        )
    if reason == "non_contact":
        missing = non_contact_shortfall(attempts, delivered_at=delivered_at, time_zone=time_zone)
        if missing:
            message = (
                "Non-contact is creditable only after the full contact schedule. Still "
                "missing: " + "; ".join(missing) + "."
            )
            late = sum(a.logged_late for a in attempts)
            if late:
                message += (
                    f" {late} attempt{'s were' if late > 1 else ' was'} not counted: "
                    f"{'they were' if late > 1 else 'it was'} logged more than "
                    f"{contact_log_window_words()} after "
                    f"{'they' if late > 1 else 'it'} happened."
                )
            return message
    return ""


def no_difference_reason(*, category: str, corrected: str, paid: str) -> str:
    """Why a wrong-category claim credits nothing: the right category costs as much."""
    return (
        f"Denied: you serve {category}, and a {category} lead costs {corrected} on the route "
        f"you bought this one by, as much as or more than the {paid} you paid, so there is "
        "no price difference to credit."
    )


def partial_credit_cents(*, paid_cents: int, corrected_price_cents: int) -> int:
    """Wrong category, when the contractor serves the corrected one: the price difference
    (never more than what was paid, never negative)."""
    return max(0, min(paid_cents, paid_cents - corrected_price_cents))
