from celery import shared_task

from . import services


@shared_task
def renew_memberships() -> dict:
    """Beat: charge or downgrade memberships whose month is over."""
    return services.renew_memberships()
