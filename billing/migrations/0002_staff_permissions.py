from django.db import migrations

from marketplace.migration_helpers import grant_group_permissions, revoke_group_permissions

GROUP_PERMISSIONS = {
    "finance": [
        "view_account",
        "view_entry",
        "add_entry",
        "view_topup",
        "view_stripeevent",
    ],
    "credit reviewers": ["view_account", "view_entry"],
}


def grant(apps, schema_editor):
    grant_group_permissions(apps, "billing", GROUP_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_group_permissions(apps, "billing", GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial"), ("marketplace", "0003_staff_groups")]
    operations = [migrations.RunPython(grant, revoke)]
