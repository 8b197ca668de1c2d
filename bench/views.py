"""The baselines: what the cheapest possible request (and task) costs on this machine."""

from django.db import transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import BareRow
from .tasks import noop, routing_queue


@csrf_exempt
@require_POST
def bare_insert(request):
    """One INSERT, answered 201: the floor under any intake request."""
    row = BareRow.objects.create(label=request.POST.get("label", "")[:40])
    return JsonResponse({"id": row.pk}, status=201)


@csrf_exempt
@require_POST
def bare_insert_task(request):
    """One INSERT and one no-op task through the same broker and queue as routing."""
    with transaction.atomic():
        row = BareRow.objects.create(label=request.POST.get("label", "")[:40])
        transaction.on_commit(lambda: noop.apply_async([row.pk], queue=routing_queue()))
    return JsonResponse({"id": row.pk}, status=201)
