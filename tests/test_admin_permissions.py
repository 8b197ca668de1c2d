"""Every admin action asks for the permission its job needs: the admin's counterpart of
"another contractor's id gets 404".

Each action of every registered ModelAdmin (found from the admin site, so a new action
cannot slip past) is tried by one member of each staff group, by a member of staff who may
only view everything, and by a superuser: it is offered, and it runs, exactly for those
`MAY_RUN` names; for anyone else the POST changes nothing."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from billing.models import Entry, Membership, StripeEvent, TopUp, UnmatchedPayment
from billing.services import account_for
from calls.models import Call, CallSettings, TrackingNumber
from credits import services as credit_services
from credits.models import CreditClaim
from leads.models import BlockedContact, Lead, Offer, Review
from marketplace.models import Heartbeat, Notification, ServiceArea, User
from territories.models import DemandIndex, PriceOverride, TerritorySubscription
from tests.factories import (
    ContractorFactory,
    LeadFactory,
    OfferFactory,
    PurchaseFactory,
    ServiceCategoryFactory,
    UserFactory,
    ZipCodeFactory,
    fund,
)

pytestmark = pytest.mark.django_db

SCREENER, REVIEWER, FINANCE = "screeners", "credit reviewers", "finance"
VIEWER, SUPERUSER = "view only", "superuser"
ROLES = [SCREENER, REVIEWER, FINANCE, VIEWER, SUPERUSER]
NOBODY: frozenset = frozenset()
ONLY_SUPERUSERS = frozenset({SUPERUSER})

PROACTIVE = [
    "incorrect_contact",
    "non_working_phone",
    "did_not_request",
    "looking_for_work",
    "duplicate",
    "test_or_solicitation",
]

# Who may run each action: the access policy, written out once (README, "Who may do what
# in the admin"). Evidence is never deleted, not even by a superuser: leads (and with them
# their consent and screening history), offers, purchases, claims, ledger entries.
MAY_RUN = {
    ("auth.group", "delete_selected"): ONLY_SUPERUSERS,
    ("account.emailaddress", "delete_selected"): ONLY_SUPERUSERS,
    ("account.emailaddress", "make_verified"): ONLY_SUPERUSERS,
    ("axes.accessattempt", "delete_selected"): ONLY_SUPERUSERS,
    ("axes.accessattempt", "cleanup_expired_attempts"): ONLY_SUPERUSERS,
    ("axes.accesslog", "delete_selected"): ONLY_SUPERUSERS,
    ("axes.accessfailurelog", "delete_selected"): ONLY_SUPERUSERS,
    ("marketplace.user", "delete_selected"): ONLY_SUPERUSERS,
    ("marketplace.servicecategory", "delete_selected"): ONLY_SUPERUSERS,
    ("marketplace.zipcode", "delete_selected"): ONLY_SUPERUSERS,
    ("marketplace.servicearea", "delete_selected"): NOBODY,
    ("marketplace.contractor", "delete_selected"): ONLY_SUPERUSERS,
    ("marketplace.contractor", "deactivate"): frozenset({FINANCE, SUPERUSER}),
    ("marketplace.contractor", "activate"): frozenset({FINANCE, SUPERUSER}),
    ("marketplace.heartbeat", "delete_selected"): ONLY_SUPERUSERS,
    ("marketplace.notification", "delete_selected"): ONLY_SUPERUSERS,
    ("billing.account", "delete_selected"): NOBODY,
    ("billing.entry", "delete_selected"): NOBODY,
    ("billing.topup", "delete_selected"): NOBODY,
    ("billing.stripeevent", "delete_selected"): NOBODY,
    ("billing.membership", "delete_selected"): NOBODY,
    ("billing.unmatchedpayment", "delete_selected"): NOBODY,
    ("billing.unmatchedpayment", "credit_to_contractor"): frozenset({FINANCE, SUPERUSER}),
    ("billing.unmatchedpayment", "close_refunded_in_stripe"): frozenset({FINANCE, SUPERUSER}),
    ("billing.unmatchedpayment", "close_not_ours"): frozenset({FINANCE, SUPERUSER}),
    ("territories.territorysubscription", "delete_selected"): NOBODY,
    ("territories.priceoverride", "delete_selected"): frozenset({FINANCE, SUPERUSER}),
    ("territories.demandindex", "delete_selected"): frozenset({FINANCE, SUPERUSER}),
    ("leads.lead", "delete_selected"): NOBODY,
    ("leads.lead", "reroute"): frozenset({SCREENER, SUPERUSER}),
    ("leads.lead", "withdraw_offers"): frozenset({SCREENER, SUPERUSER}),
    **{
        ("leads.lead", f"credit_invalid_{reason}"): frozenset({REVIEWER, SUPERUSER})
        for reason in PROACTIVE
    },
    ("leads.screeninglead", "delete_selected"): NOBODY,
    ("leads.screeninglead", "verify_selected"): frozenset({SCREENER, SUPERUSER}),
    **{
        ("leads.screeninglead", f"reject_as_{reason}"): frozenset({SCREENER, SUPERUSER})
        for reason in ["spam", "test", "invalid", "out_of_area"]
    },
    ("leads.blockedcontact", "delete_selected"): ONLY_SUPERUSERS,
    ("leads.offer", "delete_selected"): NOBODY,
    ("leads.purchase", "delete_selected"): NOBODY,
    ("leads.review", "delete_selected"): NOBODY,
    ("credits.creditclaim", "delete_selected"): NOBODY,
    ("credits.creditclaim", "reverse_selected"): frozenset({REVIEWER, SUPERUSER}),
    ("calls.trackingnumber", "delete_selected"): NOBODY,
    ("calls.call", "delete_selected"): NOBODY,
    ("calls.callsettings", "delete_selected"): NOBODY,
}


def registered_actions():
    """(model label, action name, ModelAdmin, function) of every action the admin site
    has, whoever may run it: the class's list and what get_actions() adds for a superuser."""
    request = RequestFactory().get("/admin/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    for model, model_admin in admin.site._registry.items():
        if model_admin.actions is None:  # actions switched off (DRF's tokens)
            continue
        found = {name: func for func, name, _ in model_admin._get_base_actions()}
        found |= {name: func for name, (func, *_) in model_admin.get_actions(request).items()}
        for name, func in found.items():
            yield model._meta.label_lower, name, model_admin, func


# --- What each action does, to tell whether it ran ----------------------------------------
# A scenario makes an object the action can act on and a probe reading, from the database,
# the state the action changes.


def deletion(make):
    def scenario(staff):
        obj = make()
        return obj, lambda: type(obj)._base_manager.filter(pk=obj.pk).exists()

    return scenario


def now():
    return timezone.now()


def _access(model, **extra):
    return model.objects.create(
        user_agent="curl", ip_address="203.0.113.9", username="x@example.com", **extra
    )


def _expired_attempt():
    attempt = _access(
        AccessAttempt,
        http_accept="*/*",
        path_info="/admin/login/",
        get_data="",
        post_data="",
        failures_since_start=3,
    )
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=now() - timedelta(days=1))
    return attempt


