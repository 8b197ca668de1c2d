import logging

from celery import shared_task
from django.conf import settings

from marketplace.notifications import twilio_client, twilio_configured

from . import services, twiml

logger = logging.getLogger(__name__)


@shared_task
def settle_stale_calls() -> dict:
    """Beat: connected calls whose duration report never came, calls stuck ringing."""
    return services.settle_stale_calls()


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def place_verification_call(ring_number: str, code: str) -> str:
    """Ring a pro's number with the code that proves it theirs. Without Twilio (a laptop's
    demo) the dashboard shows the code instead."""
    if not twilio_configured():
        logger.info("Verification call to %s (no Twilio): code %s", ring_number, code)
        return ""
    call = twilio_client().calls.create(
        to=ring_number, from_=settings.TWILIO_FROM_NUMBER, twiml=twiml.verification(code)
    )
    return call.sid
