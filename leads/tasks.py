from celery import shared_task

from . import services


@shared_task
def route_lead(lead_id: int) -> None:
    """Take an open lead, once, and make its first offers."""
    services.route(lead_id)


@shared_task
def send_due_waves() -> int:
    """Beat: marketplace waves whose time has come (they survive worker restarts)."""
    return services.send_due_waves()


@shared_task
def send_lead_waves(lead_id: int) -> int:
    """A lead's waves that are due now (a territory's subscriber passed on it)."""
    return services.send_due_waves(lead_id=lead_id)


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
