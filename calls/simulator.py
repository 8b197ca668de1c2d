"""The call simulator: Twilio's side of a phone call, without Twilio (DESIGN, Calls).

It posts the form fields Twilio posts, signed with TWILIO_AUTH_TOKEN as Twilio signs them, to
the URLs our own TwiML names (a Gather's action, a Dial's action, a Number's url and
statusCallback, a Record's action and recordingStatusCallback), and reads each TwiML answer
as Twilio would. So a simulated call runs the very webhooks a real one runs, and changes with
them. `Phone` is one request at a time (the tests drive it step by step); `simulate()` plays a
whole call from a `Script`: the caller's answers, what each pro rung does, how long they talk.

The requests go in-process, through Django's test client (the whole middleware stack and
URLconf, no socket): posting to SITE_URL over HTTP from inside a request would wait on the
very server that is busy serving it (a single-worker `make run` deadlocks), and the
management command would need the server running."""

import re
import secrets
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from xml.etree import ElementTree

from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords
from twilio.request_validator import RequestValidator

from marketplace.money import format_cents

from . import services
from .models import Call, TrackingNumber

# No real account: Twilio's AccountSid field, as a simulated call sends it.
ACCOUNT_SID = "AC" + "0" * 32

# What a pro rung may do (the form's and the command's choices).
PRO_ACTIONS = {
    "answer": "answers and presses 1 (takes the call)",
    "decline": "answers and presses 2 (passes)",
    "no-answer": "does not answer",
    "busy": "is busy",
    "failed": "cannot be reached",
}
PRO_MISSES = {"no-answer", "busy", "failed"}
# Where a caller may hang up: at a screening question (by its gather step), or while a pro's
# phone rings.
HANG_UP_AT = {
    "": "never: answers and waits",
    "service": "when asked for the service",
    "zip": "when asked for the zip",
    "ready": "when asked when they need a pro",
    "ringing": "while a pro's phone rings",
}
# A call that takes more turns than this is going round in circles (a bug): stop it.
MAX_TURNS = 40


class SimulatorError(Exception):
    pass


def why_off() -> str:
    """Why the simulator may not run here, or "" when it may: never where Twilio is live
    (TWILIO_ACCOUNT_SID set, DEBUG off), and only with a token to sign with (DEBUG derives
    a local one)."""
    if not (settings.DEBUG or settings.CALL_SIMULATOR):
        return (
            "The call simulator is for trying Fairlead: it runs with DEBUG on, or where "
            "CALL_SIMULATOR=true (a staging site), since its calls charge real balances."
        )
    if settings.TWILIO_ACCOUNT_SID and not settings.DEBUG:
        return (
            "Twilio is live on this site (TWILIO_ACCOUNT_SID is set), so calls come from real "
            "phones, and no made-up call may mix with them."
        )
    if not settings.TWILIO_AUTH_TOKEN:
        return (
            "There is no Twilio auth token to sign the simulated webhooks with: set "
            "DEBUG=true (a local token is derived from SECRET_KEY) or TWILIO_AUTH_TOKEN."
        )
    return ""


def new_sid(prefix: str = "CA") -> str:
    """A Twilio-shaped sid (two letters, 32 hex digits), random so that simulated calls
    never collide with earlier ones."""
    return prefix + secrets.token_hex(16)


def sign(url: str, params: dict) -> str:
    """X-Twilio-Signature for a POST of `params` to `url`, as Twilio computes it."""
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(url, params)


def _site_client() -> Client:
    """A test client that addresses this site as Twilio does: its host (when this server
    serves it; the test server's under the test runner) and its scheme."""
    scheme, netloc = urlsplit(settings.SITE_URL)[:2]
    domain, _ = split_domain_port(netloc)
    host = netloc if validate_host(domain, settings.ALLOWED_HOSTS) else "testserver"
    return Client(HTTP_HOST=host, secure=scheme == "https")


