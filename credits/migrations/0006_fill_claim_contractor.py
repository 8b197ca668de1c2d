"""Every claim filed before 0005 gets its purchase's buyer, in one UPDATE per table (its
history rows too, so a past version shows the same contractor)."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    Purchase = apps.get_model("leads", "Purchase")
    buyer = Subquery(Purchase.objects.filter(pk=OuterRef("purchase_id")).values("contractor_id"))
    for name in ("CreditClaim", "HistoricalCreditClaim"):
        model = apps.get_model("credits", name)
        model.objects.filter(contractor__isnull=True).update(contractor_id=buyer)


class Migration(migrations.Migration):
    dependencies = [
        ("credits", "0005_claim_contractor"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
