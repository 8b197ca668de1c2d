"""Each account's entry count, kept by post_entry from now on, counted once for the past."""

from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def count_entries(apps, schema_editor):
    Account = apps.get_model("billing", "Account")
    Entry = apps.get_model("billing", "Entry")
    number = (
        Entry.objects.filter(account=OuterRef("pk"))
        .order_by()
        .values("account")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Account.objects.update(entry_count=Coalesce(Subquery(number), 0))


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0007_unmatched_payments"),
    ]

    operations = [
        migrations.AddField(
            model_name="account",
            name="entry_count",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(count_entries, migrations.RunPython.noop, elidable=True),
    ]
