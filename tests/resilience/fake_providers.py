"""Twilio and an SMTP server on local ports, for fault tests that need real network calls.

Only the outbound wire is fake: the application (or a real worker process) talks to them
through the twilio client and Django's SMTP backend, exactly as it talks to the real ones.
Each can answer, refuse, hang before it has the message ("never got it") or take the
message and hang before it answers ("accepted": the sender dies without knowing).
"""

import base64
import hashlib
import hmac
import json
import socketserver
import threading
import uuid
from email import message_from_bytes, policy
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.utils import timezone

ACCOUNT_SID = "AC" + "f" * 32
AUTH_TOKEN = "fake-twilio-auth-token"
FROM_NUMBER = "+15005550006"
SITE_URL = "https://fairlead.example"

# What a provider does with the next request.
ANSWER = "answer"  # takes the message and says so
HANG_UNREAD = "hang unread"  # the connection opens, the message is never read: never got it
HANG_AFTER_TAKING = "hang after taking"  # the message is taken, the answer never comes


def twilio_signature(url: str, params: dict, token: str = AUTH_TOKEN) -> str:
    """X-Twilio-Signature as Twilio builds it: base64 HMAC-SHA1 over the full URL (query
    string included) followed by each POST parameter's name and value, sorted by name."""
    data = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


class FakeTwilio:
    """Twilio's Messages API (POST /2010-04-01/Accounts/<sid>/Messages.json)."""

    def __init__(self):
        self.mode = ANSWER
        self.refuse_with = None  # a Twilio error code: answer 400 with it
        self.messages: list[dict] = []  # every message Twilio took, in order
        self.calls = 0  # requests to create a message, refused ones included
        self.hanging = threading.Event()  # a request is held, as the mode says
        self._release = threading.Event()
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    def settings(self) -> dict:
        """The environment that points the application at this Twilio."""
        return {
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM_NUMBER": FROM_NUMBER,
            "TWILIO_API_URL": self.url,
            "SITE_URL": SITE_URL,
        }

    def report(self, client, message: dict, status: str, *, error_code: str = ""):
        """Post a status callback for `message` to the URL it asked for, signed as Twilio
        signs it, through `client` (Django's test client: the URL's host is this site)."""
        params = {
            "AccountSid": ACCOUNT_SID,
            "ApiVersion": "2010-04-01",
            "From": message["From"],
            "MessageSid": message["sid"],
            "MessageStatus": status,
            "SmsSid": message["sid"],
            "SmsStatus": status,
            "To": message["To"],
        }
        if error_code:
            params["ErrorCode"] = error_code
        url = message["StatusCallback"]
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=twilio_signature(url, params))

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                with fake._lock:
                    fake.calls += 1
                if fake.mode == HANG_UNREAD:
                    fake.hanging.set()
                    fake._release.wait()
                    return
                expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
                if self.headers.get("Authorization") != f"Basic {expected}":
                    return self._json(401, {"code": 20003, "message": "Authenticate"})
                length = int(self.headers.get("Content-Length", 0))
                form = dict(parse_qsl(self.rfile.read(length).decode()))
                if fake.refuse_with:
                    return self._json(
                        400,
                        {
                            "code": fake.refuse_with,
                            "message": f"Refused ({fake.refuse_with})",
                            "more_info": f"https://www.twilio.com/docs/errors/{fake.refuse_with}",
                            "status": 400,
                        },
                    )
                message = {**form, "sid": "SM" + uuid.uuid4().hex}
                with fake._lock:
                    fake.messages.append(message)
                if fake.mode == HANG_AFTER_TAKING:
                    fake.hanging.set()
                    fake._release.wait()
                    return
                self._json(
                    201,
                    {
                        "sid": message["sid"],
                        "account_sid": ACCOUNT_SID,
                        "to": message["To"],
                        "from": message["From"],
                        "body": message["Body"],
                        "status": "queued",
                        "direction": "outbound-api",
                        "num_segments": "1",
                        "date_created": format_datetime(timezone.now()),
                        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{message['sid']}.json",
                    },
                )

            def _json(self, status, payload):
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


class FakeSmtp:
    """An SMTP server speaking just enough ESMTP for Django's backend."""

    def __init__(self):
        self.mode = ANSWER
        self.messages = []  # email.message.EmailMessage, every one it took
        self.hanging = threading.Event()  # a connection is held, as the mode says
        self._release = threading.Event()
        self._lock = threading.Lock()
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"smtp://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        fake = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                if fake.mode == HANG_UNREAD:  # never even greets
                    fake.hanging.set()
                    fake._release.wait()
                    return
                self.say("220 fake.example ESMTP")
                while line := self.rfile.readline():
                    verb = line.decode("ascii", "replace").strip().split(" ")[0].upper()
                    if verb in {"EHLO", "HELO"}:
                        self.say("250 fake.example")
                    elif verb == "DATA":
                        self.say("354 End data with <CR><LF>.<CR><LF>")
                        if not self.take_message():
                            return
                    elif verb == "QUIT":
                        self.say("221 Bye")
                        return
                    else:  # MAIL, RCPT, RSET, NOOP
                        self.say("250 OK")

            def take_message(self) -> bool:
                lines = []
                while (line := self.rfile.readline()) not in {b".\r\n", b""}:
                    lines.append(line[1:] if line.startswith(b"..") else line)
                with fake._lock:
                    fake.messages.append(message_from_bytes(b"".join(lines), policy=policy.SMTP))
                if fake.mode == HANG_AFTER_TAKING:
                    fake.hanging.set()
                    fake._release.wait()
                    return False
                self.say("250 OK queued")
                return True

            def say(self, text):
                self.wfile.write(f"{text}\r\n".encode())

        return Handler


# Fixtures for the modules that use these fakes: a module imports `twilio_fixture` or
# `smtp_fixture`, and its tests ask for `twilio` or `smtp`.


@pytest.fixture(name="twilio")
def twilio_fixture(settings):
    """A FakeTwilio, with this process's settings pointing the application at it."""
    fake = FakeTwilio()
    for name, value in fake.settings().items():
        setattr(settings, name, value)
    yield fake
    fake.close()


@pytest.fixture(name="smtp")
def smtp_fixture(settings):
    """A FakeSmtp, with this process's email going to it."""
    fake = FakeSmtp()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", fake.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield fake
    fake.close()
