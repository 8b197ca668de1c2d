"""Review r15 finding: with record-from-answer-dual, every <Dial> a pro answers is
recorded, the whisper included, so a pro who answers and passes (or whose voicemail
answers) leaves a recording. The call keeps the first recording it hears of, so the
bridged call with the pro who took it is dropped, and the passed pro's whisper is kept
and labelled a voicemail (which any later buyer of the lead may play). Each pro's Dial now
reports its recording to its own URL, and only the one with the pro who took it is kept."""

import pytest

from calls.models import Call

from .conftest import screen
from .test_call_flow import TwiMLFrom

pytestmark = pytest.mark.django_db


def test_the_recording_kept_is_the_call_with_the_pro_who_took_it(phone, holder, elite):
    first = screen(phone)
    whisper = phone.pro_answers(first)
    phone.pro_presses(whisper, "2")  # the holder answers, hears the job, passes
    second = TwiMLFrom(phone.dial_ends(first, "completed", 12))
    url = first.find("Dial").get("recordingStatusCallback")
    phone.recording_ready(url, 12, sid="RE" + "1" * 32)  # the holder's 12 s leg, whisper only
    whisper = phone.pro_answers(second)
    phone.pro_presses(whisper, "1")
    phone.dial_ends(second, "completed", 75)
    bridged = second.find("Dial").get("recordingStatusCallback")
    phone.recording_ready(bridged, 75, sid="RE" + "2" * 32)  # the bridged call

    call = Call.objects.get()
    assert call.recording_sid == "RE" + "2" * 32
    assert call.recording_seconds == 75 and not call.voicemail
