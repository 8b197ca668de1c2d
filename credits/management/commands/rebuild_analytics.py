"""Rebuild contractors' analytics rollup from the history (as the nightly run does)."""

from django.core.management.base import BaseCommand

from credits import services
from marketplace.models import Contractor


class Command(BaseCommand):
    help = "Rebuild the analytics rollup (daily and monthly cells) from the raw history."

    def add_arguments(self, parser):
        parser.add_argument("--contractor", type=int, help="One contractor's id (default: all).")

    def handle(self, *args, contractor=None, **options):
        if contractor is not None:
            cells = services.rebuild_analytics(Contractor.objects.get(pk=contractor))
            self.stdout.write(f"Contractor {contractor}: {cells} cells.")
            return
        count = services.rebuild_all_analytics()
        self.stdout.write(f"Rebuilt the analytics of {count} contractors.")
