"""Task plumbing every app uses: the base task class and sending a task after commit.

The Celery app itself lives in `config/celery.py`; apps import from here so they never
import the project package (config sits at the left end of the import chain).
"""

import logging

from celery import current_app
from celery.contrib.django.task import DjangoTask
from django.db import InterfaceError, OperationalError, transaction

logger = logging.getLogger(__name__)


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


def enqueue_on_commit(task, *args, _options: dict | None = None, **kwargs) -> None:
    """Send a task once the transaction commits; if the broker is down, log and move on.
    `_options`: apply_async's (a queue).

    For work a periodic sweep re-sends (routing, notifications): the person who caused it
    gets their answer, and nothing is lost.
    """

    def send():
        try:
            task.apply_async(args=args, kwargs=kwargs, **(_options or {}))
        except Exception:  # noqa: BLE001 - any publishing failure is left to the sweep
            logger.exception("Could not enqueue %s%r", task.name, args)

    transaction.on_commit(send)


# Speed-critical work: a lead's routing, its waves and the offers' messages. They have their
# own queue and worker (Procfile, docker-compose.yml), so confirmation emails, reports and
# housekeeping never hold up an offer.
FAST_TASKS = {
    "leads.tasks.route_lead",
    "leads.tasks.send_lead_waves",
    "leads.tasks.send_due_waves",
}


def fast_queue() -> str:
    """The speed-critical queue: the default queue's name with "-fast" (celery-fast), so a
    worker on a private queue (tests) has a private fast queue too."""
    return f"{current_app.conf.task_default_queue}-fast"


def route_task(name, args, kwargs, options, task=None, **kw):
    """CELERY_TASK_ROUTES: speed-critical tasks to fast_queue(); a queue given when the
    task is sent wins."""
    if name in FAST_TASKS:
        return {"queue": fast_queue()}
    return None
