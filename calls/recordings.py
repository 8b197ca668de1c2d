"""A call's recording as audio, always through Fairlead: fetched from Twilio with our
credentials (a recording URL is never handed to a browser), or, for a call the simulator
placed, a quiet tone as long as the recording, so the demo has something to play."""

import array
import io
import logging
import math
import sys
import wave

import requests
from django.conf import settings

from marketplace.notifications import TWILIO_API

from .models import Call

logger = logging.getLogger(__name__)

SIMULATED = "sim:"
# Seconds to connect to Twilio and between bytes it sends: a player waits no longer.
FETCH_TIMEOUT = (5, 20)
CHUNK = 64 * 1024
SIMULATED_MAX_SECONDS = 120
SIMULATED_RATE = 8000
# A Range header as a player sends it ("bytes=0-", "bytes=100-199"): nothing else is passed on.
RANGE_CHARS = set("bytes=0123456789-,")


class RecordingUnavailable(Exception):
    """Twilio did not hand over the audio (down, slow, refused, or no such recording)."""


class Audio:
    """What the view sends: the whole file (bytes) or chunks as they arrive, its type, and
    the headers of a range."""

    def __init__(self, body, *, content_type: str, status: int = 200, headers=None):
        self.body = body
        self.content_type = content_type
        self.status = status
        self.headers = headers or {}


def audio_for(call: Call, *, byte_range: str = "") -> Audio:
    if call.recording_url.startswith(SIMULATED):
        return Audio(simulated_wav(call.recording_seconds or 0), content_type="audio/wav")
    return _from_twilio(call, byte_range)


def _twilio_url(recording_url: str) -> str | None:
    """The MP3 of a recording, sent to TWILIO_API_URL as the twilio client's requests are;
    None for a URL that is not under Twilio's API: the fetch carries our account's
    credentials, which go to Twilio and nowhere else."""
    url = recording_url.removesuffix(".json") + ".mp3"
    if not url.startswith(TWILIO_API + "/"):
        return None
    return settings.TWILIO_API_URL + url.removeprefix(TWILIO_API)


def _from_twilio(call: Call, byte_range: str) -> Audio:
    url = _twilio_url(call.recording_url)
    if url is None:
        logger.warning("Recording of call %s: not a Twilio API URL, not fetched", call.pk)
        raise RecordingUnavailable
    headers = {}
    if byte_range and len(byte_range) < 100 and set(byte_range) <= RANGE_CHARS:
        headers["Range"] = byte_range  # a player seeking: Twilio answers 206 with that part
    try:
        upstream = requests.get(
            url,
            auth=(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN),
            headers=headers,
            timeout=FETCH_TIMEOUT,
            stream=True,
        )
    except requests.RequestException as error:
        logger.warning("Recording of call %s: Twilio unreachable (%s)", call.pk, error)
        raise RecordingUnavailable from error
    if upstream.status_code not in (200, 206):
        upstream.close()
        logger.warning("Recording of call %s: Twilio answered %s", call.pk, upstream.status_code)
        raise RecordingUnavailable
    passed = {
        name: upstream.headers[name]
        for name in ("Content-Length", "Content-Range")
        if name in upstream.headers
    }
    return Audio(
        _chunks(upstream, call.pk),
        content_type="audio/mpeg",
        status=upstream.status_code,
        headers={"Accept-Ranges": "bytes", **passed},
    )


def _chunks(upstream, call_id: int):
    """The body as it arrives; the connection to Twilio is closed when the player stops."""
    try:
        yield from upstream.iter_content(CHUNK)
    except requests.RequestException as error:
        # Headers are sent by now: the player sees a cut-short file, the log says why.
        logger.warning("Recording of call %s: cut off (%s)", call_id, error)
    finally:
        upstream.close()


def simulated_wav(seconds: int) -> bytes:
    """A quiet 400 Hz tone, `seconds` long (at most SIMULATED_MAX_SECONDS), as a WAV."""
    seconds = max(1, min(seconds, SIMULATED_MAX_SECONDS))
    period = SIMULATED_RATE // 400
    cycle = array.array(
        "h", (int(1500 * math.sin(2 * math.pi * i / period)) for i in range(period))
    )
    if sys.byteorder == "big":
        cycle.byteswap()  # WAV samples are little-endian
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SIMULATED_RATE)
        out.writeframes((cycle * (SIMULATED_RATE // period * seconds)).tobytes())
    return buffer.getvalue()
