import pytest

from calls.models import CallSettings, TrackingNumber
from marketplace.models import ServiceArea, ZipCode
from territories import services as territories
from tests.factories import ContractorFactory, ServiceCategoryFactory, fund
from tests.resilience.fake_providers import AUTH_TOKEN, SITE_URL

from .phone import Phone

LINE = "+15125550100"
PROFILE_LINE = "+15125550199"


@pytest.fixture(autouse=True)
def _twilio(settings):
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.SITE_URL = SITE_URL
    settings.CALL_RECORDING = True


def takes_calls(pro, number: str):
    CallSettings.objects.update_or_create(
        contractor=pro,
        defaults={"enabled": True, "ring_number": number, "verified_number": number},
    )
    return pro


@pytest.fixture
def electrical(db):
    return ServiceCategoryFactory(name="Electrical", slug="electrical")


@pytest.fixture
def line(metro_zips, plumbing, electrical):
    number = TrackingNumber.objects.create(
        number=LINE, purpose="service_line", label="Austin ads", area_zip_id="78701"
    )
    number.categories.set([plumbing, electrical])
    return number


@pytest.fixture
def holder(clock, contractor, metro_zips, plumbing):
    """Holds the plumbing territory of 78701, takes calls on +15125550001."""
    ServiceArea.objects.create(contractor=contractor, zip_code_id="78701")
    fund(contractor, 100_000)
    territories.subscribe(
        contractor, zip_codes=[ZipCode.objects.get(code="78701")], category=plumbing
    )
    return takes_calls(contractor, "+15125550001")


@pytest.fixture
def elite(clock, metro_zips, plumbing):
    """A marketplace pro in 78701 who takes calls on +15125550002."""
    pro = ContractorFactory(tier="elite", business_name="Elite Plumbing", categories=[plumbing])
    ServiceArea.objects.create(contractor=pro, zip_code_id="78701")
    fund(pro, 50_000)
    return takes_calls(pro, "+15125550002")


@pytest.fixture
def phone(client, line):
    return Phone(client, to=LINE)


def screen(phone, *, service="2", zip_code="78701", ready="2"):
    """Ring the line and answer the three questions; returns the TwiML after readiness."""
    menu = phone.ring()
    asked_zip = phone.press(menu, service)
    asked_ready = phone.press(asked_zip, zip_code)
    return phone.press(asked_ready, ready)
