"""The bench's data: contractors through the real services, their past in bulk.

A contractor who takes part in a measurement (the elite pro watched for offers, the two
whose pages are compared) is signed up and set up through marketplace and billing services,
as seed_demo does. Their past (leads bought over 13 months, with offers, ledger entries whose
balances add up, contact attempts, outcomes, reviews, credit claims and notifications) and
the crowds of pros routing is timed against are written with bulk_create: the services
would take hours for 100,000 leads, and the pages only read the rows.
"""

import contextlib
import functools
import random
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from billing import services as billing
from billing.models import Account, Entry
from credits import policy as credit_policy
from credits import services as credit_services
from credits.models import CreditClaim
from leads.models import ContactAttempt, Lead, Offer, Purchase, Review
from marketplace import services
from marketplace.models import Contractor, Notification, ServiceArea, ServiceCategory, User, ZipCode

PASSWORD = "fairlead-bench"
# Where the watched market is (a form lead there is offered to its elite pros at once).
MARKET_ZIP = "92101"
# Routing is timed in three zips with N = 10, 200 and 1,000 eligible elite plumbers: pro i
# serves the first zip when i < 10, the second when i < 200, the third always.
ROUTING_ZIPS = ["92102", "92103", "92104"]
ROUTING_NS = (10, 200, 1000)
# The contractors whose pages are compared serve Austin: no bench lead ever reaches them.
PAGES_ZIPS = ["78701", "78702", "78703", "78704", "78705"]
HISTORY_MONTHS = 13
BATCH = 2000


@functools.cache
def _password() -> str:
    return make_password(PASSWORD)  # hashed once: each hash takes a third of a second


def phone(n: int, area: str = "619") -> str:
    """A distinct, valid US number for each n below 8,000,000."""
    return f"+1{area}{2_000_000 + n:07d}"


@contextlib.contextmanager
def keep_timestamps(*models):
    """Let bulk_create write the past: auto_now(_add) fields keep the values given."""
    fields = [
        f for m in models for f in m._meta.concrete_fields if getattr(f, "auto_now_add", False)
    ] + [f for m in models for f in m._meta.concrete_fields if getattr(f, "auto_now", False)]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, now, now_add in saved:
            f.auto_now, f.auto_now_add = now, now_add


def signed_up_pro(
    email: str, *, tier: str, zips: list[str], categories=None, business: str = ""
) -> Contractor:
    """A contractor as a real sign-up, onboarding and top-up leave them."""
    user = User.objects.create(email=email, password=_password())
    contractor = services.create_contractor(user)
    Contractor.objects.filter(pk=contractor.pk).update(tier=tier)
    base_zip = ZipCode.objects.get(code=zips[0])
    contractor = services.save_profile(
        contractor,
        changes=services.ProfileChanges(
            business_name=business or email.split("@")[0].title(),
            phone=phone(abs(hash(email)) % 900_000 + 7_000_000),
            website="",
            base_zip=base_zip,
            categories=list(categories or ServiceCategory.objects.filter(slug="plumbing")),
            area_mode=Contractor.AreaMode.ZIP_LIST,
            service_radius_miles=25,
            service_zip_list=" ".join(zips),
            is_paused=False,
            daily_lead_cap=1000,
            weekly_lead_cap=5000,
            monthly_budget_cents=100_000_000,
            notify_email=True,
            notify_sms=False,
            notify_in_app=True,
            quiet_hours_start=None,
            quiet_hours_end=None,
            timezone=base_zip.timezone,
        ),
    )
    billing.post_entry(
        billing.account_for(contractor),
        kind=Entry.Kind.TOP_UP,
        amount_cents=500_000,
        memo="Bench top-up",
    )
    return contractor


def market() -> Contractor:
    """Fifteen plumbers in MARKET_ZIP, five per tier; returns the watched elite pro."""
    pros = [
        signed_up_pro(f"{tier}{n}@market.bench.example", tier=tier, zips=[MARKET_ZIP])
        for tier in ("elite", "pro", "base")
        for n in range(5)
    ]
    return pros[0]


def routing_zips(ns=ROUTING_NS) -> dict[int, str]:
    return dict(zip(ns, ROUTING_ZIPS, strict=True))


