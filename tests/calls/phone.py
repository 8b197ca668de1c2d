"""Twilio's side of a call, offline: it posts the form fields Twilio posts, signed the way
Twilio signs them, to the URLs our TwiML names, and reads our TwiML answers."""

import itertools
from urllib.parse import urlsplit
from xml.etree import ElementTree

from django.urls import reverse

from tests.resilience.fake_providers import SITE_URL, twilio_signature

ACCOUNT_SID = "AC" + "0" * 32
_sids = itertools.count(1)


def new_sid(prefix: str = "CA") -> str:
    return f"{prefix}{next(_sids):032x}"


class TwiML:
    def __init__(self, response):
        assert response.status_code == 200, (response.status_code, response.content[:300])
        assert response["Content-Type"].startswith("text/xml")
        self.root = ElementTree.fromstring(response.content)

    def said(self) -> str:
        return " ".join(e.text or "" for e in self.root.iter("Say"))

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
    """One caller's call, driven through Django's test client."""

    def __init__(self, client, *, to: str, caller: str = "+15125550123", sid: str | None = None):
        self.client = client
        self.to = to
        self.caller = caller
        self.sid = sid or new_sid()

    def post(self, url: str, params: dict, *, signature: str | None = None):
        path = urlsplit(url).path if url.startswith("http") else url
        full = SITE_URL + path
        headers = {}
        if signature is not False:
            headers["HTTP_X_TWILIO_SIGNATURE"] = signature or twilio_signature(full, params)
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
            DialCallSid=getattr(self, "leg_sid", new_sid()),
            DialCallDuration=str(seconds),
        )
        return self.post(dial.find("Dial").get("action"), params)

    def leg_ends(self, dial: TwiML, seconds: int):
        """The pro's leg status callback (the <Number statusCallback>)."""
        params = {
            "AccountSid": ACCOUNT_SID,
            "CallSid": self.leg_sid,
            "ParentCallSid": self.sid,
            "CallStatus": "completed",
            "CallDuration": str(seconds),
        }
        return self.post(dial.find("Number").get("statusCallback"), params)

    def recording_ready(self, url: str, seconds: int, sid: str | None = None):
        params = {
            "AccountSid": ACCOUNT_SID,
            "CallSid": self.sid,
            "RecordingSid": sid or "RE" + self.sid[2:],
            "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/RE{self.sid[2:]}",
            "RecordingStatus": "completed",
            "RecordingDuration": str(seconds),
        }
        return self.post(url, params)

    def hang_up(self, seconds: int = 30):
        """The number's call status callback: the caller's call ended."""
        params = self.base(CallStatus="completed", CallDuration=str(seconds))
        return self.post(reverse("calls:call-status"), params)
