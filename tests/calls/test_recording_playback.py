"""A call's recording plays through Fairlead only: for the pro who took the call (or who
bought a voicemail's lead), and for ops with `calls.view_call`. The audio is fetched from
Twilio with our credentials (here a fake Twilio on a local port: only the wire is fake),
never handed over as a link; a simulated call plays a generated tone as long as it."""

import base64
import io
import threading
import time
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from calls import recordings
from calls.models import Call
from leads.models import Purchase
from tests.factories import PurchaseFactory, UserFactory
from tests.resilience.fake_providers import AUTH_TOKEN

from .made import taken_call, voicemail_on
from .phone import ACCOUNT_SID

pytestmark = pytest.mark.django_db

MP3 = b"ID3" + bytes(range(256)) * 40


class FakeRecordings:
    """Twilio's recording media: GET .../Recordings/RE....mp3 with basic auth."""

    def __init__(self):
        self.mode = "answer"  # or an HTTP status to answer, or "slow"
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                fake.requests.append({"path": self.path, **dict(self.headers)})
                if fake.mode == "slow":
                    time.sleep(1.5)
                expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
                if self.headers.get("Authorization") != f"Basic {expected}":
                    return self._answer(401, b"{}")
                if isinstance(fake.mode, int):
                    return self._answer(fake.mode, b'{"message": "broken"}')
                byte_range = self.headers.get("Range", "")
                if byte_range.startswith("bytes=") and byte_range.endswith("-"):
                    start = int(byte_range[6:-1])
                    part = MP3[start:]
                    extra = {"Content-Range": f"bytes {start}-{len(MP3) - 1}/{len(MP3)}"}
                    return self._answer(206, part, extra)
                return self._answer(200, MP3)

            def _answer(self, status, body, extra=None):
                self.send_response(status)
                self.send_header("Content-Type", "audio/mpeg")
                self.send_header("Content-Length", str(len(body)))
                for name, value in (extra or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def twilio(settings):
    fake = FakeRecordings()
    settings.TWILIO_API_URL = fake.url
    yield fake
    fake.close()


@pytest.fixture
def recorded(phone, holder, settings):
    """The holder took a screened call, talked 75 s, and Twilio recorded 74 s of it."""
    call = taken_call(phone, seconds=75, recording_seconds=74)
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID  # after the call: the fetch is what uses it
    return call


def purchase_of(call) -> Purchase:
    return Purchase.objects.get(lead=call.lead)


def play_url(call) -> str:
    return reverse("calls:recording-play", args=[purchase_of(call).pk])


def signed_in(client, pro):
    client.force_login(pro.user)
    return client


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_pro_who_took_the_call_hears_it_through_fairlead(client, recorded, holder, twilio):
    response = signed_in(client, holder).get(play_url(recorded))
    assert response.status_code == 200 and response["Content-Type"] == "audio/mpeg"
    assert body(response) == MP3
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Length"] == str(len(MP3))
    # Fetched from Twilio's API (at TWILIO_API_URL) as the MP3, with our credentials.
    (fetch,) = twilio.requests
    recording_path = recorded.recording_url.removeprefix("https://api.twilio.com")
    assert fetch["path"] == recording_path + ".mp3"
    assert "twilio" not in response.get("Location", "")


def test_a_player_seeking_gets_the_part_it_asked_for(client, recorded, holder, twilio):
    response = signed_in(client, holder).get(play_url(recorded), HTTP_RANGE="bytes=100-")
    assert response.status_code == 206 and body(response) == MP3[100:]
    assert response["Content-Range"] == f"bytes 100-{len(MP3) - 1}/{len(MP3)}"
    assert twilio.requests[0]["Range"] == "bytes=100-"


def test_a_range_header_that_is_not_a_range_is_not_passed_on(client, recorded, holder, twilio):
    response = signed_in(client, holder).get(play_url(recorded), HTTP_RANGE="bytes=1-\r\nX: y")
    assert response.status_code == 200 and "Range" not in twilio.requests[0]


@pytest.mark.parametrize("failure", [500, 404, "slow"])
def test_twilio_failing_is_a_clear_502(client, recorded, holder, twilio, monkeypatch, failure):
    monkeypatch.setattr(recordings, "FETCH_TIMEOUT", (0.5, 0.5))
    twilio.mode = failure
    response = signed_in(client, holder).get(play_url(recorded))
    assert response.status_code == 502
    assert b"could not fetch this call's recording" in response.content


def test_twilio_unreachable_is_a_clear_502(client, recorded, holder, settings):
    settings.TWILIO_API_URL = "http://127.0.0.1:9"  # nothing listens there
    response = signed_in(client, holder).get(play_url(recorded))
    assert response.status_code == 502


def test_another_contractor_gets_404_and_twilio_is_never_asked(
    client, recorded, other_contractor, twilio
):
    response = signed_in(client, other_contractor).get(play_url(recorded))
    assert response.status_code == 404 and twilio.requests == []


def test_anonymous_is_sent_to_log_in(client, recorded, twilio):
    response = client.get(play_url(recorded))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert twilio.requests == []


def test_only_reading_methods_are_served(client, recorded, holder):
    assert signed_in(client, holder).post(play_url(recorded)).status_code == 405


def test_a_lead_without_a_recording_is_404(client, phone, holder):
    call = taken_call(phone, seconds=75)  # no recording callback came
    assert signed_in(client, holder).get(play_url(call)).status_code == 404
    plain = PurchaseFactory(contractor=holder)
    url = reverse("calls:recording-play", args=[plain.pk])
    assert client.get(url).status_code == 404


def test_a_simulated_call_plays_a_tone_as_long_as_its_recording(client, phone, holder):
    call = taken_call(phone, seconds=75, recording_seconds=42)
    call.recording_url = "sim:RE0001"
    call.save()
    response = signed_in(client, holder).get(play_url(call))
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    with wave.open(io.BytesIO(response.content)) as audio:
        assert audio.getnframes() / audio.getframerate() == 42
        assert audio.getnchannels() == 1


def test_a_simulated_tone_is_capped():
    with wave.open(io.BytesIO(recordings.simulated_wav(3600))) as audio:
        assert audio.getnframes() / audio.getframerate() == recordings.SIMULATED_MAX_SECONDS


def test_the_buyer_of_a_voicemail_lead_hears_the_voicemail(client, line, other_contractor):
    purchase = PurchaseFactory(contractor=other_contractor)
    voicemail_on(purchase.lead, line=line, seconds=12)
    url = reverse("calls:recording-play", args=[purchase.pk])
    response = signed_in(client, other_contractor).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"


def test_a_bridged_call_is_heard_only_by_the_pro_on_it(client, line, other_contractor):
    """A buyer who was not on the call (bought the lead later) does not hear its recording."""
    purchase = PurchaseFactory(contractor=other_contractor)
    call = voicemail_on(purchase.lead, line=line)
    call.voicemail = False
    call.save()
    url = reverse("calls:recording-play", args=[purchase.pk])
    assert signed_in(client, other_contractor).get(url).status_code == 404


# --- Ops ------------------------------------------------------------------------------------


def ops_url(call) -> str:
    return reverse("calls:recording-staff", args=[call.pk])


def staff(client, *, allowed: bool):
    user = UserFactory(is_staff=True)
    if allowed:
        user.user_permissions.add(Permission.objects.get(codename="view_call"))
    client.force_login(user)
    return client


def test_ops_with_the_permission_play_any_recording(client, recorded, twilio):
    response = staff(client, allowed=True).get(ops_url(recorded))
    assert response.status_code == 200 and body(response) == MP3


def test_staff_without_the_permission_are_refused(client, recorded, twilio):
    assert staff(client, allowed=False).get(ops_url(recorded)).status_code == 403
    assert twilio.requests == []


def test_a_contractor_cannot_use_the_ops_player(client, recorded, holder, twilio):
    response = signed_in(client, holder).get(ops_url(recorded))
    assert response.status_code == 302 and "/admin/login/" in response.url
    assert twilio.requests == []


def test_ops_get_404_for_a_call_without_a_recording(client, phone, holder):
    call = taken_call(phone, seconds=75)
    assert staff(client, allowed=True).get(ops_url(call)).status_code == 404


@pytest.mark.parametrize(
    "stored",
    [
        "https://evil.example/2010-04-01/Accounts/AC1/Recordings/RE1",
        "https://api.twilio.com.evil.example/2010-04-01/Recordings/RE1",
        "http://api.twilio.com/2010-04-01/Recordings/RE1",
    ],
)
def test_a_recording_url_off_twilios_api_is_never_fetched_with_our_credentials(
    client, recorded, holder, monkeypatch, stored
):
    fetched = []
    monkeypatch.setattr(recordings.requests, "get", lambda url, **kw: fetched.append(url))
    Call.objects.filter(pk=recorded.pk).update(recording_url=stored)
    response = signed_in(client, holder).get(play_url(recorded))
    assert response.status_code == 502 and fetched == []