def _unverified_email():
    user = UserFactory(verified=False)
    return EmailAddress.objects.create(user=user, email=user.email, verified=False)


def _membership():
    return Membership.objects.create(
        contractor=ContractorFactory(),
        tier="pro",
        fee_cents=4_900,
        started_at=now(),
        period_start=now(),
        period_end=now() + timedelta(days=30),
    )


def _territory():
    contractor = ContractorFactory()
    return TerritorySubscription.objects.create(
        contractor=contractor,
        zip_code=contractor.base_zip,
        category=contractor.categories.get(),
        list_price_cents=9_900,
        fee_cents=9_900,
        started_at=now(),
        period_start=now(),
        period_end=now() + timedelta(days=30),
    )


def _claim(**kwargs):
    return CreditClaim.objects.create(
        purchase=PurchaseFactory(),
        reason="fraudulent",
        notes="The name is fake.",
        filed_at=now(),
        due_by=now() + timedelta(days=2),
        **kwargs,
    )


def _tracking_number():
    number = TrackingNumber.objects.create(
        number=f"+1512555{TrackingNumber.objects.count():04d}",
        purpose="service_line",
        label="Austin ads",
    )
    number.categories.set([ServiceCategoryFactory()])
    return number


def _call():
    return Call.objects.create(
        call_sid=f"CA{Call.objects.count():032x}",
        tracking_number=_tracking_number(),
        from_number="+15125550123",
        started_at=now(),
    )