@contextmanager
def _outer_request_kept():
    """Each simulated webhook runs the middleware, which ends by clearing the thread's time
    zone and history request: when the simulator runs inside a request (the admin page),
    put that request's back."""
    zone = timezone.get_current_timezone()
    history_request = getattr(HistoricalRecords.context, "request", None)
    try:
        yield
    finally:
        timezone.activate(zone)
        if history_request is not None:
            HistoricalRecords.context.request = history_request


class TwiML:
    """One TwiML answer of ours, as Twilio reads it."""

    def __init__(self, response):
        if response.status_code != 200 or not response["Content-Type"].startswith("text/xml"):
            raise SimulatorError(
                f"The webhook answered {response.status_code} "
                f"({response.content[:200].decode(errors='replace')}), not TwiML."
            )
        self.root = ElementTree.fromstring(response.content)  # noqa: S314 - our own TwiML

    def said(self) -> str:
        return " ".join((e.text or "").strip() for e in self.root.iter("Say"))

    def find(self, tag: str):
        return next(self.root.iter(tag), None)

    @property
    def gather_url(self) -> str:
        return self.find("Gather").get("action")

    @property
    def dialled(self) -> str | None:
        number = self.find("Number")
        return number.text if number is not None else None

    @property
    def hangs_up(self) -> bool:
        return self.find("Hangup") is not None

    @property
    def bridges(self) -> bool:
        """An empty answer to the whisper: Twilio puts the pro through."""
        return len(self.root) == 0


class Phone:
    """One caller's call, request by request: what Twilio posts, signed, in-process. The
    tests pass their own test client; without one, a client for this site is made."""

    def __init__(self, client=None, *, to: str, caller: str = "+15125550123", sid: str = ""):
        self.client = client or _site_client()
        self.to = to
        self.caller = caller
        self.sid = sid or new_sid()

    def post(self, url: str, params: dict, *, signature: str | bool | None = None):
        """POST to one of our URLs (absolute, as our TwiML gives it, or a path), signed over
        the absolute URL. signature=False sends none; a string sends that one."""
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {}
        if signature is not False:
            headers["HTTP_X_TWILIO_SIGNATURE"] = signature or sign(settings.SITE_URL + path, params)
        with _outer_request_kept():
            return self.client.post(path, params, **headers)

    def base(self, **extra) -> dict:
        return {
            "AccountSid": ACCOUNT_SID,
            "CallSid": self.sid,
            "From": self.caller,
            "To": self.to,
            "Direction": "inbound",
            **extra,
        }

    def ring(self) -> TwiML:
        """The number's voice webhook, as configured on the number at Twilio."""
        return TwiML(self.post(reverse("calls:voice"), self.base(CallStatus="ringing")))

    def press(self, twiml: TwiML, digits: str = "", speech: str = "") -> TwiML:
        params = self.base(CallStatus="in-progress")
        if digits:
            params["Digits"] = digits
        if speech:
            params["SpeechResult"] = speech
            params["Confidence"] = "0.9"
        return TwiML(self.post(twiml.gather_url, params))

    # The pro's leg, rung by our <Dial><Number url=...>.
    def pro_answers(self, dial: TwiML, leg_sid: str | None = None) -> TwiML:
        number = dial.find("Number")
        self.leg_sid = leg_sid or new_sid()
        params = {
            "AccountSid": ACCOUNT_SID,
            "CallSid": self.leg_sid,
            "ParentCallSid": self.sid,
            "From": self.to,
            "To": number.text,
            "Direction": "outbound-dial",
            "CallStatus": "in-progress",
        }
        return TwiML(self.post(number.get("url"), params))

    def pro_presses(self, whisper: TwiML, digits: str) -> TwiML:
        params = {
            "AccountSid": ACCOUNT_SID,
            "CallSid": self.leg_sid,
            "ParentCallSid": self.sid,
            "Digits": digits,
            "Direction": "outbound-dial",
        }
        return TwiML(self.post(whisper.gather_url, params))

    def dial_ends(self, dial: TwiML, status: str, seconds: int = 0):
        """Twilio's request to the <Dial action>: how the dial to one pro ended."""
        params = self.base(
            CallStatus="in-progress",
            DialCallStatus=status,
            DialCallSid=getattr(self, "leg_sid", None) or new_sid(),
            DialCallDuration=str(seconds),
        )
        return self.post(dial.find("Dial").get("action"), params)

    def leg_ends(self, dial: TwiML, seconds: int, status: str = "completed"):
        """The pro's leg status callback (the <Number statusCallback>)."""
        params = {
            "AccountSid": ACCOUNT_SID,
            "CallSid": getattr(self, "leg_sid", None) or new_sid(),
            "ParentCallSid": self.sid,
            "CallStatus": status,
            "CallDuration": str(seconds),
        }
        return self.post(dial.find("Number").get("statusCallback"), params)

    def recording_ready(self, url: str, seconds: int, sid: str | None = None, recording_url=""):
        """The recording status callback. A simulated recording's URL is "sim:<sid>": the
        player makes up a tone for it rather than fetching it from Twilio."""
        sid = sid or "RE" + self.sid[2:]
        params = {
            "AccountSid": ACCOUNT_SID,
            "CallSid": self.sid,
            "RecordingSid": sid,
            "RecordingUrl": recording_url
            or f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{sid}",
            "RecordingStatus": "completed",
            "RecordingDuration": str(seconds),
        }
        return self.post(url, params)

    def hang_up(self, seconds: int = 30):
        """The number's call status callback: the caller's call ended."""
        params = self.base(CallStatus="completed", CallDuration=str(seconds))
        return self.post(reverse("calls:call-status"), params)


