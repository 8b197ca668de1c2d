from django.db import migrations

from marketplace.migration_helpers import grant_group_permissions, revoke_group_permissions

# Re-routing a lead and withdrawing its offers is running the lead queue, which screeners
# do (they open the leads that routing then offers). Finance and credit reviewers only look.
GROUP_PERMISSIONS = {"screeners": ["route_lead"]}


def grant(apps, schema_editor):
    grant_group_permissions(apps, "leads", GROUP_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_group_permissions(apps, "leads", GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0014_lead_unserved"),
        ("marketplace", "0003_staff_groups"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="lead",
            options={
                "ordering": ["-created_at"],
                "permissions": [
                    ("view_ops_reports", "Can see the ops reports"),
                    ("route_lead", "Can re-route a lead and withdraw its offers"),
                ],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