def verification(staff):
    address = _unverified_email()
    return address, lambda: EmailAddress.objects.get(pk=address.pk).verified


def activation(active_before: bool):
    def scenario(staff):
        contractor = ContractorFactory(is_active=active_before)
        return contractor, lambda: type(contractor).objects.get(pk=contractor.pk).is_active

    return scenario


def reroute(staff):
    """An open, routed lead and a pro who serves it and was not offered it yet."""
    lead = LeadFactory(status=Lead.Status.OPEN, routed_at=now())
    pro = fund(ContractorFactory(base_zip=lead.zip_code))
    ServiceArea.objects.create(contractor=pro, zip_code=lead.zip_code)
    return lead, lambda: Offer.objects.filter(lead=lead).count()


def withdrawal(staff):
    offer = OfferFactory()
    return offer.lead, lambda: Offer.objects.get(pk=offer.pk).status


def proactive_credit(staff):
    purchase = PurchaseFactory()
    account = account_for(purchase.contractor)
    return purchase.lead, lambda: account.entries.filter(kind=Entry.Kind.CREDIT).count()


def screening(staff):
    lead = LeadFactory(status=Lead.Status.SCREENING)
    return lead, lambda: Lead.objects.get(pk=lead.pk).status


def reversal(staff):
    claim = credit_services.approve_claim(_claim(), by=staff(SUPERUSER))
    return claim, lambda: CreditClaim.objects.get(pk=claim.pk).reversed_at


def _unmatched():
    event = StripeEvent.objects.create(
        event_id=f"evt_{StripeEvent.objects.count()}", type="checkout.session.completed", payload={}
    )
    return UnmatchedPayment.objects.create(
        event=event, reason="no_top_up", detail="no top-up", amount_cents=5_000, currency="usd"
    )


def unmatched_resolution(form: dict):
    """An open item and the intermediate form's answers (the action asks for a note, and
    for a credit the contractor)."""

    def scenario(staff):
        item = _unmatched()
        data = dict(form)
        if "email" in data:
            data["email"] = ContractorFactory().user.email
        return item, lambda: UnmatchedPayment.objects.get(pk=item.pk).status, data

    return scenario


