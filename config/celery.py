"""The Celery app. Configuration lives in settings (the CELERY_* names)."""

import os

from celery import Celery, signals

from marketplace.tasking import FairleadTask

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config", task_cls=FairleadTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def _connections_as_in_a_request(**kwargs) -> None:
    """Before and after each task, what Django does around a web request: a connection past
    CONN_MAX_AGE, or broken, is closed; another is checked before reuse (CONN_HEALTH_CHECKS).
    Celery itself closes them only every CELERY_DB_REUSE_MAX tasks (settings)."""
    task = kwargs.get("task")
    if task is not None and task.request.is_eager:  # run inside the caller: its connection
        return
    from django.db import close_old_connections

    close_old_connections()


@signals.worker_init.connect
def _no_connection_into_the_pool(**kwargs) -> None:
    """Celery's fixup closed the connections opened while the worker started, before its
    pool forks; with CELERY_DB_REUSE_MAX set it no longer does, so close them here: a
    connection must not be shared with the pool's children."""
    from django.db import connections

    connections.close_all()
