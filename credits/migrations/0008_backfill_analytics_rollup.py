"""Backfill: every contractor's analytics rollup from their history (leads 0023 made the
tables). It runs the same rebuild as the nightly task, so both count alike; on a fresh
database (no purchase yet) it does nothing. Reversing it leaves the cells to leads 0023."""

from django.db import migrations


def backfill(apps, schema_editor):
    Purchase = apps.get_model("leads", "Purchase")
    if not Purchase.objects.exists():  # a fresh database: nothing to count
        return
    # The live rebuild (one definition of what counts), as of this migration's schema.
    from credits.services import rebuild_all_analytics

    rebuild_all_analytics()


class Migration(migrations.Migration):
    dependencies = [
        ("credits", "0007_claim_contractor_required_and_indexed"),
        ("leads", "0023_analytics_rollup"),
        ("calls", "0003_code_limits_per_day"),
        ("billing", "0007_unmatched_payments"),
        ("marketplace", "0018_notification_list_index"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
