from django.contrib.auth.management import create_permissions
from django.db import migrations

# Each group gets what its job needs in the admin. Later apps add their own permissions
# to these groups in their own migrations.
GROUPS = {
    "screeners": [
        ("marketplace", "view_contractor"),
        ("marketplace", "view_servicecategory"),
        ("marketplace", "view_zipcode"),
    ],
    "credit reviewers": [
        ("marketplace", "view_contractor"),
        ("marketplace", "view_servicecategory"),
    ],
    "finance": [
        ("marketplace", "view_user"),
        ("marketplace", "view_contractor"),
        ("marketplace", "change_contractor"),
        ("marketplace", "view_historicalcontractor"),
        ("marketplace", "view_servicecategory"),
    ],
}


def add_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; create ours now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codename in perms:
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0002_service_categories"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(add_groups, remove_groups)]
