"""Helpers for data migrations. Kept stable: applied migrations import them."""

from django.contrib.auth.management import create_permissions


def grant_group_permissions(apps, app_label: str, groups: dict[str, list[str]]) -> None:
    """Give staff groups permissions on one app's models, creating what is missing.

    Permissions are normally created after all migrations ran; create them now so a fresh
    database gets its groups complete.
    """
    for app_config in apps.get_app_configs():
        previous = getattr(app_config, "models_module", None)  # unset in migration state
        app_config.models_module = previous or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = previous
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in groups.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )


def revoke_group_permissions(apps, app_label: str, groups: dict[str, list[str]]) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in groups.items():
        group = Group.objects.filter(name=name).first()
        if group:
            group.permissions.remove(
                *Permission.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
            )
