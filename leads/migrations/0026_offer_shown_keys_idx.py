"""The offers' count by period (analytics) reads its keys from the index alone on
PostgreSQL: a new index that carries them replaces offer_shown_idx. Both built and dropped
CONCURRENTLY, so routing keeps writing offers meanwhile (a plain build or drop locks the
table), which is why this migration is not atomic."""

from django.db import migrations, models

from marketplace.migration_helpers import AddIndexConcurrently, RemoveIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("leads", "0025_fill_offer_lead_keys"),
        ("marketplace", "0019_notification_indexes_hold_what_they_serve"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="offer",
            index=models.Index(
                fields=["contractor", "offered_at"],
                include=("route", "status", "category", "zip_code", "utm_source"),
                name="offer_shown_keys_idx",
            ),
        ),
        RemoveIndexConcurrently(model_name="offer", name="offer_shown_idx"),
    ]
