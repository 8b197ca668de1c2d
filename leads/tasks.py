from celery import shared_task

from . import services


@shared_task
def route_lead(lead_id: int) -> None:
    """Take an open lead for routing, exactly once.

    Matching and offers (profile lead, exclusive territory, marketplace waves) build on
    this claim in the routing issue; until then an open lead waits here as taken.
    """
    services.claim_for_routing(lead_id)


@shared_task
def sweep_unrouted_leads() -> int:
    """Beat: re-send open leads whose routing task never reached a worker."""
    ids = services.unrouted_lead_ids()
    for lead_id in ids:
        route_lead.delay(lead_id)
    return len(ids)
