"""The audit trail's field (django-simple-history), as every model here declares it.

simple-history's `Model.history` builds a new manager class on every access
(`Manager.from_queryset()`), and it reads it for every history row it writes: about
0.14 ms each, paid by every quote request, routing and accept. The class is the same each
time, so it is built once per model here.
"""

import functools

from simple_history import models as history_models
from simple_history.manager import HistoryManager


class _HistoryManager(HistoryManager):
    @classmethod
    @functools.cache
    def from_queryset(cls, queryset_class, class_name=None):
        return super().from_queryset(queryset_class, class_name)


class HistoricalRecords(history_models.HistoricalRecords):
    def __init__(self, *args, history_manager=_HistoryManager, **kwargs):
        super().__init__(*args, history_manager=history_manager, **kwargs)
