"""A small, hand-checked dataset for the analytics tests, built through the real services
for credits (so the ledger keys are the ones production writes).

Alice (America/Los_Angeles) over January and February 2026, period [2026-01-01, 2026-03-01)
in her time zone. Prices and values in cents.

 lead source          city       service   delivered (UTC)  price   outcome         1st try  credit
 P1   market, Google  San Diego  Plumbing  Jan 10 18:00      4,500  won 600,000     300 s    —
 P2   market          San Diego  Roofing   Jan 20 18:00     12,000  appointment     1200 s   —
 P3   territory       Austin     Plumbing  Feb 05 18:00      5,000  lost            3600 s   net 0
 P4   profile lead    Austin     Roofing   Feb 14 18:00      8,000  won 1,500,000   600 s    —
 P5   market, google  Austin     Plumbing  Feb 20 18:00      4,500  new             none     4,500
 P6   market          San Diego  Plumbing  Mar 01 07:30      3,000  contacted       1800 s   3,000
                                           = Feb 28 23:30 in LA: February, in the period
 P7   market          San Diego  Plumbing  Mar 01 08:30      9,999  won 100,000     —        —
                                           = Mar 01 00:30 in LA: outside the period
 Bob  market          San Diego  Plumbing  Jan 15            7,777  won (another pro: never Alice's)

"market" is the opt-in marketplace; "1st try" is delivery → first contact attempt. Credits:
P3 by an approved claim then reversed, P5 proactively (duplicate), P6 by an approved claim.

Every purchase's offer was shown 10 minutes before delivery and accepted. Other offers to
Alice: O8 declined (San Diego, Plumbing, Jan 12), O9 expired (San Diego, Roofing, Jan 25),
O10 withdrawn (Austin, Plumbing, Feb 10), O11 pending (Austin, Roofing, Feb 27), all
marketplace without UTM. Clicks: 3 phone + 1 website in the period, 1 phone click on Mar 2.
Fees: membership 9,900 (Jan 15), territory subscription 20,000 (Feb 1), another
subscription on Mar 1 12:00 UTC (outside).

Hand-computed totals (also written next to each assertion):
  leads 6: marketplace 4 (P1 P2 P5 P6), territory 1, profile 1; phone clicks 3, website 1
  offers seen 10 (6 accepted + O8..O11); answered 8 (6 + declined + expired) → 6/8 = 7500 bp
  spend 4,500+12,000+5,000+8,000+4,500+3,000 = 37,000
  credits P3 5,000−5,000 + P5 4,500 + P6 3,000 = 7,500; net cost 29,500
  appointments 3 (P1 won, P2, P4 won); wins 2; won revenue 600,000+1,500,000 = 2,100,000
  cost per appointment 29,500/3 = 9,833.3 → 9,833; cost per win 29,500/2 = 14,750
  return on spend 2,100,000/29,500 = 71.1864 → 711,864 bp
  response times 300, 600, 1200, 1800, 3600 → median 1200 s over 5 contacted leads
  fees: subscription 20,000, membership 9,900
"""

from datetime import UTC, datetime, timedelta

from django.contrib.auth.models import Group

from billing import services as billing
from credits import services as credit_services
from credits.models import CreditClaim
from leads.models import Purchase
from tests.factories import (
    ContactAttemptFactory,
    LeadFactory,
    OfferFactory,
    ProfileClickFactory,
    PurchaseFactory,
    ServiceCategoryFactory,
    UserFactory,
    ZipCodeFactory,
    fund,
)

PERIOD = ("2026-01-01", "2026-03-01")


