"""What a caller and a pro hear, as TwiML (twilio.twiml.voice_response). The services decide
what happens; this module only says it. Every URL is absolute, under SITE_URL, because
Twilio signs the URL it requests and the webhooks check that signature."""

from django.conf import settings
from django.urls import reverse
from twilio.twiml.voice_response import VoiceResponse

from marketplace.money import format_cents

from . import policy


def url(name: str, *args) -> str:
    return settings.SITE_URL + reverse(f"calls:{name}", args=args)


def _spaced(digits: str) -> str:
    """Digits read one by one: "7 8 7 0 1", not "seventy-eight thousand"."""
    return " ".join(digits)


def say(*lines: str, hang_up: bool = True) -> str:
    response = VoiceResponse()
    for line in lines:
        response.say(line)
    if hang_up:
        response.hangup()
    return str(response)


def not_in_service() -> str:
    return say("Sorry, this number is not in service. Goodbye.")


def greeting(line_label: str) -> str:
    recorded = (
        " Calls may be recorded for quality and to resolve disputes."
        if (policy.recording_on())
        else ""
    )
    return f"Thanks for calling Fairlead, we connect you with a local pro.{recorded}"


def ask(call, step: str, prompt: str, *, intro: str = "", digits: int = 1, hints: str = "") -> str:
    """One screening question: keypad (and speech where it helps), answered at the gather
    URL of its step; an empty answer comes back there too (one retry, then voicemail)."""
    response = VoiceResponse()
    if intro:
        response.say(intro)
    gather = response.gather(
        input="dtmf speech" if hints else "dtmf",
        num_digits=digits,
        timeout=6,
        action=url("gather", call.pk, step),
        method="POST",
        action_on_empty_result=True,
        hints=hints or None,
        speech_timeout="auto" if hints else None,
    )
    gather.say(prompt)
    return str(response)


def service_prompt(categories) -> str:
    options = ". ".join(f"For {c.name.lower()}, press {n}" for n, c in enumerate(categories, 1))
    return f"What do you need help with? {options}. Or say the service."


def zip_prompt() -> str:
    return "Please enter or say the five digit zip code where the work is."


def zip_read_back(zip_code) -> str:
    return f"You entered {_spaced(zip_code.code)}, {zip_code.city}, {zip_code.state}."


def readiness_prompt() -> str:
    return (
        "If you need a pro in the next few days, press 1. "
        "If you want a pro to come out in the next few weeks, press 2. "
        "If you are just planning, press 3."
    )


def voicemail(call, *, why: str) -> str:
    response = VoiceResponse()
    response.say(
        f"{why} Please leave your name, the zip code of the job and what you need after the "
        "tone, and a local pro will call you back. Press pound when you are done."
    )
    response.record(
        action=url("voicemail", call.pk),
        method="POST",
        max_length=policy.VOICEMAIL_MAX_SECONDS,
        play_beep=True,
        finish_on_key="#",
        recording_status_callback=url("recording", call.pk),
        recording_status_callback_event="completed",
    )
    response.say("We did not hear a message. A pro will call you back. Goodbye.")
    response.hangup()
    return str(response)


def dial(leg, *, intro: str = "") -> str:
    """Ring one pro. They hear the whisper (the job and the fee) before the caller is put
    through, and are bridged only if they press 1. The bridged call is recorded when
    CALL_RECORDING is on (the greeting said so)."""
    response = VoiceResponse()
    response.say(intro or "Connecting you with a local pro. Please hold.")
    recording = (
        {
            "record": "record-from-answer-dual",
            "recording_status_callback": url("leg-recording", leg.pk),
            "recording_status_callback_event": "completed",
        }
        if policy.recording_on()
        else {}
    )
    dialled = response.dial(
        action=url("dialed", leg.pk),
        method="POST",
        timeout=policy.ring_seconds(),
        caller_id=leg.call.tracking_number.number,
        **recording,
    )
    dialled.number(
        leg.number,
        url=url("whisper", leg.pk),
        method="POST",
        status_callback=url("leg-status", leg.pk),
        status_callback_event="completed",
        status_callback_method="POST",
    )
    return str(response)


def whisper(leg, lead) -> str:
    """The pro hears the job and its fee, and presses 1 to take it."""
    response = VoiceResponse()
    gather = response.gather(
        input="dtmf",
        num_digits=1,
        timeout=policy.WHISPER_SECONDS,
        action=url("whisper-answer", leg.pk),
        method="POST",
        action_on_empty_result=True,
    )
    gather.say(
        f"Fairlead call: {lead.category.name.lower()} in {_spaced(lead.zip_code_id)}, "
        f"{lead.zip_code.city}. Press 1 to take it, the fee is {format_cents(leg.price_cents)}, "
        f"charged only if the call lasts {settings.CALL_QUALIFIED_SECONDS} seconds or more. "
        "Press 2 to pass."
    )
    return str(response)


def connect() -> str:
    """An empty answer to the whisper: the pro is put through to the caller."""
    return str(VoiceResponse())


def no_pro() -> str:
    return say(
        "We could not reach a pro right now. A local pro will call you back shortly at this "
        "number. Thank you for calling Fairlead. Goodbye."
    )


def goodbye() -> str:
    return say("Thank you for calling Fairlead. Goodbye.")


def verification(code: str) -> str:
    """The test call that proves a pro's ring number: the code, said twice."""
    spoken = _spaced(code)
    return say(
        f"This is Fairlead checking the number for your calls. Your code is {spoken}. "
        f"Again, your code is {spoken}. Goodbye."
    )
