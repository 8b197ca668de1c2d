"""One factory per model, grouped by app."""

from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone
from factory.django import DjangoModelFactory

from billing import services as billing_services
from leads import services as lead_services
from leads.services import analytics as lead_analytics
from marketplace.models import Contractor, ServiceCategory, User, ZipCode

PASSWORD = "correct-horse-battery-staple"


# --- marketplace -----------------------------------------------------------------------------


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"pro{n}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        self.save()
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class ServiceCategoryFactory(DjangoModelFactory):
    class Meta:
        model = ServiceCategory
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    typical_job_value_cents = 45_000
    # Test data: half and twice the typical job unless a test names its own values.
    small_job_value_cents = factory.LazyAttribute(lambda c: max(1, c.typical_job_value_cents // 2))
    large_job_value_cents = factory.LazyAttribute(lambda c: c.typical_job_value_cents * 2)
    active = True


class ZipCodeFactory(DjangoModelFactory):
    class Meta:
        model = ZipCode
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"{90000 + n:05d}")
    city = factory.Faker("city")
    state = "CA"
    county = "Test County"
    latitude = 32.7
    longitude = -117.1
    timezone = "America/Los_Angeles"
    kind = ZipCode.Kind.STANDARD
    active = True


class ContractorFactory(DjangoModelFactory):
    """An onboarded contractor serving plumbing in their base zip."""

    class Meta:
        model = Contractor
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    business_name = factory.Faker("company")
    phone = factory.Sequence(lambda n: f"+1619555{n % 10000:04d}")
    base_zip = factory.SubFactory(ZipCodeFactory)
    tier = Contractor.Tier.BASE
    onboarded_at = factory.Faker("date_time_this_year", tzinfo=__import__("datetime").UTC)
    timezone = "America/Los_Angeles"

    @factory.post_generation
    def service_zips(self, create, extracted, **kwargs):
        """ContractorFactory(service_zips=["92101", ...]): the zips the pro serves (the
        catalog rows must exist), as their expanded service area."""
        if create and extracted:
            from marketplace.models import ServiceArea

            ServiceArea.objects.bulk_create(
                [ServiceArea(contractor=self, zip_code_id=code) for code in extracted],
                ignore_conflicts=True,
            )

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        if not create:
            return
        self.categories.set(
            extracted
            if extracted is not None
            else [ServiceCategoryFactory(name="Plumbing", slug="plumbing")]
        )


class NotificationFactory(DjangoModelFactory):
    """A queued email to a homeowner, due now."""

    class Meta:
        model = "marketplace.Notification"

    channel = "email"
    to = factory.Faker("email")
    template = "received"
    subject = "We received your request"
    body = "Hello,\n\nThank you for your request."
    send_after = factory.LazyFunction(lambda: _now())


# --- leads -----------------------------------------------------------------------------------


class LeadFactory(DjangoModelFactory):
    class Meta:
        model = "leads.Lead"

    reference = factory.Sequence(lambda n: f"FL-T{n:05d}")
    status_token = factory.Sequence(lambda n: f"token-{n:04d}-{'x' * 32}")
    status = "open"
    category = factory.SubFactory(ServiceCategoryFactory, name="Plumbing", slug="plumbing")
    zip_code = factory.SubFactory(ZipCodeFactory)
    description = "The kitchen sink drain is clogged and water backs up."
    timeframe = "weeks"
    job_size = "medium"
    ownership = "owner"
    estimated_value_cents = 45_000
    name = factory.Faker("name")
    phone = factory.Sequence(lambda n: f"+1619555{n % 10000:04d}")
    email = factory.Sequence(lambda n: f"homeowner{n}@example.com")
    preferred_contact = "phone"


def fund(contractor, cents: int = 50_000):
    """Give a contractor a balance through the ledger, as a top-up would."""
    billing_services.post_entry(
        billing_services.account_for(contractor),
        kind="top_up",
        amount_cents=cents,
        memo="test funds",
    )
    return contractor


def _now():
    return timezone.now()


def _pay(purchase_stub):
    return billing_services.post_entry(
        billing_services.account_for(purchase_stub.contractor),
        kind="lead_purchase",
        amount_cents=-purchase_stub.price_cents,
        memo="test purchase",
    )


class OfferFactory(DjangoModelFactory):
    """An offer shown now, for an hour."""

    class Meta:
        model = "leads.Offer"

    lead = factory.SubFactory(LeadFactory)
    contractor = factory.SubFactory(ContractorFactory)
    status = "pending"
    route = "marketplace"
    price_cents = 450
    offered_at = factory.LazyFunction(_now)
    expires_at = factory.LazyAttribute(lambda o: o.offered_at + timedelta(minutes=60))


class PurchaseFactory(DjangoModelFactory):
    """A bought lead, paid through the ledger as accept_offer pays it (no balance check)."""

    class Meta:
        model = "leads.Purchase"
        skip_postgeneration_save = True

    lead = factory.SubFactory(LeadFactory, status="filled")
    contractor = factory.SubFactory(ContractorFactory)
    price_cents = 450
    offer = factory.SubFactory(
        OfferFactory,
        lead=factory.SelfAttribute("..lead"),
        contractor=factory.SelfAttribute("..contractor"),
        status="accepted",
        price_cents=factory.SelfAttribute("..price_cents"),
    )
    entry = factory.LazyAttribute(_pay)
    outcome = "new"
    # Booked when the outcome says so, at the moment the row is made (as record_outcome).
    appointment_booked_at = factory.LazyAttribute(
        lambda o: _now() if o.outcome in ("appointment", "won") else None
    )

    @factory.post_generation
    def score_totals(self, create, extracted, **kwargs):
        """As accept_offer does: the star score's running totals count the purchase."""
        if create:
            lead_services.count_purchase(self.contractor)
            lead_analytics.count_new_purchase(self)  # as it stands (outcome, attempts)


class ContactAttemptFactory(DjangoModelFactory):
    class Meta:
        model = "leads.ContactAttempt"
        skip_postgeneration_save = True

    purchase = factory.SubFactory(PurchaseFactory)
    channel = "call"
    result = "no_answer"
    attempted_at = factory.LazyAttribute(lambda o: o.purchase.created_at)

    @factory.post_generation
    def analytics(self, create, extracted, **kwargs):
        """As log_contact_attempt does: the rollup counts a new first attempt."""
        if create:
            earlier = (
                type(self)
                .objects.filter(purchase_id=self.purchase_id)
                .exclude(pk=self.pk)
                .order_by("attempted_at")
                .values_list("attempted_at", flat=True)
                .first()
            )
            lead_analytics.count_first_attempt(
                self.purchase, before=earlier, after=self.attempted_at
            )


class ProfileClickFactory(DjangoModelFactory):
    class Meta:
        model = "marketplace.ProfileClick"

    contractor = factory.SubFactory(ContractorFactory)
    kind = "phone"


class ReviewFactory(DjangoModelFactory):
    """A review the homeowner was invited to write and wrote: five stars."""

    class Meta:
        model = "leads.Review"

    purchase = factory.SubFactory(PurchaseFactory)
    token = factory.Sequence(lambda n: f"review-token-{n}")
    invited_at = factory.LazyFunction(_now)
    rating = 5
    text = factory.Faker("sentence")
    submitted_at = factory.LazyAttribute(lambda o: o.invited_at)


# --- billing ---------------------------------------------------------------------------------


class AccountFactory(DjangoModelFactory):
    """A contractor's balance account (the one account_for would make)."""

    class Meta:
        model = "billing.Account"
        django_get_or_create = ("contractor",)

    contractor = factory.SubFactory(ContractorFactory)


class EntryFactory(DjangoModelFactory):
    """A ledger entry, posted through billing.services.post_entry so the balance stays the
    sum of its entries."""

    class Meta:
        model = "billing.Entry"

    account = factory.SubFactory(AccountFactory)
    kind = "top_up"
    amount_cents = 10_000
    memo = factory.Faker("sentence", nb_words=4)

    @classmethod
    def _create(cls, model_class, account, **kwargs):
        return billing_services.post_entry(account, **kwargs)


class MembershipFactory(DjangoModelFactory):
    """A running paid month of the Pro tier."""

    class Meta:
        model = "billing.Membership"

    contractor = factory.SubFactory(ContractorFactory, tier="pro")
    tier = "pro"
    fee_cents = 4_900
    started_at = factory.LazyFunction(_now)
    period_start = factory.SelfAttribute("started_at")
    period_end = factory.LazyAttribute(lambda o: o.period_start + timedelta(days=30))


# --- territories -----------------------------------------------------------------------------


class TerritorySubscriptionFactory(DjangoModelFactory):
    """An active exclusive territory, its month running (no charge is posted)."""

    class Meta:
        model = "territories.TerritorySubscription"

    contractor = factory.SubFactory(ContractorFactory)
    zip_code = factory.SubFactory(ZipCodeFactory)
    category = factory.SubFactory(ServiceCategoryFactory)
    list_price_cents = 10_000
    fee_cents = 10_000
    started_at = factory.LazyFunction(_now)
    period_start = factory.SelfAttribute("started_at")
    period_end = factory.LazyAttribute(lambda o: o.period_start + timedelta(days=30))


# --- credits ---------------------------------------------------------------------------------


class CreditClaimFactory(DjangoModelFactory):
    """A claim waiting for review, filed now."""

    class Meta:
        model = "credits.CreditClaim"

    purchase = factory.SubFactory(PurchaseFactory)
    reason = "fraudulent"
    notes = factory.Faker("sentence")
    filed_at = factory.LazyFunction(_now)
    due_by = factory.LazyAttribute(lambda o: o.filed_at + timedelta(days=2))

    class Params:
        # Decided against the pro, as the reviewer does when the homeowner confirms.
        denied = factory.Trait(
            status="denied",
            decision_reason="They confirmed the request.",
            decided_at=factory.SelfAttribute("filed_at"),
        )


# --- calls -----------------------------------------------------------------------------------


class TrackingNumberFactory(DjangoModelFactory):
    """A service line advertised in a metro, every service on its menu."""

    class Meta:
        model = "calls.TrackingNumber"
        django_get_or_create = ["number"]

    number = factory.Sequence(lambda n: f"+1512555{2000 + n % 8000:04d}")
    purpose = "service_line"
    label = factory.Sequence(lambda n: f"Line {n}")
    area_zip = factory.SubFactory(ZipCodeFactory)


class CallSettingsFactory(DjangoModelFactory):
    """A pro who takes calls on a verified number."""

    class Meta:
        model = "calls.CallSettings"
        django_get_or_create = ["contractor"]

    contractor = factory.SubFactory(ContractorFactory)
    enabled = True
    ring_number = factory.Sequence(lambda n: f"+1512555{n % 10000:04d}")
    verified_number = factory.SelfAttribute("ring_number")
    verified_at = factory.LazyFunction(_now)


class CallFactory(DjangoModelFactory):
    """A call that rang a line now; by default the caller hung up during screening.
    `CallFactory(connected=True)` was screened into a lead and put through to a pro (add
    its taken leg with `CallLegFactory(call=..., taken=True)`); set `bridged_seconds`,
    `qualified` and `fee_cents` to settle it."""

    class Meta:
        model = "calls.Call"

    call_sid = factory.Sequence(lambda n: f"CA{n:032x}")
    tracking_number = factory.SubFactory(TrackingNumberFactory)
    from_number = factory.Sequence(lambda n: f"+1512555{n % 10000:04d}")
    caller_phone = factory.SelfAttribute("from_number")
    stage = "ended"
    outcome = "missed"
    started_at = factory.LazyFunction(_now)

    class Params:
        connected = factory.Trait(
            outcome="connected",
            category=factory.SubFactory(ServiceCategoryFactory, name="Plumbing", slug="plumbing"),
            zip_code=factory.SelfAttribute("tracking_number.area_zip"),
            timeframe="weeks",
            lead=factory.SubFactory(
                LeadFactory,
                status="filled",
                channel="call",
                category=factory.SelfAttribute("..category"),
                zip_code=factory.SelfAttribute("..zip_code"),
                phone=factory.SelfAttribute("..caller_phone"),
            ),
        )


class CallLegFactory(DjangoModelFactory):
    """One pro rung for a call, who did not answer. `taken=True`: they pressed 1 and bought
    the lead on the call (an accepted offer and a purchase priced at the call's fee, paid
    through the ledger when there is one, as charge_live_call does)."""

    class Meta:
        model = "calls.CallLeg"
        skip_postgeneration_save = True

    call = factory.SubFactory(CallFactory)
    contractor = factory.SubFactory(ContractorFactory)
    position = factory.Sequence(lambda n: n + 1)
    route = "marketplace"
    price_cents = 450
    number = "+15125550002"
    status = "no_answer"

    class Params:
        taken = factory.Trait(
            status="taken",
            taken_at=factory.LazyFunction(_now),
            offer=factory.SubFactory(
                OfferFactory,
                lead=factory.SelfAttribute("..call.lead"),
                contractor=factory.SelfAttribute("..contractor"),
                route=factory.SelfAttribute("..route"),
                price_cents=factory.SelfAttribute("..price_cents"),
                status="accepted",
            ),
        )

    @factory.post_generation
    def purchase(self, create, extracted, **kwargs):
        if create and self.offer_id:
            fee = self.call.fee_cents  # 0 until the call qualifies: nothing charged yet
            PurchaseFactory(
                lead=self.call.lead,
                contractor=self.contractor,
                offer=self.offer,
                price_cents=fee,
                **({} if fee else {"entry": None}),
                **kwargs,
            )