def at(month, day, hour=18, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def build(contractor, clock, *, other=None):
    """Alice's two months; returns the purchases by name."""
    contractor.timezone = "America/Los_Angeles"
    contractor.save(update_fields=["timezone"])
    plumbing = ServiceCategoryFactory(name="Plumbing", slug="plumbing")
    roofing = ServiceCategoryFactory(
        name="Roofing", slug="roofing", typical_job_value_cents=1_200_000
    )
    san_diego = ZipCodeFactory(code="92101", city="San Diego", state="CA")
    austin = ZipCodeFactory(code="78701", city="Austin", state="TX", timezone="America/Chicago")
    staff = UserFactory(email="finance@fairlead.example", is_staff=True, is_superuser=True)
    fund(contractor, 100_000)

    def buy(when, *, route, zip_code, category, price, utm="", outcome="new", value=None):
        clock.move_to(when - timedelta(minutes=10))
        lead = LeadFactory(status="filled", zip_code=zip_code, category=category, utm_source=utm)
        offer = OfferFactory(
            lead=lead, contractor=contractor, route=route, status="accepted", price_cents=price
        )
        clock.move_to(when)
        purchase = PurchaseFactory(
            lead=lead,
            contractor=contractor,
            offer=offer,
            price_cents=price,
            outcome=outcome,
            final_value_cents=value,
            lost_reason="Went with a cheaper quote." if outcome == "lost" else "",
        )
        return purchase

    def attempt(purchase, seconds):
        ContactAttemptFactory(
            purchase=purchase, attempted_at=purchase.created_at + timedelta(seconds=seconds)
        )

    def offer(when, status, *, zip_code, category):
        clock.move_to(when)
        OfferFactory(
            lead=LeadFactory(zip_code=zip_code, category=category),
            contractor=contractor,
            status=status,
            price_cents=4_500,
        )

    p = {}
    p["P1"] = buy(
        at(1, 10), route="marketplace", zip_code=san_diego, category=plumbing,
        price=4_500, utm="Google", outcome="won", value=600_000,
    )  # fmt: skip
    attempt(p["P1"], 300)
    offer(at(1, 12), "declined", zip_code=san_diego, category=plumbing)  # O8
    clock.move_to(at(1, 15))
    billing.post_entry(
        billing.account_for(contractor), kind="membership", amount_cents=-9_900, memo="Pro"
    )
    p["P2"] = buy(
        at(1, 20), route="marketplace", zip_code=san_diego, category=roofing,
        price=12_000, outcome="appointment",
    )  # fmt: skip
    attempt(p["P2"], 1_200)
    attempt(p["P2"], 7_200)  # a later attempt does not change the response time
    offer(at(1, 25), "expired", zip_code=san_diego, category=roofing)  # O9
    clock.move_to(at(2, 1))
    billing.post_entry(
        billing.account_for(contractor), kind="subscription", amount_cents=-20_000, memo="78701"
    )
    p["P3"] = buy(
        at(2, 5), route="territory", zip_code=austin, category=plumbing,
        price=5_000, outcome="lost",
    )  # fmt: skip
    attempt(p["P3"], 3_600)
    offer(at(2, 10), "withdrawn", zip_code=austin, category=plumbing)  # O10
    p["P4"] = buy(
        at(2, 14), route="profile", zip_code=austin, category=roofing,
        price=8_000, outcome="won", value=1_500_000,
    )  # fmt: skip
    attempt(p["P4"], 600)
    p["P5"] = buy(
        at(2, 20), route="marketplace", zip_code=austin, category=plumbing,
        price=4_500, utm="google",
    )  # fmt: skip
    offer(at(2, 27), "pending", zip_code=austin, category=roofing)  # O11
    p["P6"] = buy(
        at(3, 1, 7, 30), route="marketplace", zip_code=san_diego, category=plumbing,
        price=3_000, outcome="contacted",
    )  # fmt: skip
    attempt(p["P6"], 1_800)
    p["P7"] = buy(
        at(3, 1, 8, 30), route="marketplace", zip_code=san_diego, category=plumbing,
        price=9_999, outcome="won", value=100_000,
    )  # fmt: skip
    clock.move_to(at(3, 1, 12))
    billing.post_entry(
        billing.account_for(contractor), kind="subscription", amount_cents=-20_000, memo="78701"
    )

    for when, kind in [
        (at(1, 3), "phone"),
        (at(1, 28), "phone"),
        (at(2, 2), "phone"),
        (at(2, 3), "website"),
        (at(3, 2), "phone"),  # outside the period
    ]:
        clock.move_to(when)
        ProfileClickFactory(contractor=contractor, kind=kind)

    # Credits through the real services, days after delivery.
    clock.move_to(at(2, 7))
    claim = _claim(p["P3"])
    credit_services.approve_claim(claim, by=staff)
    clock.move_to(at(2, 9))
    credit_services.reverse_credit(claim, by=staff)
    clock.move_to(at(2, 22))
    credit_services.credit_lead_proactively(p["P5"].lead, by=staff, reason="duplicate")
    clock.move_to(at(3, 2))
    credit_services.approve_claim(_claim(p["P6"]), by=staff)
    # A claim still waiting credits nothing.
    _claim(p["P2"])

    if other is not None:
        clock.move_to(at(1, 15))
        fund(other, 50_000)
        PurchaseFactory(
            contractor=other,
            lead=LeadFactory(status="filled", zip_code=san_diego, category=plumbing),
            price_cents=7_777,
            outcome="won",
            final_value_cents=900_000,
        )
        ProfileClickFactory(contractor=other, kind="website")
    clock.move_to(at(3, 2, 14))
    return p


def _claim(purchase: Purchase) -> CreditClaim:
    from django.utils import timezone

    now = timezone.now()
    return CreditClaim.objects.create(
        purchase=purchase,
        reason="non_working_phone",
        notes="The number is disconnected.",
        filed_at=now,
        due_by=now + timedelta(days=2),
    )


def finance_user(email="fin@fairlead.example"):
    user = UserFactory(email=email, is_staff=True)
    user.groups.add(Group.objects.get(name="finance"))
    return user
