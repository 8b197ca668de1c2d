"""The rules of a call that are about time and thresholds, in one place."""

from datetime import timedelta

from django.conf import settings

from leads.models import Lead

# The service menu is read on a keypad: nine services at most.
MENU_MAX = 9
# One retry per question; the second miss sends the caller to voicemail.
RETRIES = 1
# How long a pro hearing the whisper has to press 1.
WHISPER_SECONDS = 8
# How long a voicemail may be.
VOICEMAIL_MAX_SECONDS = 120

# The readiness question: key -> (timeframe, what the caller said).
READINESS = {
    "1": (Lead.Timeframe.URGENT, "needs a pro in the next few days"),
    "2": (Lead.Timeframe.WEEKS, "wants a pro to come out in the next few weeks"),
    "3": (Lead.Timeframe.FLEXIBLE, "is planning, not ready for a visit yet"),
}
# Seed 002: only a caller ready for a visit is forwarded live; one still planning is sent
# to pros as a request, who call back.
LIVE_TIMEFRAMES = {Lead.Timeframe.URGENT, Lead.Timeframe.WEEKS}

# A connected call whose duration no callback reported: settled from the pro's leg report
# after this long, and as not qualified (never charged without evidence) after the next.
SETTLE_FROM_LEG_AFTER = timedelta(minutes=2)
SETTLE_UNREPORTED_AFTER = timedelta(hours=1)
# A call stuck ringing (its callbacks lost): the lead is handed to routing after this.
RINGING_GIVE_UP_AFTER = timedelta(minutes=10)
# A ring-number verification code is good this long, for this many tries.
CODE_VALID_FOR = timedelta(minutes=15)
CODE_TRIES = 5
CODE_RESEND_AFTER = timedelta(minutes=1)
# Per pro and rolling day: test calls placed, and wrong codes typed across all codes.
CODE_CALLS_PER_DAY = 5
WRONG_CODES_PER_DAY = 10
CODE_DAY = timedelta(days=1)


def ring_seconds() -> int:
    return settings.CALL_RING_SECONDS


def qualifies(bridged_seconds: int) -> bool:
    """A bridged call is qualified, and charged, when it lasted CALL_QUALIFIED_SECONDS."""
    return bridged_seconds >= settings.CALL_QUALIFIED_SECONDS


def recording_on() -> bool:
    return settings.CALL_RECORDING
