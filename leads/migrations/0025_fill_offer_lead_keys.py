"""Every offer made before 0024 gets its lead's keys (category, zip, campaign). A lead's
keys do not change once it is offered (a screener corrects the category before), so the
lead's keys now are what they were then.

Its own migration, not 0024's, and not atomic: offers are filled BATCH at a time by id, each
batch its own short transaction, so accepting, declining and expiring offers never wait
long on a locked row (one UPDATE of the whole table would hold every offer until it
committed)."""

from django.db import migrations
from django.db.models import Max, OuterRef, Subquery

BATCH = 5_000


def fill(apps, schema_editor):
    Lead = apps.get_model("leads", "Lead")
    Offer = apps.get_model("leads", "Offer")

    def of_lead(field):
        return Subquery(Lead.objects.filter(pk=OuterRef("lead_id")).values(field)[:1])

    last = Offer.objects.aggregate(last=Max("pk"))["last"] or 0
    for start in range(0, last + 1, BATCH):
        Offer.objects.filter(pk__gte=start, pk__lt=start + BATCH, zip_code__isnull=True).update(
            category_id=of_lead("category_id"),
            zip_code_id=of_lead("zip_code_id"),
            utm_source=of_lead("utm_source"),
        )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("leads", "0024_offer_lead_keys"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
