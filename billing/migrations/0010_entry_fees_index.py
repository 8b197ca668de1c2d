"""Analytics' fees read from a partial index of the few subscription and membership
entries. Built CONCURRENTLY on PostgreSQL, so purchases, top-ups and credits keep posting
meanwhile (a plain build blocks every insert into the ledger), hence not atomic."""

from django.conf import settings
from django.db import migrations, models

from marketplace.migration_helpers import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("billing", "0009_entry_account_indexed_by_the_statement"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="entry",
            index=models.Index(
                condition=models.Q(("kind__in", ["subscription", "membership"])),
                fields=["account", "created_at"],
                name="entry_fees_idx",
            ),
        ),
    ]
