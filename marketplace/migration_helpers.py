"""Helpers for migrations. Kept stable: applied migrations import them."""

from django.contrib.auth.management import create_permissions
from django.contrib.postgres import operations as postgres_operations
from django.db.migrations.operations import AddIndex, RemoveIndex


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


class _ConcurrentlyOnPostgreSQL:
    """An operation that runs CONCURRENTLY on PostgreSQL and as its `plain` operation on
    other databases (SQLite, the embedded default). Its migration is atomic = False."""

    plain = None

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return self.plain.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return self.plain.database_backwards(self, app_label, schema_editor, from_state, to_state)


class AddIndexConcurrently(_ConcurrentlyOnPostgreSQL, postgres_operations.AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL: the table takes reads and writes while the
    index builds (a plain build blocks every insert for its length)."""

    plain = AddIndex


class RemoveIndexConcurrently(
    _ConcurrentlyOnPostgreSQL, postgres_operations.RemoveIndexConcurrently
):
    """DROP INDEX CONCURRENTLY on PostgreSQL (a plain DROP INDEX locks the table against
    reads too)."""

    plain = RemoveIndex
