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

BEFORE = [
    ("marketplace", "0019_notification_indexes_hold_what_they_serve"),
    ("leads", "0028_offer_snapshot_keys_kept_by_the_lead"),
]
MISSING = 2_000_000_000  # no lead or pro has this id


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def offer_naming(offer, column: str) -> int:
    """A copy of `offer` whose lead or pro (`column`) does not exist, written as a script
    would: nothing checks it now."""
    columns = [f.column for f in Offer._meta.concrete_fields if f.column not in ("id", column)]
    listed = ", ".join(columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO leads_offer ({listed}, {column}) "  # noqa: S608 - our own names
            f"SELECT {listed}, %s FROM leads_offer WHERE id = %s RETURNING id",
            [MISSING, offer.pk],
        )
        return cursor.fetchone()[0]


def test_going_back_deletes_the_rows_that_name_what_was_deleted_without_django():
    kept = NotificationFactory(user=UserFactory())
    orphan = NotificationFactory(user=UserFactory())
    to_an_address = NotificationFactory(user=None, to="homeowner@example.com")
    with connection.cursor() as cursor:  # the user and their other rows, as a script would
        for table, column in (
            ("account_emailaddress", "user_id"),
            ("marketplace_historicaluser", "id"),
            ("marketplace_user", "id"),
        ):
            cursor.execute(
                f"DELETE FROM {table} WHERE {column} = %s",  # noqa: S608 - our own names
                [orphan.user_id],
            )
    kept_offer = OfferFactory()
    offer_naming(kept_offer, "lead_id")
    offer_naming(kept_offer, "contractor_id")
    assert Offer.objects.count() == 3
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()

    migrate(BEFORE)

    assert set(Notification.objects.values_list("pk", flat=True)) == {kept.pk, to_an_address.pk}
    assert list(Offer.objects.values_list("pk", flat=True)) == [kept_offer.pk]
    migrate(latest)
    assert Notification.objects.filter(pk=kept.pk, user_id=kept.user_id).exists()
    assert Offer.objects.filter(pk=kept_offer.pk, lead_id=kept_offer.lead_id).exists()