# --- A whole call, played from a script -------------------------------------------------------


@dataclass
class Script:
    """What happens on a simulated call. `answers`: per screening question (service, zip,
    ready), what the caller answers each time it is asked, keys ("3", "78701") or words
    ("plumbing"); nothing left is silence. `pros`: what each pro rung does, in turn
    (PRO_ACTIONS); nobody listed does not answer."""

    to: str
    caller: str = "+15125550123"
    answers: dict[str, list[str]] = field(default_factory=dict)
    hang_up_at: str = ""
    pros: list[str] = field(default_factory=lambda: ["answer"])
    talk_seconds: int = 75
    voicemail_seconds: int = 20
    sid: str = ""


@dataclass
class Result:
    """The transcript, (who, what) in order, and the call as the webhooks left it."""

    lines: list[tuple[str, str]]
    call: Call | None

    @property
    def lead(self):
        return self.call.lead if self.call else None


def _seconds_to_say(text: str) -> int:
    return max(1, len(text.split()) * 2 // 5)  # about 150 words a minute


def _minutes(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


class _Call:
    def __init__(self, script: Script, phone: Phone, wait: Callable[[int], None]):
        self.script = script
        self.phone = phone
        self.wait = wait
        self.lines: list[tuple[str, str]] = []
        self.answers = {step: list(given) for step, given in script.answers.items()}
        self.pros = list(script.pros)
        self.elapsed = 0
        self.ended = False
        self.recordings: list[tuple[str, int]] = []  # (status callback URL, seconds)

    def note(self, who: str, what: str) -> None:
        self.lines.append((who, what))

    def spend(self, seconds: int) -> None:
        self.elapsed += seconds
        self.wait(seconds)

    def hear(self, who: str, text: str) -> None:
        if text.strip():
            self.note(f"{who} hears", text.strip())
            self.spend(_seconds_to_say(text))

    def run(self) -> Result:
        self.note("caller", f"{self.phone.caller} dials {self.phone.to}")
        twiml = self.phone.ring()
        for _ in range(MAX_TURNS):
            twiml = self.follow(twiml)
            if twiml is None:
                break
        else:
            raise SimulatorError(f"The call went on for more than {MAX_TURNS} turns.")
        if not self.ended:
            self.phone.hang_up(self.elapsed)
            self.note("Twilio", f"The call ends after {_minutes(self.elapsed)}.")
        for url, seconds in self.recordings:
            self.phone.recording_ready(
                url, seconds, sid=self.recording_sid, recording_url=f"sim:{self.recording_sid}"
            )
            self.note("Twilio", f"The recording ({_minutes(seconds)}) is ready.")
        call = find_call(self.phone.sid)
        self.lines += _summary(call)
        return Result(lines=self.lines, call=call)

    @property
    def recording_sid(self) -> str:
        return "RE" + self.phone.sid[2:]

    def follow(self, twiml: TwiML) -> TwiML | None:
        """Play one TwiML document in order, as Twilio does, up to the verb that makes the
        next request (Gather, Record, Dial); None when the call is over."""
        for verb in twiml.root:
            if verb.tag == "Say":
                self.hear("caller", verb.text or "")
            elif verb.tag == "Gather":
                return self.gather(twiml, verb)
            elif verb.tag == "Record":
                return self.voicemail(verb)
            elif verb.tag == "Dial":
                return self.dial(twiml, verb)
            elif verb.tag == "Hangup":
                return None
        return None

    def gather(self, twiml: TwiML, gather) -> TwiML | None:
        self.hear("caller", " ".join((say.text or "").strip() for say in gather.iter("Say")))
        step = _step_of(gather.get("action"))
        if step == self.script.hang_up_at:
            return self.hang_up(f"hangs up when asked for the {step}")
        given = self.answers.get(step) or []
        answer = given.pop(0).strip() if given else ""
        self.spend(3)
        if not answer:
            self.note("caller", "says nothing")
            return self.phone.press(twiml)
        if answer.isdigit():
            self.note("caller", f"presses {answer}")
            return self.phone.press(twiml, digits=answer)
        self.note("caller", f'says "{answer}"')
        return self.phone.press(twiml, speech=answer)

    def hang_up(self, what: str) -> None:
        self.note("caller", what)
        self.phone.hang_up(self.elapsed)
        self.ended = True

    def voicemail(self, record) -> TwiML:
        seconds = min(self.script.voicemail_seconds, int(record.get("maxLength") or 3600))
        self.note("caller", f"leaves a {seconds} s voicemail, then presses #")
        self.spend(seconds)
        if record.get("recordingStatusCallback"):
            self.recordings.append((record.get("recordingStatusCallback"), seconds))
        params = self.phone.base(
            CallStatus="in-progress",
            RecordingSid=self.recording_sid,
            RecordingUrl=f"sim:{self.recording_sid}",
            RecordingDuration=str(seconds),
            Digits="#",
        )
        return TwiML(self.phone.post(record.get("action"), params))

    def dial(self, twiml: TwiML, dial) -> TwiML | None:
        number = dial.find("Number")
        action = self.pros.pop(0) if self.pros else "no-answer"
        self.phone.leg_sid = new_sid()
        self.note("Twilio", f"rings {number.text} (up to {dial.get('timeout', '30')} s)")
        if self.script.hang_up_at == "ringing":
            self.spend(5)
            self.phone.leg_ends(twiml, 0, status="canceled")
            self.phone.dial_ends(twiml, "canceled")
            return self.hang_up("hangs up while the pro's phone rings")
        if action in PRO_MISSES:
            self.spend(int(dial.get("timeout") or 30) if action == "no-answer" else 1)
            self.note("pro", PRO_ACTIONS[action])
            self.phone.leg_ends(twiml, 0, status=action)
            return TwiML(self.phone.dial_ends(twiml, action))
        leg_seconds = 0
        bridged = not number.get("url")  # no whisper: put through on answering
        if not bridged:
            whisper = self.phone.pro_answers(twiml, leg_sid=self.phone.leg_sid)
            start = self.elapsed
            self.hear("pro", whisper.said())
            key = "1" if action == "answer" else "2"
            if whisper.find("Gather") is not None:
                self.note("pro", f"presses {key}")
                reply = self.phone.pro_presses(whisper, key)
                bridged = reply.bridges
                self.hear("pro", reply.said())
            leg_seconds = self.elapsed - start
        if not bridged:
            self.note("pro", "hangs up")
            self.phone.leg_ends(twiml, leg_seconds)
            return TwiML(self.phone.dial_ends(twiml, "completed", leg_seconds))
        talk = self.script.talk_seconds
        self.note("Twilio", f"puts the caller through; they talk for {_minutes(talk)}")
        self.spend(talk)
        if dial.get("record") and dial.get("recordingStatusCallback"):
            self.recordings.append((dial.get("recordingStatusCallback"), talk))
        self.note("pro", "hangs up")
        self.phone.leg_ends(twiml, leg_seconds + talk)
        return TwiML(self.phone.dial_ends(twiml, "completed", talk))


def find_call(sid: str) -> Call | None:
    """The call Twilio's CallSid names. The webhooks keep its first 32 characters (a sid
    has 34), so the call is found by those."""
    return Call.objects.select_related("lead").filter(call_sid=sid).first()


def _step_of(url: str) -> str:
    """Which screening question a Gather asks: the step its action URL names."""
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        raise SimulatorError(f"The Gather's action {url} is not one of our URLs.") from None
    return match.kwargs.get("step", match.url_name)


def _summary(call: Call | None) -> list[tuple[str, str]]:
    if call is None:
        return [("Fairlead", "No call was recorded: the number is not one of ours.")]
    lines = [("Fairlead", f"Outcome: {call.get_outcome_display() or call.get_stage_display()}.")]
    if call.lead is not None:
        lines.append(
            ("Fairlead", f"Lead {call.lead.reference}: {call.lead.get_status_display().lower()}.")
        )
    else:
        lines.append(("Fairlead", "No lead was made."))
    if call.qualified is not None:
        if call.qualified:
            pro = call.bridged_leg.contractor
            lines.append(
                (
                    "Fairlead",
                    f"Qualified ({_minutes(call.bridged_seconds)}): {pro} is charged "
                    f"{format_cents(call.fee_cents)}.",
                )
            )
        else:
            lines.append(
                (
                    "Fairlead",
                    f"Not qualified ({_minutes(call.bridged_seconds)}, under "
                    f"{settings.CALL_QUALIFIED_SECONDS} s): not charged.",
                )
            )
    return lines


def simulate(script: Script, *, client=None, wait: Callable[[int], None] | None = None) -> Result:
    """Play a whole call through the webhooks. `wait(seconds)` is told each time the call
    takes time (a test moves its clock; by default nothing waits)."""
    if why_off():
        raise SimulatorError(why_off())
    if script.hang_up_at not in HANG_UP_AT:
        raise SimulatorError(f"Hang up at one of: {', '.join(filter(None, HANG_UP_AT))}.")
    unknown = [p for p in script.pros if p not in PRO_ACTIONS]
    if unknown:
        raise SimulatorError(f"A pro may: {', '.join(PRO_ACTIONS)} (not {', '.join(unknown)}).")
    phone = Phone(client, to=script.to, caller=script.caller, sid=script.sid)
    return _Call(script, phone, wait or (lambda seconds: None)).run()


def demo_caller(number: TrackingNumber | None = None) -> str:
    """A fictional caller ID (555-01xx is reserved for fiction) in an area code of the
    number's metro, so the call passes the other-state area code check."""
    place = number and (number.area_zip or (number.contractor and number.contractor.base_zip))
    codes = re.findall(r"[2-9]\d\d", place.area_codes if place else "")
    return f"+1{codes[0] if codes else '512'}5550{100 + secrets.randbelow(100)}"


def describe(number: TrackingNumber) -> str:
    """What calling a number does, for a list of numbers to try."""
    if number.purpose == TrackingNumber.Purpose.PROFILE:
        return f"{number.label}: rings {number.contractor} directly"
    menu = ", ".join(
        f"{key} {category.name.lower()}"
        for key, category in enumerate(services.line_categories(number), 1)
    )
    return f"{number.label}: press {menu}"
