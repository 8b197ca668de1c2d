"""Demo data with fixed logins, safe to run any number of times.

A leads command: demo data goes through the services of leads, territories, billing and
marketplace, and leads is the leftmost of those apps in the import chain (config → insights →
credits → leads → territories → billing → marketplace)."""

import random
from datetime import timedelta

import time_machine
from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from billing import services as billing
from leads import policy
from leads import services as lead_services
from leads.models import ContactAttempt, Lead, Offer, Purchase, Review
from marketplace import services
from marketplace.models import Contractor, Notification, ServiceCategory, User, ZipCode
from marketplace.queries import zips_within
from territories import services as territories
from territories.models import TerritorySubscription

DEMO_PASSWORD = "fairlead-demo"
DEMO_METROS = ["92101", "78701"]  # San Diego, Austin
DEMO_RADIUS_MILES = 25
DEMO_BALANCE_CENTS = 50_000

DEMO_CONTRACTORS = [
    # email, business, phone, tier, base zip, metros served, category slugs (None = all)
    (
        "elite@fairlead.example",
        "Summit Home Services",
        "+16195550101",
        "elite",
        "92101",
        DEMO_METROS,
        None,
    ),
    (
        "pro@fairlead.example",
        "Harbor Pro Contractors",
        "+16195550102",
        "pro",
        "92101",
        DEMO_METROS,
        None,
    ),
    (
        "base@fairlead.example",
        "Lone Star Handyworks",
        "+15125550103",
        "base",
        "78701",
        DEMO_METROS,
        None,
    ),
    (
        "exclusive@fairlead.example",
        "Capitol Plumbing Co.",
        "+15125550104",
        "pro",
        "78701",
        ["78701"],
        ["plumbing"],
    ),
]


DEMO_REQUESTS = [
    # email, category, zip, ownership, description, phone
    (
        "jordan@homeowner.example",
        "plumbing",
        "92101",
        "owner",
        "Water heater is leaking from the bottom and the pilot keeps going out.",
        "+16195550111",
    ),
    (
        "casey@homeowner.example",
        "electrical",
        "78701",
        "owner",
        "Two outlets in the kitchen stopped working after a storm last night.",
        "+15125550112",
    ),
    (
        "riley@homeowner.example",
        "roofing",
        "78702",
        "renter",
        "Several shingles blew off and there is a water stain on the bedroom ceiling.",
        "+15125550113",
    ),
    (
        "sam@mailinator.com",
        "hvac",
        "92103",
        "owner",
        "AC blows warm air, the outdoor unit hums but the fan does not spin.",
        "+16195550114",
    ),
]


DEMO_REQUESTS += [
    (
        "morgan@homeowner.example",
        "plumbing",
        "78701",
        "owner",
        "Bathroom faucet drips all night and the shutoff valve under the sink is stuck.",
        "+15125550115",
    ),
    (
        "alex@homeowner.example",
        "painting",
        "92104",
        "owner",
        "Need the living room and hallway repainted, about 600 square feet of walls.",
        "+16195550116",
    ),
    (
        "blake@homeowner.example",
        "landscaping",
        "78704",
        "renter",
        "Cheap backlinks and SEO services for your landscaping business, call now.",
        "+15125550117",
    ),
]
DEMO_STATES = {
    "jordan@homeowner.example": "filled",
    "alex@homeowner.example": "expired",
    "blake@homeowner.example": "rejected",
}


DEMO_TERRITORY_ZIPS = ["78701", "78702", "78703"]

# The elite pro's past: leads bought over HISTORY_DAYS in these zips (none in a territory).
HISTORY_DAYS = 180
HISTORY_LEADS = 40
HISTORY_TOP_UP_BELOW_CENTS = 60_000  # the dearest lead (a large kitchen) costs $500
HISTORY_ZIPS = ["92101", "92103", "92104", "92107", "78704", "78705", "78745"]
HISTORY_REVIEWS = [
    "On time, explained the options and cleaned up after.",
    "Fair price and the work was done in one visit.",
    "Called back within the hour and fixed it the same week.",
]
HISTORY_JOBS = [
    "quote for the whole house",
    "small repair before guests arrive",
    "replace what is there, same size",
    "second opinion on another quote",
]


