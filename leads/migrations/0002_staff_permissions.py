from django.db import migrations

from marketplace.migration_helpers import grant_group_permissions, revoke_group_permissions

GROUP_PERMISSIONS = {
    "screeners": [
        "view_lead",
        "view_screeninglead",
        "change_screeninglead",
        "view_consent",
        "view_leadflag",
        "view_screeningdecision",
        "view_blockedcontact",
        "add_blockedcontact",
        "change_blockedcontact",
    ],
    "credit reviewers": ["view_lead", "view_consent", "view_leadflag", "view_screeningdecision"],
    "finance": ["view_lead"],
}


def grant(apps, schema_editor):
    grant_group_permissions(apps, "leads", GROUP_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_group_permissions(apps, "leads", GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_initial"), ("marketplace", "0003_staff_groups")]
    operations = [migrations.RunPython(grant, revoke)]
