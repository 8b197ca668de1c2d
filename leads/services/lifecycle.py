"""What every part of a lead's life shares: its status changes (compare-and-set, with the
homeowner told and routing started on commit), its private status link, which leads are
still being handled, and withdrawing pending offers.

intake, routing and aftersale import this module and never each other."""

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from marketplace.notifications import (
    notify_address,
    notify_contractors,
)
from marketplace.tasking import enqueue_on_commit

# tasks imports these services too: tasks.X is looked up when a task is sent.
from .. import tasks
from ..models import (
    Lead,
    Offer,
    Purchase,
    Wave,
)

ACTIVE_STATUSES = [Lead.Status.SUBMITTED, Lead.Status.SCREENING, Lead.Status.OPEN]


def being_handled() -> Q:
    """A lead still being worked on for the homeowner: screened or open, and no buyer has
    reported the job won or lost. A request of the same homeowner and category meanwhile
    is the same job again; after it, a new job (DESIGN, "A won job closes the lead")."""
    return Q(status__in=ACTIVE_STATUSES) & ~Q(
        purchases__outcome__in=[Purchase.Outcome.WON, Purchase.Outcome.LOST]
    )


def tell_homeowner(lead: Lead, template: str, *, send: bool = True, **context):
    """Email the homeowner (through the outbox, after commit), times in their zip's zone,
    with their request and its private status link. `send=False`: the caller has the
    returned message sent (intake hands it to the routing task)."""
    return notify_address(
        lead.email,
        time_zone=lead.zip_code.timezone,
        template=template,
        context={"lead": lead, "status_url": status_url(lead), **context},
        send=send,
    )


# Why a pending offer is taken back, as the pro is told ("The plumbing lead in Austin ...").
WITHDRAWN_FULL = "was taken by other pros"


WITHDRAWN_BY_OPS = "was withdrawn by Fairlead"


def set_status(
    lead: Lead,
    status: str,
    *,
    reason: str = "",
    note: str = "",
    why: str = WITHDRAWN_FULL,
    tell_after_commit: bool = False,
) -> None:
    """Every change of a lead's status goes through here (the lead locked by the caller).
    A lead that leaves "open", however (filled, won, disputed, expired), stops there: its
    waves not sent yet never go out, and its pending offers are withdrawn, their pros told
    `why` (`tell_after_commit`: once the caller's transaction commits, so the lead's lock
    is not held while their messages are written)."""
    leaving_open = lead.status == Lead.Status.OPEN and status != Lead.Status.OPEN
    lead.status = status
    lead.rejection_reason = reason
    lead.rejection_note = note[:300]
    lead.save(update_fields=["status", "rejection_reason", "rejection_note", "updated_at"])
    if status == Lead.Status.OPEN:
        enqueue_on_commit(tasks.route_lead, lead.pk)
    if leaving_open:
        now = timezone.now()
        Wave.objects.filter(lead=lead, sent_at__isnull=True).update(sent_at=now)
        withdraw_pending(lead, now=now, why=why, tell_after_commit=tell_after_commit)


def status_url(lead: Lead) -> str:

    return settings.SITE_URL + reverse("leads:status", args=[lead.status_token])


def withdraw_pending(lead: Lead, *, now, why: str, tell_after_commit: bool = False) -> int:
    pending = list(
        lead.offers.filter(status=Offer.Status.PENDING).select_related("contractor__user")
    )
    Offer.objects.filter(pk__in=[o.pk for o in pending], status=Offer.Status.PENDING).update(
        status=Offer.Status.WITHDRAWN, responded_at=now
    )

    def tell():
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

    if pending and tell_after_commit:
        # A failure here is logged: the withdrawal itself has committed.
        transaction.on_commit(tell, robust=True)
    elif pending:
        tell()
    return len(pending)
