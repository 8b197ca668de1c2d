"""Two migrations stopped the database checking keys that routing writes by the thousand:
marketplace 0020 (each message's user) and leads 0029 (each offer's lead and pro). Going
back checks them again, so rows naming something deleted without Django (a script, a
restore) must not stop the way back: they are deleted first, as the CASCADE would have."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from leads.models import Offer
from marketplace.models import Notification
from tests.factories import NotificationFactory, OfferFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def delete_without_django(table: str, pk) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [pk])  # noqa: S608 - ours


def test_going_back_deletes_the_rows_that_name_what_was_deleted_without_django():
    kept = NotificationFactory(user=UserFactory())
    orphan = NotificationFactory(user=UserFactory())
    to_an_address = NotificationFactory(user=None, to="homeowner@example.com")
    with connection.cursor() as cursor:  # the user's other rows, as a script would
        cursor.execute("DELETE FROM account_emailaddress WHERE user_id = %s", [orphan.user_id])
        cursor.execute("DELETE FROM marketplace_historicaluser WHERE id = %s", [orphan.user_id])
    delete_without_django("marketplace_user", orphan.user_id)
    kept_offer, orphan_offer = OfferFactory(), OfferFactory()
    delete_without_django("leads_lead", orphan_offer.lead_id)
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()

    # Back past both (leads 0029 depends on marketplace 0021).
    migrate([("marketplace", "0019_notification_indexes_hold_what_they_serve")])

    assert set(Notification.objects.values_list("pk", flat=True)) == {kept.pk, to_an_address.pk}
    assert list(Offer.objects.values_list("pk", flat=True)) == [kept_offer.pk]
    migrate(latest)
    assert Notification.objects.filter(pk=kept.pk, user_id=kept.user_id).exists()
    assert Offer.objects.filter(pk=kept_offer.pk, lead_id=kept_offer.lead_id).exists()
