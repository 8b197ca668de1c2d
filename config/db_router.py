"""The read replica's router: marked reads (marketplace.replica.replica_reads: analytics
and reports) go to the `replica` database when DATABASE_REPLICA_URL configures one; every
other read, and every write, goes to `default`, the primary."""

from django.conf import settings

from marketplace.replica import reading_from_replica

REPLICA = "replica"


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if reading_from_replica() and REPLICA in settings.DATABASES:
            return REPLICA
        return None  # Django's choice: the primary, or the database the instance came from

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one set of data: the replica is a copy of the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA  # the replica follows the primary's schema by replication
