"""The Celery app. Configuration lives in settings (the CELERY_* names)."""

import os

from celery import Celery
from celery.contrib.django.task import DjangoTask
from django.db import InterfaceError, OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")


class FairleadTask(DjangoTask):
    """Base task: transient failures (database or network) retry with exponential backoff.

    DjangoTask adds `delay_on_commit()`, which services use so a task never runs before
    the rows it reads are committed.
    """

    autoretry_for = (OperationalError, InterfaceError, ConnectionError, TimeoutError)
    retry_backoff = 5
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 8


app = Celery("marketplace", task_cls=FairleadTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Send a task once the transaction commits; if the broker is down, log and move on.

    For work a periodic sweep re-sends (routing, notifications): the person who caused it
    gets their answer, and nothing is lost.
    """
    import logging

    from django.db import transaction

    def send():
        try:
            task.apply_async(args=args, kwargs=kwargs)
        except Exception:  # noqa: BLE001 - any publishing failure is left to the sweep
            logging.getLogger(__name__).exception("Could not enqueue %s%r", task.name, args)

    transaction.on_commit(send)
