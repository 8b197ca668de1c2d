"""Calls made through the real webhooks (tests/calls/phone.py), ending the way a test needs:
taken by the first pro rung and talked for N seconds, recorded or not."""

from django.utils import timezone

from calls.models import Call, TrackingNumber

from .conftest import screen
from .phone import TwiML, new_sid


def taken_call(phone, *, seconds: int = 75, recording_seconds: int | None = None) -> Call:
    """Screened, the first pro rung presses 1 and talks `seconds`; recorded if asked."""
    dial = screen(phone)
    phone.pro_presses(phone.pro_answers(dial), "1")
    phone.dial_ends(dial, "completed", seconds)
    if recording_seconds is not None:
        phone.recording_ready(dial.find("Dial").get("recordingStatusCallback"), recording_seconds)
    return Call.objects.latest("pk")


def missed_then_taken(phone, *, seconds: int) -> Call:
    """The first pro rung does not answer; the second takes it and talks `seconds`."""
    first = screen(phone)
    second = TwiML(phone.dial_ends(first, "no-answer"))
    phone.pro_presses(phone.pro_answers(second), "1")
    phone.dial_ends(second, "completed", seconds)
    return Call.objects.latest("pk")


def voicemail_on(lead, *, line: TrackingNumber, seconds: int = 30, url: str = "") -> Call:
    """A voicemail the caller of `lead` left (the lead was then released and bought)."""
    return Call.objects.create(
        call_sid=new_sid(),
        tracking_number=line,
        from_number=lead.phone,
        caller_phone=lead.phone,
        stage=Call.Stage.ENDED,
        outcome=Call.Outcome.VOICEMAIL,
        lead=lead,
        voicemail=True,
        recording_sid=new_sid("RE"),
        recording_url=url or f"sim:voicemail:{lead.pk}",
        recording_seconds=seconds,
        started_at=timezone.now(),
    )
