from django.db import migrations

from marketplace.migration_helpers import grant_group_permissions, revoke_group_permissions

# The ops reports show every contractor's money: finance sees them.
GROUP_PERMISSIONS = {"finance": ["view_ops_reports"]}


def grant(apps, schema_editor):
    grant_group_permissions(apps, "leads", GROUP_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_group_permissions(apps, "leads", GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0010_purchase_appointment_booked_at"),
        ("marketplace", "0003_staff_groups"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="lead",
            options={
                "ordering": ["-created_at"],
                "permissions": [("view_ops_reports", "Can see the ops reports")],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
