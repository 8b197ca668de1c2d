from django.core.management.base import BaseCommand, CommandError

from billing.services import ledger_mismatches, recount_entries
from credits.queries import over_credited_purchases
from marketplace.money import format_cents


class Command(BaseCommand):
    """Lives in credits/, the app that sees both the ledger and what credits are for."""

    help = (
        "Verify that every account's balance equals the sum of its ledger entries (and its "
        "entry count their number), and that "
        "no purchase was credited (net of reversals) beyond its price or below zero."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--recount-entries",
            action="store_true",
            help="First set each account's cached entry count to its number of entries (once "
            "every process runs the version that keeps it, after an upgrade).",
        )

    def handle(self, *args, **options):
        if options["recount_entries"]:
            self.stdout.write(f"Entry counts corrected: {recount_entries()}")
        problems = 0
        for account, total, number in ledger_mismatches():
            problems += 1
            self.stderr.write(
                f"{account.contractor}: balance {format_cents(account.balance_cents)} over "
                f"{account.entry_count} entries, entries sum to {format_cents(total)} over "
                f"{number}"
            )
        over = 0
        for purchase, net in over_credited_purchases():
            over += 1
            self.stderr.write(
                f"{purchase.contractor}: lead {purchase.lead.reference} cost "
                f"{format_cents(purchase.price_cents)} and was credited {format_cents(net)} "
                "net of reversals"
            )
        if problems or over:
            raise CommandError(
                f"{problems} account(s) out of balance; "
                f"{over} purchase(s) credited beyond their price."
            )
        self.stdout.write(
            self.style.SUCCESS(
                "Every balance equals the sum of its entries, and no purchase is credited "
                "beyond its price."
            )
        )
