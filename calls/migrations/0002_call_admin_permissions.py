from django.db import migrations

from marketplace.migration_helpers import grant_group_permissions, revoke_group_permissions

# Everyone in ops may look at calls and numbers (credit reviewers play a call lead's
# recording, which needs view_call). Finance, who runs the paid side (numbers are rented
# from Twilio), adds and edits numbers and tries them with the simulator. Screeners, who
# answer pros' questions, may switch a pro's calls off or change the number rung (a new
# number rings nobody until the pro proves it theirs).
VIEW = ["view_trackingnumber", "view_call", "view_callleg", "view_callsettings"]
GROUP_PERMISSIONS = {
    "screeners": [*VIEW, "change_callsettings"],
    "credit reviewers": VIEW,
    "finance": [*VIEW, "add_trackingnumber", "change_trackingnumber", "simulate_call"],
}


def grant(apps, schema_editor):
    grant_group_permissions(apps, "calls", GROUP_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_group_permissions(apps, "calls", GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("calls", "0001_initial"), ("marketplace", "0003_staff_groups")]

    operations = [
        migrations.AlterModelOptions(
            name="call",
            options={
                "ordering": ["-started_at"],
                "permissions": [("simulate_call", "Can place a simulated call (no Twilio)")],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