def routing_crowd(ns=ROUTING_NS) -> list[Contractor]:
    """max(ns) onboarded, funded elite plumbers, ns[j] of them serving ROUTING_ZIPS[j]; in
    bulk."""
    count = max(ns)
    zips = routing_zips(ns)
    now = timezone.now()
    plumbing = ServiceCategory.objects.get(slug="plumbing")
    base_zip = ZipCode.objects.get(code=ROUTING_ZIPS[-1])
    password = _password()
    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(email=f"crowd{i}@routing.bench.example", password=password)
                for i in range(count)
            ],
            batch_size=BATCH,
        )
        pros = Contractor.objects.bulk_create(
            [
                Contractor(
                    user=user,
                    business_name=f"Crowd Plumbing {i}",
                    slug=f"crowd-plumbing-{i}",
                    phone=phone(5_000_000 + i),
                    base_zip=base_zip,
                    area_mode=Contractor.AreaMode.ZIP_LIST,
                    service_zip_list=" ".join(code for n, code in zips.items() if i < n),
                    tier=Contractor.Tier.ELITE,
                    daily_lead_cap=1000,
                    weekly_lead_cap=5000,
                    monthly_budget_cents=100_000_000,
                    timezone=base_zip.timezone,
                    onboarded_at=now - timedelta(days=400),
                )
                for i, user in enumerate(users)
            ],
            batch_size=BATCH,
        )
        Contractor.categories.through.objects.bulk_create(
            [
                Contractor.categories.through(contractor_id=p.pk, servicecategory_id=plumbing.pk)
                for p in pros
            ],
            batch_size=BATCH,
        )
        ServiceArea.objects.bulk_create(
            [
                ServiceArea(contractor=p, zip_code_id=code)
                for i, p in enumerate(pros)
                for n, code in zips.items()
                if i < n
            ],
            batch_size=BATCH,
        )
        accounts = Account.objects.bulk_create(
            [Account(contractor=p, balance_cents=500_000, entry_count=1) for p in pros],
            batch_size=BATCH,
        )
        Entry.objects.bulk_create(
            [
                Entry(
                    account=a,
                    kind=Entry.Kind.TOP_UP,
                    amount_cents=500_000,
                    balance_after_cents=500_000,
                    memo="Bench top-up",
                )
                for a in accounts
            ],
            batch_size=BATCH,
        )
    return pros


@dataclass
class History:
    leads: int = 0
    purchases: int = 0
    entries: int = 0
    attempts: int = 0
    notifications: int = 0
    claims: int = 0
    reviews: int = 0


# More than a page of the Credits page (20 claims): the newest purchases of the compared
# contractors' histories have claims.
CLAIMS_PAGE_FILL = 21