SCENARIOS = {
    ("auth.group", "delete_selected"): deletion(lambda: Group.objects.create(name="temps")),
    ("account.emailaddress", "delete_selected"): deletion(_unverified_email),
    ("account.emailaddress", "make_verified"): verification,
    ("axes.accessattempt", "delete_selected"): deletion(_expired_attempt),
    ("axes.accessattempt", "cleanup_expired_attempts"): deletion(_expired_attempt),
    ("axes.accesslog", "delete_selected"): deletion(
        lambda: _access(AccessLog, http_accept="*/*", path_info="/admin/login/")
    ),
    ("axes.accessfailurelog", "delete_selected"): deletion(
        lambda: _access(AccessFailureLog, http_accept="*/*", path_info="/admin/login/")
    ),
    ("marketplace.user", "delete_selected"): deletion(UserFactory),
    ("marketplace.servicecategory", "delete_selected"): deletion(
        lambda: ServiceCategoryFactory(slug="gutters", name="Gutters")
    ),
    ("marketplace.zipcode", "delete_selected"): deletion(ZipCodeFactory),
    ("marketplace.servicearea", "delete_selected"): deletion(
        lambda: ServiceArea.objects.create(
            contractor=ContractorFactory(), zip_code=ZipCodeFactory()
        )
    ),
    ("marketplace.contractor", "delete_selected"): deletion(ContractorFactory),
    ("marketplace.contractor", "deactivate"): activation(True),
    ("marketplace.contractor", "activate"): activation(False),
    ("marketplace.heartbeat", "delete_selected"): deletion(
        lambda: Heartbeat.objects.create(name="worker", seen_at=now())
    ),
    ("marketplace.notification", "delete_selected"): deletion(
        lambda: Notification.objects.create(
            channel="email", to="x@example.com", template="welcome", body="Hi", send_after=now()
        )
    ),
    ("billing.account", "delete_selected"): deletion(lambda: account_for(ContractorFactory())),
    ("billing.entry", "delete_selected"): deletion(
        lambda: fund(ContractorFactory()).account.entries.get()
    ),
    ("billing.topup", "delete_selected"): deletion(
        lambda: TopUp.objects.create(
            account=account_for(ContractorFactory()),
            amount_cents=5_000,
            checkout_session_id="cs_test_1",
        )
    ),
    ("billing.stripeevent", "delete_selected"): deletion(
        lambda: StripeEvent.objects.create(event_id="evt_1", type="ping", payload={})
    ),
    ("billing.membership", "delete_selected"): deletion(_membership),
    ("billing.unmatchedpayment", "delete_selected"): deletion(_unmatched),
    ("billing.unmatchedpayment", "credit_to_contractor"): unmatched_resolution(
        {"email": "", "note": "Their email to us"}
    ),
    ("billing.unmatchedpayment", "close_refunded_in_stripe"): unmatched_resolution(
        {"note": "Refunded in Stripe"}
    ),
    ("billing.unmatchedpayment", "close_not_ours"): unmatched_resolution({"note": "Other shop"}),
    ("territories.territorysubscription", "delete_selected"): deletion(_territory),
    ("territories.priceoverride", "delete_selected"): deletion(
        lambda: PriceOverride.objects.create(
            zip_code=ZipCodeFactory(),
            category=ServiceCategoryFactory(slug="plumbing", name="Plumbing"),
            monthly_fee_cents=5_000,
            reason="Quiet zip",
        )
    ),
    ("territories.demandindex", "delete_selected"): deletion(
        lambda: DemandIndex.objects.create(state="TX", percent=120)
    ),
    ("leads.lead", "delete_selected"): deletion(LeadFactory),
    ("leads.lead", "reroute"): reroute,
    ("leads.lead", "withdraw_offers"): withdrawal,
    **{("leads.lead", f"credit_invalid_{reason}"): proactive_credit for reason in PROACTIVE},
    ("leads.screeninglead", "delete_selected"): deletion(
        lambda: LeadFactory(status=Lead.Status.SCREENING)
    ),
    ("leads.screeninglead", "verify_selected"): screening,
    **{
        ("leads.screeninglead", f"reject_as_{reason}"): screening
        for reason in ["spam", "test", "invalid", "out_of_area"]
    },
    ("leads.blockedcontact", "delete_selected"): deletion(
        lambda: BlockedContact.objects.create(kind="email", value="x@spam.example", reason="Spam")
    ),
    ("leads.offer", "delete_selected"): deletion(OfferFactory),
    ("leads.purchase", "delete_selected"): deletion(PurchaseFactory),
    ("leads.review", "delete_selected"): deletion(
        lambda: Review.objects.create(purchase=PurchaseFactory(), token="t" * 40, invited_at=now())
    ),
    ("credits.creditclaim", "delete_selected"): deletion(_claim),
    ("credits.creditclaim", "reverse_selected"): reversal,
    ("calls.trackingnumber", "delete_selected"): deletion(_tracking_number),
    ("calls.call", "delete_selected"): deletion(_call),
    ("calls.callsettings", "delete_selected"): deletion(
        lambda: CallSettings.objects.create(contractor=ContractorFactory())
    ),
}


@pytest.fixture
def staff():
    """One member of staff per role, made on first use."""
    made = {}

    def member(role: str) -> User:
        if role not in made:
            user = User.objects.create(
                email=f"{role.replace(' ', '-')}@fairlead.example",
                is_staff=True,
                is_superuser=role == SUPERUSER,
            )
            if role == VIEWER:
                user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
            elif role != SUPERUSER:
                user.groups.add(Group.objects.get(name=role))
            made[role] = user
        return made[role]

    return member


