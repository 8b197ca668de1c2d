from django.core.management.base import BaseCommand, CommandError

from billing.services import ledger_mismatches
from marketplace.templatetags.money import cents


class Command(BaseCommand):
    help = "Verify that every account's balance equals the sum of its ledger entries."

    def handle(self, *args, **options):
        mismatches = ledger_mismatches()
        for account, total in mismatches:
            self.stderr.write(
                f"{account.contractor}: balance {cents(account.balance_cents)}, "
                f"entries sum to {cents(total)}"
            )
        if mismatches:
            raise CommandError(f"{len(mismatches)} account(s) out of balance.")
        self.stdout.write(self.style.SUCCESS("Every balance equals the sum of its entries."))
