from django.db import migrations

from marketplace.migration_helpers import grant_group_permissions, revoke_group_permissions

# Finance prices and runs territories; the other groups may look.
GROUP_PERMISSIONS = {
    "finance": [
        "view_territorysubscription",
        "change_territorysubscription",
        "view_priceoverride",
        "add_priceoverride",
        "change_priceoverride",
        "delete_priceoverride",
        "view_demandindex",
        "add_demandindex",
        "change_demandindex",
        "delete_demandindex",
    ],
    "screeners": ["view_territorysubscription"],
    "credit reviewers": ["view_territorysubscription"],
}


def grant(apps, schema_editor):
    grant_group_permissions(apps, "territories", GROUP_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_group_permissions(apps, "territories", GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("territories", "0001_subscriptions_pricing"),
        ("marketplace", "0003_staff_groups"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
