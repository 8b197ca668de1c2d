from django.db import migrations

from marketplace.migration_helpers import grant_group_permissions, revoke_group_permissions

GROUP_PERMISSIONS = {"finance": ["view_membership", "change_membership"]}


def grant(apps, schema_editor):
    grant_group_permissions(apps, "billing", GROUP_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_group_permissions(apps, "billing", GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("billing", "0004_memberships"), ("marketplace", "0003_staff_groups")]
    operations = [migrations.RunPython(grant, revoke)]
