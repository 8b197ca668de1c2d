from celery import shared_task

from . import services


@shared_task
def renew_memberships() -> dict:
    """Beat: charge or downgrade memberships whose month is over."""
    return services.renew_memberships()


@shared_task
def flag_unmatched_stripe_events() -> int:
    """Beat: show finance the Stripe events that waited too long for their payment."""
    return services.flag_unmatched_stripe_events()
