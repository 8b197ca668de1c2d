from celery import shared_task

from . import services


@shared_task
def renew_subscriptions() -> dict:
    """Beat: charge, end or suspend territories whose month is over."""
    return services.renew_territories()
