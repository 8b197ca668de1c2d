from django.db import migrations

from marketplace.migration_helpers import grant_group_permissions, revoke_group_permissions

GROUP_PERMISSIONS = {
    "credit reviewers": [
        "view_creditclaim",
        "change_creditclaim",
        "view_historicalcreditclaim",
    ],
    "finance": ["view_creditclaim"],
}


def grant(apps, schema_editor):
    grant_group_permissions(apps, "credits", GROUP_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_group_permissions(apps, "credits", GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("credits", "0001_initial"), ("marketplace", "0003_staff_groups")]
    operations = [migrations.RunPython(grant, revoke)]
