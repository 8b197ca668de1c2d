"""Reads of calls shared by views, the API and other apps (insights reads calls only here)."""

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import Coalesce

from .models import Call, CallLeg

# --- Analytics and ops reports (read by insights) ---------------------------------------------
# A pro's calls are their legs: each time Fairlead rang them for a caller. Every count here is
# one SQL aggregate, whatever the number of calls.

# The pro answered and pressed 1: they were put through to the caller.
ANSWERED_LEG = CallLeg.Status.TAKEN
# Rang, and the pro was not put through: no answer, passed on the whisper, busy, unreachable,
# the caller hung up while it rang, or they pressed 1 when they could no longer buy it. Legs
# still ringing are neither answered nor missed.
MISSED_LEGS = [
    CallLeg.Status.NO_ANSWER,
    CallLeg.Status.DECLINED,
    CallLeg.Status.BUSY,
    CallLeg.Status.FAILED,
    CallLeg.Status.CANCELED,
    CallLeg.Status.SKIPPED,
]


def contractor_call_totals(contractor, *, start_at, end_at) -> dict[str, int]:
    """The calls that rang the contractor in [start_at, end_at) (when their phone rang):
    received, answered, missed, qualified (the bridged call lasted CALL_QUALIFIED_SECONDS),
    talked (answered calls whose length is known) and their talk seconds, and the call fees
    charged for them. One query."""
    taken = Q(status=ANSWERED_LEG)
    talked = taken & Q(call__bridged_seconds__isnull=False)
    return CallLeg.objects.filter(
        contractor=contractor, created_at__gte=start_at, created_at__lt=end_at
    ).aggregate(
        received=Count("pk"),
        answered=Count("pk", filter=taken),
        missed=Count("pk", filter=Q(status__in=MISSED_LEGS)),
        qualified=Count("pk", filter=taken & Q(call__qualified=True)),
        talked=Count("pk", filter=talked),
        talk_seconds=Coalesce(Sum("call__bridged_seconds", filter=talked), 0),
        fees_cents=Coalesce(Sum("call__fee_cents", filter=taken), 0),
    )


# What an ops report groups calls by: the fields of each row's key.
CALL_GROUPS = {
    # Where the work is: the zip the caller keyed in, else the line's metro zip (a caller who
    # hung up before the zip question is counted where the line is advertised).
    "place": ["place_zip", "place_city", "place_state"],
    "category": ["category__slug", "category__name"],
    "line": ["tracking_number__number", "tracking_number__label"],
}


def call_volume(*, start_at, end_at, by: str) -> list[dict]:
    """Every call that came in in [start_at, end_at), counted by `by` (CALL_GROUPS) in SQL:
    calls; rang (put through to at least one pro); answered (a pro took it); settled and
    qualified (of the answered calls whose length is known); missed (the caller hung up
    during screening); voicemails; call fees charged; talk seconds. One query."""
    rang = Exists(CallLeg.objects.filter(call=OuterRef("pk")))
    return list(
        Call.objects.filter(started_at__gte=start_at, started_at__lt=end_at)
        .annotate(
            place_zip=Coalesce("zip_code_id", "tracking_number__area_zip_id"),
            place_city=Coalesce("zip_code__city", "tracking_number__area_zip__city"),
            place_state=Coalesce("zip_code__state", "tracking_number__area_zip__state"),
        )
        .values(*CALL_GROUPS[by])
        .annotate(
            calls=Count("pk"),
            rang=Count("pk", filter=rang),
            answered=Count("pk", filter=Q(outcome=Call.Outcome.CONNECTED)),
            settled=Count("pk", filter=Q(qualified__isnull=False)),
            qualified=Count("pk", filter=Q(qualified=True)),
            missed=Count("pk", filter=Q(outcome=Call.Outcome.MISSED)),
            voicemails=Count("pk", filter=Q(outcome=Call.Outcome.VOICEMAIL)),
            fees_cents=Coalesce(Sum("fee_cents"), 0),
            talk_seconds=Coalesce(Sum("bridged_seconds"), 0),
        )
        .order_by()
    )
