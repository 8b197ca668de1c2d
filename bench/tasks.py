from celery import current_app, shared_task
from django.utils import timezone

from .models import BareRow

# The baseline's task travels the way a new lead's routing does: same broker, same queue.
ROUTING_TASK = "leads.tasks.route_lead"


def routing_queue() -> str:
    """The queue CELERY_TASK_ROUTES gives routing (a dict, a list, a router function)."""
    route = current_app.amqp.router.route({}, ROUTING_TASK, (), {})
    queue = route.get("queue")
    return getattr(queue, "name", queue) or current_app.conf.task_default_queue


@shared_task
def noop(row_id: int) -> None:
    """The baseline task: one UPDATE, so the bench sees when it ran."""
    BareRow.objects.filter(pk=row_id).update(done_at=timezone.now())