def offered_actions(response) -> set[str]:
    if response.status_code != 200 or response.context.get("action_form") is None:
        return set()
    return {name for name, _ in response.context["action_form"].fields["action"].choices}


def test_every_action_is_in_the_access_policy_and_has_a_scenario():
    found = {(label, name) for label, name, *_ in registered_actions()}
    assert found == set(MAY_RUN), "add the new action to MAY_RUN and SCENARIOS"
    assert set(SCENARIOS) == set(MAY_RUN)


def test_every_action_declares_the_permissions_it_needs():
    undeclared = []
    for label, name, model_admin, func in registered_actions():
        permissions = getattr(func, "allowed_permissions", None)
        if not permissions:
            undeclared.append(f"{label}: {name}")
            continue
        for permission in permissions:
            assert hasattr(model_admin, f"has_{permission}_permission"), (label, name, permission)
    assert undeclared == []


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("key", sorted(MAY_RUN), ids=lambda key: ":".join(key))
def test_an_action_is_offered_and_runs_only_for_those_who_may(client, staff, key, role):
    label, action = key
    client.force_login(staff(role))  # first: logging in sweeps expired login attempts
    obj, probe, *form = SCENARIOS[key](staff)  # form: what an intermediate page asks
    before = probe()
    changelist = reverse("admin:{}_{}_changelist".format(*label.split(".")))
    may = role in MAY_RUN[key]

    assert (action in offered_actions(client.get(changelist))) == may

    assert probe() == before
    response = client.post(
        changelist,
        {
            "action": action,
            "_selected_action": [obj.pk],
            "post": "yes",
            **(form[0] if form else {}),
        },
    )
    assert response.status_code in {200, 302, 403}
    if may:
        assert probe() != before, f"{action} did not run for {role}"
    else:
        assert probe() == before, f"{action} ran for {role}"


# --- Staff pages: who may open each (the rest get 403) ------------------------------------

EVERYONE = frozenset(ROLES)
STAFF_PAGES = {
    "admin:calls_call_changelist": EVERYONE,
    "admin:calls_call_change": EVERYONE,
    "admin:calls_trackingnumber_changelist": EVERYONE,
    "admin:calls_trackingnumber_add": frozenset({FINANCE, SUPERUSER}),
    "admin:calls_callsettings_changelist": EVERYONE,
    "admin:calls_call_simulate": frozenset({FINANCE, SUPERUSER}),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(STAFF_PAGES))
def test_a_staff_page_opens_only_for_those_who_may(client, staff, name, role):
    client.force_login(staff(role))
    args = [_call().pk] if name.endswith("_change") else []
    status = client.get(reverse(name, args=args)).status_code
    assert status == (200 if role in STAFF_PAGES[name] else 403)


@pytest.mark.parametrize("role", ROLES)
def test_only_those_who_may_place_a_simulated_call(client, staff, role, settings):
    settings.DEBUG = True  # the simulator runs where Twilio is not live
    settings.TWILIO_AUTH_TOKEN = "simulator-token"
    number = _tracking_number()
    client.force_login(staff(role))
    form = {
        "number": number.pk,
        "service": "1",
        "zip_code": "78701",
        "ready": "2",
        "pro_1": "answer",
        "pro_2": "no-answer",
        "pro_3": "no-answer",
        "talk_seconds": "75",
        "voicemail_seconds": "20",
    }
    response = client.post(reverse("admin:calls_call_simulate"), form)
    may = role in STAFF_PAGES["admin:calls_call_simulate"]
    assert response.status_code == (302 if may else 403)
    assert Call.objects.exists() == may


@pytest.mark.parametrize("role", ROLES)
def test_only_those_who_may_change_a_pros_call_settings(client, staff, role):
    row = CallSettings.objects.create(contractor=ContractorFactory(), ring_number="+15125550001")
    client.force_login(staff(role))
    url = reverse("admin:calls_callsettings_change", args=[row.pk])
    client.post(url, {"enabled": "on", "ring_number": "+15125550002"})
    row.refresh_from_db()
    changed = row.ring_number == "+15125550002"
    assert changed == (role in {SCREENER, SUPERUSER})
