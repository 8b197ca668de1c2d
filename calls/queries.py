"""Reads of calls shared by the pro's pages, the API and ops: whose calls, and who may
hear which recording."""

from django.db.models import OuterRef, Q, Subquery

from leads.models import Purchase

from .models import Call, CallLeg, CallSettings, TrackingNumber


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
