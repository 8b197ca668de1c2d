from django.db import migrations

from marketplace.migration_helpers import grant_group_permissions, revoke_group_permissions

# Deactivating a contractor stops every offer to them: a decision about the account, which
# finance already runs (profile, balance, memberships, territories). Screeners judge leads,
# credit reviewers judge claims; when they find a pro who should stop, finance decides.
GROUP_PERMISSIONS = {"finance": ["deactivate_contractor"]}


def grant(apps, schema_editor):
    grant_group_permissions(apps, "marketplace", GROUP_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_group_permissions(apps, "marketplace", GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0011_star_score_unrounded")]

    operations = [
        migrations.AlterModelOptions(
            name="contractor",
            options={
                "ordering": ["business_name", "pk"],
                "permissions": [
                    ("deactivate_contractor", "Can activate and deactivate contractors")
                ],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
