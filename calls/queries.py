"""Reads of calls shared by views, the API and other apps (insights reads calls only here)."""

from django.db.models import Count, Exists, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from leads.models import Purchase

from .models import Call, CallLeg, CallSettings, TrackingNumber

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


def call_offers(offers, contractor):
    """Those of the contractor's `offers` that a live call made when they took it (calls
    have their own answer rate, so analytics counts them apart). Found from the pro's call
    legs, a few, rather than by asking each offer whether a leg points to it: a taken
    leg's offer is always its own pro's."""
    return offers.filter(pk__in=CallLeg.objects.filter(contractor=contractor).values("offer"))


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


# --- A pro's calls on the dashboard and the API, and who may play a recording ---------------


def may_play(call: Call, *, bought: bool, took_call: bool) -> bool:
    """The read rule of recordings: a voicemail is heard by whoever bought the caller's
    lead; a bridged call only by the pro who talked on it (they bought it by pressing 1).
    Nobody else, whatever URL they try; ops hear any recording with `calls.view_call`."""
    return bool(call.recording_url) and bought and (call.voicemail or took_call)


def recording_of(purchase: Purchase) -> Call | None:
    """The call whose recording this purchase's buyer may play, or None. Reads the
    purchase's `lead__call` and `offer__call_leg` (select_related by purchases_for)."""
    call = getattr(purchase.lead, "call", None)
    if call is None:
        return None
    leg = getattr(purchase.offer, "call_leg", None)
    took_call = leg is not None and leg.call_id == call.pk and leg.status == CallLeg.Status.TAKEN
    return call if may_play(call, bought=True, took_call=took_call) else None


def playable_recording(contractor, purchase_id: int) -> Call | None:
    """The recording on one of the contractor's own purchases, or None (another
    contractor's purchase, a lead without a call, a call without a recording for them)."""
    purchase = (
        Purchase.objects.filter(pk=purchase_id, contractor=contractor)
        .select_related("lead__call", "offer__call_leg")
        .first()
    )
    return recording_of(purchase) if purchase is not None else None


def calls_for(contractor):
    """Calls the contractor was rung for or whose lead they bought, newest first, each
    with their part in it: `your_leg` (their leg's status, None if never rung) and
    `your_purchase_id` (None if they did not buy the lead)."""
    legs = CallLeg.objects.filter(contractor=contractor)
    bought = Purchase.objects.filter(contractor=contractor)
    return (
        Call.objects.filter(
            Q(pk__in=legs.values("call_id")) | Q(lead_id__in=bought.values("lead_id"))
        )
        .select_related("lead", "category")
        .annotate(
            your_leg=Subquery(legs.filter(call=OuterRef("pk")).values("status")[:1]),
            your_purchase_id=Subquery(bought.filter(lead=OuterRef("lead_id")).values("pk")[:1]),
        )
        .order_by("-started_at", "-pk")
    )


def listed_call_playable(call: Call) -> bool:
    """may_play() for a row of calls_for()."""
    return may_play(
        call,
        bought=call.your_purchase_id is not None,
        took_call=call.your_leg == CallLeg.Status.TAKEN,
    )


def call_settings_of(contractor) -> CallSettings:
    """The pro's call settings; a pro who never set them has calls off (nothing is saved)."""
    found = CallSettings.objects.filter(contractor=contractor).first()
    return found or CallSettings(contractor=contractor)


def profile_number(contractor) -> TrackingNumber | None:
    """The pro's own tracking number on their profile, if ops gave them one."""
    return (
        TrackingNumber.objects.filter(
            contractor=contractor, purpose=TrackingNumber.Purpose.PROFILE, active=True
        )
        .order_by("pk")
        .first()
    )


def call_for_ops(call_id: int) -> Call | None:
    """Any call with a recording, for ops reviewing it (the view checks the permission)."""
    return Call.objects.exclude(recording_url="").filter(pk=call_id).first()
