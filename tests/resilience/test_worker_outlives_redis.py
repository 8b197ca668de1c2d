"""A worker whose Redis goes away keeps trying to reconnect with no retry budget, and the
same process takes tasks again once Redis is back: it never exits for a supervisor to
restart (the default would give up after 100 tries, about 45 minutes).

The Redis is the test's own, never the shared one.
"""

import pytest

from config.celery import app as celery_app
from marketplace.models import Heartbeat
from marketplace.tasks import record_heartbeat

from .conftest import broker_and_cache_at, shared_database

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_worker_reconnects_without_a_retry_budget():
    assert celery_app.conf.broker_connection_max_retries is None


def test_a_worker_survives_a_redis_outage_and_takes_tasks_again(
    private_redis, celery_worker, tmp_path
):
    with (
        broker_and_cache_at(private_redis),
        shared_database(tmp_path) as database_url,
        celery_worker(
            database_url,
            REDIS_URL=private_redis.url(0),
            CELERY_BROKER_URL=private_redis.url(0),
        ) as worker,
    ):
        worker.wait_for_log(" ready.")
        private_redis.kill()
        worker.wait_for_log("Trying again")
        # Celery prints "(attempt/budget)": no budget means it never gives up.
        assert "/None)" in worker.log(), worker.log()
        assert worker.process.poll() is None

        private_redis.start()  # same port: the worker's next try finds it
        worker.wait_for_log("Connected to redis://", count=2)
        record_heartbeat.delay()
        worker.wait_for_log("] succeeded")
        assert worker.process.poll() is None  # the same process, never restarted
    assert Heartbeat.objects.filter(name="worker").exists()
