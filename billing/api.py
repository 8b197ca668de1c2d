from rest_framework import generics

from marketplace.api import IsContractor
from marketplace.pagination import KnownCountPagination

from . import queries
from .models import Entry
from .serializers import EntrySerializer


class LedgerListView(generics.ListAPIView):
    """The authenticated contractor's ledger entries, newest first."""

    serializer_class = EntrySerializer
    permission_classes = [IsContractor]
    pagination_class = KnownCountPagination  # `count` from the account's running count

    def list_count(self) -> int:
        return queries.entry_count(self.request.user.contractor)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Entry.objects.none()
        return queries.statement(self.request.user.contractor)
