import smtplib

from celery import shared_task

from . import services


@shared_task
def route_lead(lead_id: int) -> None:
    """Take an open lead for routing, exactly once.

    Matching and offers (profile lead, exclusive territory, marketplace waves) build on
    this claim in the routing issue; until then an open lead waits here as taken.
    """
    services.claim_for_routing(lead_id)


@shared_task(autoretry_for=(smtplib.SMTPException, OSError))
def send_confirmation(lead_id: int) -> None:
    services.send_confirmation_now(lead_id)


@shared_task
def sweep_unrouted_leads() -> int:
    """Beat: re-send work that never reached a worker (the broker was down): routing of
    open leads, and homeowners' confirmation emails."""
    ids = services.unrouted_lead_ids()
    for lead_id in ids:
        route_lead.delay(lead_id)
    unconfirmed = services.unconfirmed_lead_ids()
    for lead_id in unconfirmed:
        send_confirmation.delay(lead_id)
    return len(ids) + len(unconfirmed)