def demo_logins() -> list[tuple[str, str]]:
    return [("ops@fairlead.example", "ops, superuser (admin at /admin/)")] + [
        (email, f"{tier} tier contractor, {name}") for email, name, _, tier, *_ in DEMO_CONTRACTORS
    ]


class Command(BaseCommand):
    help = "Create or refresh the demo accounts and their profiles (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--logins-only", action="store_true", help="Only print the demo logins."
        )

    def handle(self, *args, **options):
        if options["logins_only"]:
            return self._print_logins()
        if not ZipCode.objects.filter(code__in=DEMO_METROS).count() == len(DEMO_METROS):
            raise CommandError("The zip catalog is empty: run `manage.py load_zipcodes` first.")
        with transaction.atomic():
            ops = self._user("ops@fairlead.example", staff=True)
            ops.first_name, ops.last_name = "Olivia", "Ops"
            ops.save(update_fields=["first_name", "last_name"])
            contractors = [self._contractor(*row) for row in DEMO_CONTRACTORS]
            self._history(ops)
            for contractor in contractors:
                self._balance(contractor, ops)
            self._territories()
            self._leads(ops)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self._print_logins()

    def _print_logins(self):
        self.stdout.write(f"Demo logins (password: {DEMO_PASSWORD}):")
        for email, role in demo_logins():
            self.stdout.write(f"  {email:<30} {role}")

    def _balance(self, contractor, ops):
        """$500 to start with, added once, as ops would add it in the admin."""

        billing.post_entry(
            billing.account_for(contractor),
            kind="adjustment",
            amount_cents=DEMO_BALANCE_CENTS,
            memo="Demo balance",
            reason="Demo data: starting balance",
            created_by=ops,
            idempotency_key=f"demo-balance:{contractor.user.email}",
        )

    def _territories(self):
        """exclusive@ holds plumbing in three downtown Austin zips (78701 among them), paid
        from their balance like any subscriber. Nothing near 92101 is exclusive."""

        contractor = Contractor.objects.get(user__email="exclusive@fairlead.example")
        plumbing = ServiceCategory.objects.get(slug="plumbing")
        held = set(
            TerritorySubscription.objects.filter(
                contractor=contractor, status__in=TerritorySubscription.HOLDING
            ).values_list("zip_code_id", flat=True)
        )
        wanted = [
            z for z in ZipCode.objects.filter(code__in=DEMO_TERRITORY_ZIPS) if z.code not in held
        ]
        if wanted:
            territories.subscribe(contractor, zip_codes=wanted, category=plumbing)

    def _history(self, ops):
        """Six months of the elite pro's past leads, so the analytics page has a story to
        tell: bought, called, booked, won or lost, across both cities and every service.
        Each lead goes through the real intake, routing and purchase at its own moment in
        the past (time travel by the clock library the tests use), so every timestamp and
        ledger balance is what the services would have written then."""

        elite = Contractor.objects.get(user__email="elite@fairlead.example")
        if billing.account_for(elite).entries.exists():
            return  # seeded before: a past written now would not follow its ledger
        real_now = timezone.now()
        rng = random.Random(2026)  # the same story on every machine
        categories = list(ServiceCategory.objects.filter(active=True).order_by("slug"))
        start = timezone.now() - timedelta(days=HISTORY_DAYS)
        with time_machine.travel(start - timedelta(days=1), tick=False):
            self._balance(elite, ops)
        moments = sorted(
            start + timedelta(days=rng.uniform(0, HISTORY_DAYS - 8), hours=rng.uniform(0, 10))
            for _ in range(HISTORY_LEADS)
        )
        for number, moment in enumerate(moments, start=1):
            category = rng.choice(categories)
            zip_code = rng.choice(HISTORY_ZIPS)
            area_code = "619" if zip_code.startswith("9") else "512"
            with time_machine.travel(moment, tick=False):
                account = billing.account_for(elite)
                if account.balance_cents < HISTORY_TOP_UP_BELOW_CENTS:
                    billing.post_entry(
                        account,
                        kind="adjustment",
                        amount_cents=DEMO_BALANCE_CENTS,
                        memo="Demo top-up",
                        reason="Demo data: the pro tops up when the balance runs low",
                        created_by=ops,
                        idempotency_key=f"demo-history-top-up:{number}",
                    )
                lead = lead_services.submit_quote_request(
                    lead_services.QuoteRequest(
                        category=category,
                        zip_code=ZipCode.objects.get(code=zip_code),
                        description=f"{category.name} job: {rng.choice(HISTORY_JOBS)}.",
                        timeframe=Lead.Timeframe.WEEKS,
                        job_size=rng.choice(list(Lead.JobSize)),
                        ownership="owner",
                        name="Demo Homeowner",
                        phone=f"+1{area_code}555{2000 + number:04d}",
                        email=f"past-{number}@history.homeowner.example",
                        preferred_contact=Lead.ContactMethod.PHONE,
                    ),
                    submission=lead_services.Submission(
                        consent_text=policy.consent_text(),
                        channel="web",
                        utm={"source": rng.choice(["google", "facebook", "nextdoor"])},
                    ),
                )
                if lead.status != Lead.Status.OPEN:
                    continue
                Lead.objects.filter(pk=lead.pk).update(max_pros=1)
                lead_services.route(lead.pk)
                offer = Offer.objects.filter(lead=lead, contractor=elite).first()
            if offer is None:
                # Nobody took it back then: it expired then, not on today's first beat.
                with time_machine.travel(moment + timedelta(days=3), tick=False):
                    lead_services.expire_offers_and_leads()
                continue
            with time_machine.travel(moment + timedelta(minutes=rng.randint(2, 40)), tick=False):
                purchase = lead_services.accept_offer(offer, contractor=elite)
            roll = rng.random()
            if roll < 0.12:
                continue  # never called: the dashboard's to-do list
            # Mostly called within the hour, as a pro who keeps a good star score does.
            called = moment + timedelta(minutes=rng.choice([50, 55, 60, 70, 95, 180]))
            with time_machine.travel(called, tick=False):
                reached = roll < 0.85
                lead_services.log_contact_attempt(
                    purchase,
                    channel=ContactAttempt.Channel.CALL,
                    result=ContactAttempt.Result.REACHED
                    if reached
                    else ContactAttempt.Result.NO_ANSWER,
                )
                if not reached:
                    continue
                if roll < 0.30:
                    lead_services.record_outcome(
                        purchase,
                        outcome=Purchase.Outcome.LOST,
                        lost_reason=rng.choice(["Went with a cheaper quote", "Postponed the job"]),
                    )
                elif roll < 0.55:
                    lead_services.record_outcome(purchase, outcome=Purchase.Outcome.APPOINTMENT)
                else:
                    # Won near the estimate of the job's size, as real quotes land.
                    value = lead.estimated_value_cents * rng.uniform(0.6, 1.8)
                    lead_services.record_outcome(
                        purchase,
                        outcome=Purchase.Outcome.WON,
                        final_value_cents=int(value) // 100 * 100,
                    )
                    if rng.random() < 0.7:
                        lead_services.submit_review(
                            purchase.review,
                            rating=rng.choice([5, 5, 5, 4]),
                            text=rng.choice(HISTORY_REVIEWS),
                        )
        for number, moment in enumerate(moments[::3]):
            with time_machine.travel(moment + timedelta(hours=3), tick=False):
                services.record_click(
                    elite, kind="phone" if number % 2 else "website", source_page="/pros/"
                )
        newest = (
            Review.objects.filter(purchase__contractor=elite, submitted_at__isnull=False)
            .order_by("-submitted_at")
            .first()
        )
        if newest is not None:
            lead_services.reply_to_review(
                newest, contractor=elite, text="Thank you! Call us any time something comes up."
            )
        # Those messages went out and were read back then; only today's demo leads are news.
        past = Notification.objects.filter(created_at__lt=real_now - timedelta(days=1))
        past.filter(read_at__isnull=True).update(read_at=F("created_at"))
        past.filter(status=Notification.Status.QUEUED).update(
            status=Notification.Status.SENT, sent_at=F("created_at")
        )

    def _leads(self, ops):
        """Homeowner requests through the real intake and routing, in every state: open
        with offers, filled (bought by the elite pro), held for screening, rejected,
        expired."""

        for email, slug, zip_code, ownership, description, phone in DEMO_REQUESTS:
            if Lead.objects.filter(email=email).exists():
                continue
            lead = lead_services.submit_quote_request(
                lead_services.QuoteRequest(
                    category=ServiceCategory.objects.get(slug=slug),
                    zip_code=ZipCode.objects.get(code=zip_code),
                    description=description,
                    timeframe=Lead.Timeframe.WEEKS,
                    job_size=Lead.JobSize.MEDIUM,
                    ownership=ownership,
                    name="Demo Homeowner",
                    phone=phone,
                    email=email,
                    preferred_contact=Lead.ContactMethod.PHONE,
                ),
                submission=lead_services.Submission(
                    consent_text=policy.consent_text(), channel="web", utm={"source": "demo"}
                ),
            )
            state = DEMO_STATES.get(email)
            if lead.status == Lead.Status.OPEN:
                lead_services.route(lead.pk)  # the worker would do it; the demo needs it now
            if state == "filled":
                elite = Contractor.objects.get(user__email="elite@fairlead.example")
                offer = Offer.objects.get(lead=lead, contractor=elite)
                Lead.objects.filter(pk=lead.pk).update(max_pros=1)
                lead_services.accept_offer(offer, contractor=elite)
            elif state == "rejected":
                lead_services.reject_lead(lead, by=ops, reason="spam", note="Demo: spam")
            elif state == "expired":
                Lead.objects.filter(pk=lead.pk).update(
                    routed_at=timezone.now() - timedelta(hours=49)
                )
                lead_services.expire_offers_and_leads()

    def _user(self, email: str, *, staff: bool = False) -> User:
        user, _ = User.objects.get_or_create(email=email)
        user.is_staff = user.is_superuser = staff
        user.is_active = True
        user.set_password(DEMO_PASSWORD)
        user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        return user

    def _contractor(self, email, business, phone, tier, base, metros, slugs):
        user = self._user(email)
        contractor = services.create_contractor(user)
        categories = ServiceCategory.objects.filter(active=True)
        if slugs:
            categories = categories.filter(slug__in=slugs)
        zips = []
        for metro in metros:
            center = ZipCode.objects.get(code=metro)
            radius = DEMO_RADIUS_MILES if len(metros) > 1 else 15
            zips += [z.code for z in zips_within(center, radius)]
        base_zip = ZipCode.objects.get(code=base)
        # The demo tiers are granted as ops would in the admin (no monthly fee), so every
        # tier has a login with the same $500 balance.
        Contractor.objects.filter(pk=contractor.pk).update(tier=tier)
        return services.save_profile(
            contractor,
            changes=services.ProfileChanges(
                business_name=business,
                phone=phone,
                website=f"https://{business.lower().replace(' ', '').replace('.', '')}.example",
                base_zip=base_zip,
                categories=list(categories),
                area_mode=Contractor.AreaMode.ZIP_LIST,
                service_radius_miles=DEMO_RADIUS_MILES,
                service_zip_list=" ".join(dict.fromkeys(zips)),
                is_paused=False,
                daily_lead_cap=1000,
                weekly_lead_cap=5000,
                monthly_budget_cents=10_000_000,
                notify_email=True,
                notify_sms=False,
                notify_in_app=True,
                quiet_hours_start=None,
                quiet_hours_end=None,
                timezone=base_zip.timezone,
            ),
        )
