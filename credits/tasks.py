from celery import shared_task

from . import services


@shared_task
def flag_overdue_claims() -> int:
    return services.flag_overdue()


@shared_task
def rebuild_analytics() -> int:
    return services.rebuild_all_analytics()
