"""marketplace 0020 stopped the database checking each message's user; going back checks
it again, so a message whose user was deleted without Django must not stop the way back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from marketplace.models import Notification
from tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def test_going_back_past_0020_drops_messages_of_users_deleted_without_django():
    kept = NotificationFactory(user=UserFactory())
    orphan = NotificationFactory(user=UserFactory())
    to_an_address = NotificationFactory(user=None, to="homeowner@example.com")
    with connection.cursor() as cursor:  # as a script or a restore might: no CASCADE
        for table in ("account_emailaddress", "marketplace_historicaluser"):
            column = "id" if table == "marketplace_historicaluser" else "user_id"
            cursor.execute(f"DELETE FROM {table} WHERE {column} = %s", [orphan.user_id])
        cursor.execute("DELETE FROM marketplace_user WHERE id = %s", [orphan.user_id])
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    migrate([("marketplace", "0019_notification_indexes_hold_what_they_serve")])
    assert set(Notification.objects.values_list("pk", flat=True)) == {kept.pk, to_an_address.pk}
    migrate(latest)
    assert Notification.objects.filter(pk=kept.pk, user_id=kept.user_id).exists()
