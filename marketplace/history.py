"""The audit trail's field (django-simple-history), as every model here declares it.

Two costs of simple-history's defaults, paid by every row it writes (every quote request,
routing, accept and admin edit), are cut here:

- `Model.history` builds a new manager class on every access (`Manager.from_queryset()`),
  and it reads it for every history row it writes: about 0.14 ms each. The class is the
  same each time, so it is built once per model here.
- A history table copies the indexes of its model's foreign keys and unique fields (and
  PostgreSQL's `LIKE` twins of the text ones): thirteen on the leads' history, every one
  written with each row. History is only read as one record's past (the admin's History
  page: by the record's id, newest first), so a history table keeps the indexes that read
  uses: its own key, the record's id, `history_date` and `history_user`.
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

    def copy_fields(self, model):
        fields = super().copy_fields(model)
        for name, field in fields.items():
            if name != model._meta.pk.name:
                field.db_index = False
        return fields