def purchased_history(
    contractor: Contractor,
    count: int,
    *,
    zips: list[str],
    seed: int = 16,
    pending_offers: int = 10,
    tag: str = "",
    claims_page_fill: int = CLAIMS_PAGE_FILL,
) -> History:
    """`count` leads the contractor bought over HISTORY_MONTHS, as the services would have
    left them: an accepted offer, a purchase paid by a ledger entry (top-ups whenever the
    balance ran low, so every balance_after adds up and the account's balance is the sum),
    contact attempts, outcomes, reviews, a few credit claims (approved ones credited), the
    in-app and email notifications of each offer; plus `pending_offers` open offers."""
    rng = random.Random(seed)
    now = timezone.now()
    tag = tag or f"c{contractor.pk}"
    categories = list(contractor.categories.all()) or list(ServiceCategory.objects.all()[:1])
    account = billing.account_for(contractor)
    balance = account.balance_cents
    span = timedelta(days=30 * HISTORY_MONTHS)
    moments = sorted(now - span + rng.random() * (span - timedelta(days=1)) for _ in range(count))
    made = History()
    reasons = [r.slug for r in credit_policy.REASONS]
    with transaction.atomic(), keep_timestamps(Lead, Offer, Purchase, Entry, Notification):
        for start in range(0, count, BATCH):
            chunk = moments[start : start + BATCH]
            leads = Lead.objects.bulk_create(
                [
                    Lead(
                        reference=f"B{tag}{start + i:07d}",
                        status_token=secrets.token_urlsafe(24),
                        status=Lead.Status.FILLED,
                        category=(category := rng.choice(categories)),
                        zip_code_id=rng.choice(zips),
                        description=f"{category.name} job: replace what is there, same size.",
                        timeframe=Lead.Timeframe.WEEKS,
                        job_size=rng.choice(list(Lead.JobSize)),
                        ownership=Lead.Ownership.OWNER,
                        estimated_value_cents=rng.choice([15_000, 45_000, 120_000]),
                        name="Bench Homeowner",
                        phone=phone(1_000_000 + (contractor.pk * 10_000 + start + i) % 3_000_000),
                        email=f"h{start + i}.{tag}@history.bench.example",
                        preferred_contact=Lead.ContactMethod.PHONE,
                        max_pros=3,
                        utm_source=rng.choice(["google", "facebook", "nextdoor", ""]),
                        channel="web",
                        routed_at=moment,
                        created_at=moment,
                        updated_at=moment,
                    )
                    for i, moment in enumerate(chunk)
                ]
            )
            offers = Offer.objects.bulk_create(
                [
                    Offer(
                        lead=lead,
                        contractor=contractor,
                        status=Offer.Status.ACCEPTED,
                        route=Offer.Route.MARKETPLACE,
                        tier=contractor.tier,
                        price_cents=max(lead.estimated_value_cents // 100, 100),
                        offered_at=lead.created_at,
                        expires_at=lead.created_at + timedelta(hours=1),
                        responded_at=lead.created_at + timedelta(minutes=rng.randint(1, 40)),
                        category_id=lead.category_id,
                        zip_code_id=lead.zip_code_id,
                        utm_source=lead.utm_source,
                    )
                    for lead in leads
                ]
            )
            entries = []
            for offer in offers:
                if balance < offer.price_cents + 5_000:
                    balance += 100_000
                    entries.append(
                        Entry(
                            account=account,
                            kind=Entry.Kind.TOP_UP,
                            amount_cents=100_000,
                            balance_after_cents=balance,
                            memo="Card top-up",
                            created_at=offer.responded_at - timedelta(seconds=1),
                        )
                    )
                balance -= offer.price_cents
                entries.append(
                    Entry(
                        account=account,
                        kind=Entry.Kind.LEAD_PURCHASE,
                        amount_cents=-offer.price_cents,
                        balance_after_cents=balance,
                        memo=f"Lead {offer.lead.reference}",
                        created_at=offer.responded_at,
                    )
                )
            entries = Entry.objects.bulk_create(entries)
            paid = [e for e in entries if e.kind == Entry.Kind.LEAD_PURCHASE]
            purchases = Purchase.objects.bulk_create(
                [
                    Purchase(
                        lead=offer.lead,
                        contractor=contractor,
                        offer=offer,
                        price_cents=offer.price_cents,
                        entry=entry,
                        created_at=offer.responded_at,
                        **_outcome(rng, offer),
                    )
                    for offer, entry in zip(offers, paid, strict=True)
                ]
            )
            attempts = [
                ContactAttempt(
                    purchase=p,
                    channel=ContactAttempt.Channel.CALL,
                    result=rng.choice(
                        [ContactAttempt.Result.REACHED] * 3 + [ContactAttempt.Result.NO_ANSWER]
                    ),
                    attempted_at=p.created_at + timedelta(minutes=rng.randint(3, 180)),
                )
                for p in purchases
                if p.outcome != Purchase.Outcome.NEW
            ]
            ContactAttempt.objects.bulk_create(attempts)
            reviews = Review.objects.bulk_create(
                [
                    Review(
                        purchase=p,
                        token=secrets.token_urlsafe(24),
                        invited_at=p.won_at,
                        rating=rng.choice([5, 5, 4, 3]),
                        text="Fair price and the work was done in one visit.",
                        submitted_at=p.won_at + timedelta(days=2),
                    )
                    for p in purchases
                    if p.won_at is not None and rng.random() < 0.6
                ]
            )
            # A few claims, and the newest purchases all claimed: the Credits page then
            # shows a full page for both contractors compared, whatever their history.
            claimed = [
                p
                for i, p in enumerate(purchases, start=start)
                if i >= count - claims_page_fill or rng.random() < 0.03
            ]
            claims = []
            for p in claimed:
                approved = rng.random() < 0.5
                filed = p.created_at + timedelta(days=1)
                claims.append(
                    CreditClaim(
                        purchase=p,
                        contractor=contractor,
                        reason=rng.choice(reasons),
                        notes="The number was disconnected.",
                        status=CreditClaim.Status.APPROVED
                        if approved
                        else CreditClaim.Status.DENIED,
                        decision_reason="Checked the calls.",
                        credited_cents=p.price_cents if approved else 0,
                        filed_at=filed,
                        due_by=filed + timedelta(days=2),
                        decided_at=filed + timedelta(days=1),
                    )
                )
            CreditClaim.objects.bulk_create(claims)
            notifications = []
            for offer in offers:
                for channel in (Notification.Channel.IN_APP, Notification.Channel.EMAIL):
                    notifications.append(
                        Notification(
                            user_id=contractor.user_id,
                            channel=channel,
                            to=contractor.user.email,
                            template="new_offer",
                            subject=f"New lead: {offer.lead.category.name}",
                            body="A new lead is waiting for you.",
                            link="/dashboard/offers/",
                            status=Notification.Status.SENT,
                            send_after=offer.offered_at,
                            sent_at=offer.offered_at,
                            read_at=offer.offered_at + timedelta(minutes=5),
                            created_at=offer.offered_at,
                        )
                    )
            Notification.objects.bulk_create(notifications)
            made.leads += len(leads)
            made.purchases += len(purchases)
            made.entries += len(entries)
            made.attempts += len(attempts)
            made.notifications += len(notifications)
            made.claims += len(claims)
            made.reviews += len(reviews)
        # Approved claims were credited, at their decision, after the purchases above.
        decided = CreditClaim.objects.filter(
            contractor=contractor, status=CreditClaim.Status.APPROVED
        ).order_by("decided_at")
        credit_entries = []
        for claim in decided:
            balance += claim.credited_cents
            credit_entries.append(
                Entry(
                    account=account,
                    kind=Entry.Kind.CREDIT,
                    amount_cents=claim.credited_cents,
                    balance_after_cents=balance,
                    memo=f"Credit for claim {claim.pk}",
                    created_at=now - timedelta(minutes=1),
                )
            )
        Entry.objects.bulk_create(credit_entries)
        made.entries += len(credit_entries)
        Account.objects.filter(pk=account.pk).update(
            balance_cents=balance, entry_count=F("entry_count") + made.entries
        )
    if pending_offers:
        _pending_offers(contractor, pending_offers, zips=zips, tag=tag)
    # Written in bulk, not through the events: the analytics rollup as the nightly run
    # makes it from this history.
    credit_services.rebuild_analytics(contractor)
    return made


def _outcome(rng: random.Random, offer: Offer) -> dict:
    roll = rng.random()
    bought = offer.responded_at
    if roll < 0.12:
        return {"outcome": Purchase.Outcome.NEW}
    if roll < 0.30:
        return {"outcome": Purchase.Outcome.CONTACTED}
    if roll < 0.45:
        return {"outcome": Purchase.Outcome.LOST, "lost_reason": "Went with a cheaper quote"}
    if roll < 0.65:
        return {
            "outcome": Purchase.Outcome.APPOINTMENT,
            "appointment_booked_at": bought + timedelta(days=1),
        }
    return {
        "outcome": Purchase.Outcome.WON,
        "appointment_booked_at": bought + timedelta(days=1),
        "won_at": bought + timedelta(days=5),
        "final_value_cents": offer.lead.estimated_value_cents // 100 * rng.randint(60, 180),
    }


def _pending_offers(contractor: Contractor, count: int, *, zips: list[str], tag: str) -> None:
    now = timezone.now()
    category = contractor.categories.first()
    leads = Lead.objects.bulk_create(
        [
            Lead(
                reference=f"P{tag}{i:07d}",
                status_token=secrets.token_urlsafe(24),
                status=Lead.Status.OPEN,
                category=category,
                zip_code_id=zips[i % len(zips)],
                description=f"{category.name} job: second opinion on another quote.",
                timeframe=Lead.Timeframe.WEEKS,
                job_size=Lead.JobSize.MEDIUM,
                ownership=Lead.Ownership.OWNER,
                estimated_value_cents=45_000,
                name="Bench Homeowner",
                phone=phone(4_000_000 + contractor.pk * 100 + i),
                email=f"open{i}.{tag}@history.bench.example",
                preferred_contact=Lead.ContactMethod.PHONE,
                routed_at=now,
            )
            for i in range(count)
        ]
    )
    Offer.objects.bulk_create(
        [
            Offer(
                lead=lead,
                contractor=contractor,
                route=Offer.Route.MARKETPLACE,
                tier=contractor.tier,
                price_cents=450,
                offered_at=now,
                expires_at=now + timedelta(days=30),
                category_id=lead.category_id,
                zip_code_id=lead.zip_code_id,
                utm_source=lead.utm_source,
            )
            for lead in leads
        ]
    )


def pages_pair(*, small: int = 100, big: int = 10_000) -> tuple[Contractor, Contractor]:
    """Two Austin contractors alike but for their past: `small` and `big` leads bought."""
    pair = []
    categories = list(ServiceCategory.objects.filter(active=True).order_by("slug")[:4])
    for name, count in (("small", small), ("big", big)):
        pro = signed_up_pro(
            f"{name}@pages.bench.example",
            tier=Contractor.Tier.PRO,
            zips=PAGES_ZIPS,
            categories=categories,
            business=f"{name.title()} History Builders",
        )
        purchased_history(pro, count, zips=PAGES_ZIPS, tag=name[0])
        pair.append(pro)
    return pair[0], pair[1]


def crowd_history(pros: list[Contractor], leads_total: int) -> History:
    """The large size's market: `leads_total` past leads spread over the crowd of pros."""
    total = History()
    each = max(leads_total // max(len(pros), 1), 1)
    zips = ROUTING_ZIPS
    for n, pro in enumerate(pros):
        made = purchased_history(
            pro, each, zips=zips, seed=n, pending_offers=0, tag=f"x{n}", claims_page_fill=0
        )
        for field in History.__dataclass_fields__:
            setattr(total, field, getattr(total, field) + getattr(made, field))
    return total
