"""Demo calls, on top of `seed_demo`'s accounts; safe to run any number of times.

A service line for each demo metro, a profile number for the elite pro, two pros taking
calls on verified numbers, and past calls placed through the call simulator (so the calls,
their leads, legs and charges are what real calls leave): a qualified one, a short one, a
caller who hung up during screening and a voicemail. `make setup` runs it after seed_demo
(a leads command, which may not import calls)."""

import hashlib

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from calls import simulator
from calls.models import CallSettings, TrackingNumber
from marketplace.models import Contractor, ServiceCategory, ZipCode

LINE_SERVICES = ["electrical", "hvac", "plumbing", "roofing"]  # the menu: 1, 2, 3, 4
DEMO_LINES = [
    # number, label, metro zip
    ("+16195550100", "San Diego service line", "92101"),
    ("+15125550100", "Austin service line", "78701"),
]
DEMO_PROFILE = ("+16195550199", "elite@fairlead.example")
# Pros who take calls, rung on their business phones (seed_demo's), proven theirs.
DEMO_RING = ["elite@fairlead.example", "exclusive@fairlead.example"]

DEMO_CALLS = [
    # name, what happens on the call
    (
        "qualified",
        dict(
            to="+15125550100",
            caller="+15125550131",
            answers={"service": ["3"], "zip": ["78701"], "ready": ["1"]},
            pros=["answer"],
            talk_seconds=185,
        ),
    ),
    (
        "short",
        dict(
            to="+16195550100",
            caller="+16195550132",
            answers={"service": ["1"], "zip": ["92101"], "ready": ["2"]},
            pros=["answer"],
            talk_seconds=35,
        ),
    ),
    (
        "missed",
        dict(
            to="+15125550100",
            caller="+15125550133",
            answers={"service": ["2"]},
            hang_up_at="zip",
        ),
    ),
    (
        "voicemail",
        dict(
            to="+16195550100",
            caller="+16195550134",
            answers={"service": ["roofing"], "zip": ["00000"]},
            voicemail_seconds=30,
        ),
    ),
]


def demo_sid(name: str) -> str:
    """The same call sid on every run, so a demo call is placed once."""
    return "CA" + hashlib.sha256(f"fairlead-demo-call:{name}".encode()).hexdigest()[:32]


class Command(BaseCommand):
    help = "Create or refresh the demo phone numbers and calls (after seed_demo; idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--numbers-only", action="store_true", help="Only print the numbers to call."
        )

    def handle(self, *args, **options):
        if options["numbers_only"]:
            return self._print_numbers()
        pros = {c.user.email: c for c in Contractor.objects.filter(user__email__in=DEMO_RING)}
        if len(pros) < len(DEMO_RING):
            raise CommandError("The demo accounts are missing: run `manage.py seed_demo` first.")
        with transaction.atomic():
            self._numbers()
            for pro in pros.values():
                CallSettings.objects.update_or_create(
                    contractor=pro,
                    defaults={
                        "enabled": True,
                        "ring_number": pro.phone,
                        "verified_number": pro.phone,
                        "verified_at": timezone.now(),
                    },
                )
            placed = self._calls()
        self.stdout.write(self.style.SUCCESS(f"Demo calls ready ({placed} placed now)."))
        self._print_numbers()

    def _numbers(self):
        services = list(ServiceCategory.objects.filter(slug__in=LINE_SERVICES))
        for number, label, metro in DEMO_LINES:
            line, _ = TrackingNumber.objects.update_or_create(
                number=number,
                defaults={
                    "purpose": TrackingNumber.Purpose.SERVICE_LINE,
                    "label": label,
                    "area_zip": ZipCode.objects.get(code=metro),
                    "contractor": None,
                    "active": True,
                },
            )
            line.categories.set(services)
        number, email = DEMO_PROFILE
        elite = Contractor.objects.get(user__email=email)
        TrackingNumber.objects.update_or_create(
            number=number,
            defaults={
                "purpose": TrackingNumber.Purpose.PROFILE,
                "label": f"{elite.business_name} profile",
                "contractor": elite,
                "area_zip": None,
                "active": True,
            },
        )

    def _calls(self) -> int:
        off = simulator.why_off()
        if off:
            self.stdout.write(self.style.WARNING(f"No demo calls placed: {off}"))
            return 0
        placed = 0
        for name, happens in DEMO_CALLS:
            sid = demo_sid(name)
            if simulator.find_call(sid) is not None:
                continue
            simulator.simulate(simulator.Script(sid=sid, **happens))
            placed += 1
        return placed

    def _print_numbers(self):
        numbers = TrackingNumber.objects.filter(
            number__in=[n for n, *_ in DEMO_LINES] + [DEMO_PROFILE[0]]
        ).select_related("contractor")
        if not numbers:
            return
        self.stdout.write(
            "Demo phone numbers (no Twilio needed: Admin > Calls > Simulate a call, or\n"
            "  python manage.py simulate_call --to +15125550100 --press 3 --zip 78701 "
            "--ready 2 --pro answer --talk 75):"
        )
        for number in numbers.prefetch_related("categories"):
            self.stdout.write(f"  {number.number}  {simulator.describe(number)}")
