"""What happens to a lead, by sub-domain (each module opens with what it owns):

- intake.py: submit, duplicates, screening decisions, the homeowner's dispute and "hired";
- routing.py: route, waves, offers, expiry, re-route, withdraw, release a profile lead;
- buying.py: accept (buy) or decline an offer;
- aftersale.py: contact attempts, outcomes, reviews, the star score;
- lifecycle.py: status changes and status links the others share.

They import lifecycle (and buying imports routing), never in a circle. The public names are
re-exported here so views, API, tasks, admin and tests keep calling `services.accept_offer`.
"""

from marketplace.errors import DomainError

from .aftersale import (
    OutcomeNotAllowed,
    hide_review,
    invite_due_reviews,
    invite_review,
    log_contact_attempt,
    recompute_star_score,
    recompute_star_scores,
    record_outcome,
    reply_to_review,
    score_parts,
    submit_review,
)
from .buying import (
    LeadClosed,
    LeadFull,
    NotABuyer,
    OfferNotFound,
    OfferNotPending,
    accept_offer,
    decline_offer,
)
from .intake import (
    REFERENCE_ALPHABET,
    IntakeError,
    NotScreenable,
    QuoteRequest,
    Submission,
    clean_category,
    clean_description,
    clean_phone,
    clean_profile_contractor,
    clean_zip,
    close_invalid_lead,
    dispute_lead,
    find_duplicate,
    homeowner_hired,
    reject_lead,
    screen,
    submit_quote_request,
    verify_lead,
)
from .lifecycle import (
    ACTIVE_STATUSES,
    WITHDRAWN_BY_OPS,
    WITHDRAWN_FULL,
    being_handled,
    set_status,
    status_url,
    tell_homeowner,
    withdraw_pending,
)
from .routing import (
    NotReleasable,
    ask_homeowner,
    end_territory_window,
    expire_offers_and_leads,
    release_profile_lead,
    reroute_lead,
    route,
    send_due_waves,
    unrouted_lead_ids,
    withdraw_offers,
)

__all__ = [
    "ACTIVE_STATUSES",
    "DomainError",
    "IntakeError",
    "LeadClosed",
    "LeadFull",
    "NotABuyer",
    "NotReleasable",
    "NotScreenable",
    "OfferNotFound",
    "OfferNotPending",
    "OutcomeNotAllowed",
    "QuoteRequest",
    "REFERENCE_ALPHABET",
    "Submission",
    "WITHDRAWN_BY_OPS",
    "WITHDRAWN_FULL",
    "accept_offer",
    "ask_homeowner",
    "being_handled",
    "clean_category",
    "clean_description",
    "clean_phone",
    "clean_profile_contractor",
    "clean_zip",
    "close_invalid_lead",
    "decline_offer",
    "dispute_lead",
    "end_territory_window",
    "expire_offers_and_leads",
    "find_duplicate",
    "hide_review",
    "homeowner_hired",
    "invite_due_reviews",
    "invite_review",
    "log_contact_attempt",
    "recompute_star_score",
    "recompute_star_scores",
    "record_outcome",
    "reject_lead",
    "release_profile_lead",
    "reply_to_review",
    "reroute_lead",
    "route",
    "score_parts",
    "screen",
    "send_due_waves",
    "set_status",
    "status_url",
    "submit_quote_request",
    "submit_review",
    "tell_homeowner",
    "unrouted_lead_ids",
    "verify_lead",
    "withdraw_offers",
    "withdraw_pending",
]
