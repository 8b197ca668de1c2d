from rest_framework import generics

from marketplace.api import IsContractor

from . import queries
from .models import Entry
from .serializers import EntrySerializer


class LedgerListView(generics.ListAPIView):
    """The authenticated contractor's ledger entries, newest first."""

    serializer_class = EntrySerializer
    permission_classes = [IsContractor]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Entry.objects.none()
        return queries.statement(self.request.user.contractor)
