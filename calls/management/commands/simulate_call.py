"""Place a simulated call to one of Fairlead's numbers and print what happens, step by step.

    python manage.py simulate_call --to +15125550100 --press 3 --zip 78701 --ready 2 \\
        --pro answer --talk 75

The same webhooks a real call runs (calls/simulator.py); off where Twilio is live."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from calls import simulator
from calls.models import TrackingNumber
from marketplace.errors import DomainError
from marketplace.services import normalize_phone


def _phone(value: str) -> str:
    try:
        return normalize_phone(value)
    except DomainError as error:
        raise CommandError(f"{value}: {error.message}") from None


class Command(BaseCommand):
    help = "Place a simulated call to a Fairlead number (no Twilio needed) and print it."

    def add_arguments(self, parser):
        parser.add_argument("--to", help="The Fairlead number to call (E.164 or as dialled).")
        parser.add_argument(
            "--from", dest="caller", help="Caller ID (default: a fictional 555-01xx number)."
        )
        parser.add_argument(
            "--press",
            dest="service",
            action="append",
            default=[],
            metavar="KEY",
            help="The service menu key; repeat for each time it is asked.",
        )
        parser.add_argument(
            "--say",
            dest="service",
            action="append",
            metavar="WORDS",
            help='The service said aloud instead ("plumbing").',
        )
        parser.add_argument("--zip", action="append", default=[], help="The zip (repeatable).")
        parser.add_argument(
            "--ready",
            action="append",
            default=[],
            help="1: in the next few days, 2: in the next few weeks, 3: just planning.",
        )
        parser.add_argument(
            "--hang-up-at",
            default="",
            choices=[key for key in simulator.HANG_UP_AT if key],
            help="Hang up at this question, or while a pro's phone rings.",
        )
        parser.add_argument(
            "--pro",
            action="append",
            default=[],
            help=f"What each pro rung does, in turn ({', '.join(simulator.PRO_ACTIONS)}); "
            "comma-separated or repeated. Default: the first answers.",
        )
        parser.add_argument("--talk", type=int, default=75, help="Seconds talked (default 75).")
        parser.add_argument(
            "--voicemail", type=int, default=20, help="Seconds of a voicemail (default 20)."
        )
        parser.add_argument("--list", action="store_true", help="List the numbers to call.")

    def handle(self, *args, **options):
        if options["list"] or not options["to"]:
            return self._list()
        off = simulator.why_off()
        if off:
            raise CommandError(off)
        to = _phone(options["to"])
        number = TrackingNumber.objects.select_related("area_zip", "contractor__base_zip")
        number = number.filter(number=to).first()
        pros = [p.strip() for given in options["pro"] for p in given.split(",") if p.strip()]
        script = simulator.Script(
            to=to,
            caller=_phone(options["caller"])
            if options["caller"]
            else simulator.demo_caller(number),
            answers={
                "service": options["service"] or [],
                "zip": options["zip"],
                "ready": options["ready"],
            },
            hang_up_at=options["hang_up_at"],
            pros=pros or ["answer"],
            talk_seconds=max(options["talk"], 0),
            voicemail_seconds=max(options["voicemail"], 0),
        )
        try:
            result = simulator.simulate(script)
        except simulator.SimulatorError as error:
            raise CommandError(str(error)) from None
        for who, what in result.lines:
            self.stdout.write(f"{who:>12}  {what}")
        if result.call is not None:
            admin = reverse("admin:calls_call_change", args=[result.call.pk])
            self.stdout.write(f"{'':>12}  The call in the admin: {settings.SITE_URL}{admin}")

    def _list(self):
        numbers = TrackingNumber.objects.filter(active=True).select_related("contractor")
        if not numbers:
            self.stdout.write("No active numbers: add one in the admin (Calls > Tracking numbers).")
        for number in numbers.prefetch_related("categories"):
            self.stdout.write(f"  {number.number}  {simulator.describe(number)}")
