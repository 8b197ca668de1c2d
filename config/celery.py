"""The Celery app. Configuration lives in settings (the CELERY_* names)."""

import os

from celery import Celery

from marketplace.tasking import FairleadTask

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config", task_cls=FairleadTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
