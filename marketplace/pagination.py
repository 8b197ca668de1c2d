"""Page numbers of every API list: a whole number from 1, else 400; past the last page 404.

DRF's PageNumberPagination read `?page=` as page 1 and answered `page=0`, `-1` or `abc`
404 "Invalid page." while the schema said any integer; here the schema (minimum 1) and
the answer agree."""

from django.core.paginator import Paginator
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

MAX_PAGE = 2**31 - 1
PAGE_MESSAGE = f"A page is a whole number from 1 to {MAX_PAGE}."


class StrictPageNumberPagination(PageNumberPagination):
    invalid_page_message = "Page {page_number} is past the last page."

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 10 and 1 <= int(raw) <= MAX_PAGE):
            raise ValidationError({self.page_query_param: [PAGE_MESSAGE]})
        return int(raw)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number, from 1 (400 otherwise; 404 past the last page).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
            }
        ]


class LateRowPaginator(Paginator):
    """Page numbers whose deep pages stay cheap: the OFFSET skips ids only (read from the
    index that serves the list's order), and the page's twenty rows are then joined to
    what they show, in the same query. A plain OFFSET joined every skipped row first."""

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = self.object_list.values("pk")[bottom:top]
        return self._get_page(self.object_list.filter(pk__in=ids), number, self)


class LateRowPagination(StrictPageNumberPagination):
    """StrictPageNumberPagination, deep pages read as LateRowPaginator reads them."""

    django_paginator_class = LateRowPaginator


class KnownCountPaginator(Paginator):
    """A Paginator told its list's length, kept as a running total with the rows (a
    ledger's entry count), so a page reads its rows and never COUNTs the whole history."""

    def __init__(self, object_list, per_page, *, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.count = count  # in place of Paginator.count, a COUNT(*) query


class KnownCountPagination(StrictPageNumberPagination):
    """StrictPageNumberPagination for a view that knows its list's length: the view's
    `list_count()` (one small read) gives the response's `count`."""

    def paginate_queryset(self, queryset, request, view=None):
        count = view.list_count()
        self.django_paginator_class = lambda rows, size: KnownCountPaginator(
            rows, size, count=count
        )
        return super().paginate_queryset(queryset, request, view)
