import time

from django.core.management.base import BaseCommand

from marketplace.services import load_zip_catalog


class Command(BaseCommand):
    help = "Load or refresh the US zip code catalog from the zipcodes package (idempotent)."

    def handle(self, *args, **options):
        started = time.monotonic()
        result = load_zip_catalog()
        self.stdout.write(
            f"Zip catalog: {result['total']} zips ({result['created']} added, "
            f"{result['updated']} updated) in {time.monotonic() - started:.1f}s"
        )
