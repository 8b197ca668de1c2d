"""Every offer made before 0024 gets its lead's keys (category, zip, campaign), in one
UPDATE. A lead's keys do not change once it is offered (a screener corrects the category
before), so the lead's keys now are what they were then. Its own migration, not 0024's:
the UPDATE runs without holding the lock 0024's ALTER TABLE takes on every offer read."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    Lead = apps.get_model("leads", "Lead")
    Offer = apps.get_model("leads", "Offer")

    def of_lead(field):
        return Subquery(Lead.objects.filter(pk=OuterRef("lead_id")).values(field)[:1])

    Offer.objects.filter(zip_code__isnull=True).update(
        category_id=of_lead("category_id"),
        zip_code_id=of_lead("zip_code_id"),
        utm_source=of_lead("utm_source"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0024_offer_lead_keys"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
