from celery import shared_task
from django.utils import timezone

from .models import BareRow


@shared_task
def noop(row_id: int) -> None:
    """The baseline task: one UPDATE, so the bench sees when it ran."""
    BareRow.objects.filter(pk=row_id).update(done_at=timezone.now())
