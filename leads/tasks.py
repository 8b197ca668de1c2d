import logging

from celery import shared_task

from marketplace import notifications
from marketplace.tasks import send_notification

from . import services

logger = logging.getLogger(__name__)


@shared_task
def route_lead(lead_id: int, then_send: list[int] = ()) -> None:
    """Take an open lead, once, and make its first offers, whose messages this task sends
    itself once they are committed (no second trip through the broker). `then_send`: the
    homeowner's confirmation, handed to the default queue after (intake publishes one
    task per lead)."""
    try:
        with notifications.sends_collected() as offers:
            services.route(lead_id)
        notifications.deliver(offers)
    finally:
        for notification_id in then_send:
            try:
                send_notification.delay(notification_id)
            except Exception:  # noqa: BLE001 - the sweep sends it
                logger.exception("Could not enqueue notification %s", notification_id)


@shared_task
def send_due_waves() -> int:
    """Beat: marketplace waves whose time has come (they survive worker restarts)."""
    with notifications.sends_collected() as offers:
        sent = services.send_due_waves()
    notifications.deliver(offers)
    return sent


@shared_task
def send_lead_waves(lead_id: int) -> int:
    """A lead's waves that are due now (a territory's subscriber passed on it)."""
    with notifications.sends_collected() as offers:
        sent = services.send_due_waves(lead_id=lead_id)
    notifications.deliver(offers)
    return sent


@shared_task
def expire_offers_and_leads() -> dict:
    return services.expire_offers_and_leads()


@shared_task
def sweep_unrouted_leads() -> int:
    """Beat: route open leads whose routing task never reached a worker (the broker was
    down). Their homeowners' emails are in the outbox, which sweep_notifications covers."""
    ids = services.unrouted_lead_ids()
    for lead_id in ids:
        route_lead.delay(lead_id)
    return len(ids)


@shared_task
def invite_due_reviews() -> int:
    return services.invite_due_reviews()


@shared_task
def recompute_star_scores() -> int:
    """Beat, nightly: star scores follow their reviews' ages."""
    return services.recompute_star_scores()
