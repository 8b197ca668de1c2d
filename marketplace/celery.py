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
