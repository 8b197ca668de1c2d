"""From a homeowner's form to an offer, through the real broker and a real worker, and a
due wave that still goes out after the worker is killed and another one starts.

Needs PostgreSQL (the worker is another process: it must share the test database), as CI
has; with SQLite's in-memory test database these are skipped locally.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from leads.models import Lead, Offer, Wave
from marketplace.models import ServiceArea, ZipCode
from tests.factories import ContractorFactory, fund
from tests.leads.conftest import signed_start

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgresql" not in django_settings.DATABASES["default"]["ENGINE"],
        reason="a worker process needs a shared database: PostgreSQL (CI runs it)",
    ),
]


@pytest.fixture
def workers(settings):
    """Start real Celery workers on a private queue, against this test's database."""
    queue = f"e2e-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "EMAIL_URL": "dummymail://",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    started = []

    def start():
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--queues",
                f"{queue},{queue}-fast",  # and the speed-critical queue beside it
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(process)
        return process

    yield start
    celery_app.conf.task_default_queue = "celery"
    celery_app.conf.task_always_eager = True
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def wait_for(check, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.25)
    return False


def test_a_form_submission_reaches_a_pro_and_a_due_wave_survives_a_worker_restart(
    client, workers, metro_zips, plumbing, settings
):
    settings.INTAKE_MIN_FILL_SECONDS = 0
    downtown = ZipCode.objects.get(code="92101")
    elite, pro = ContractorFactory(tier="elite"), ContractorFactory(tier="pro")
    for contractor in (elite, pro):
        ServiceArea.objects.create(contractor=contractor, zip_code=downtown)
        fund(contractor)
    first = workers()

    response = client.post(
        reverse("leads:quote"),
        {
            "category": plumbing.pk,
            "zip_code": "92101",
            "timeframe": "urgent",
            "description": "Water heater leaks from the bottom, about 10 years old.",
            "job_size": "medium",
            "ownership": "owner",
            "name": "Dana Homeowner",
            "phone": "(619) 555-0177",
            "email": "dana@example.com",
            "preferred_contact": "phone",
            "consent": "on",
            "started": signed_start(),
        },
    )
    assert response.status_code == 302
    lead = Lead.objects.get()
    # Through the broker, a worker routes it: the elite wave is offered at once.
    assert wait_for(lambda: Offer.objects.filter(lead=lead, contractor=elite).exists())
    assert not Offer.objects.filter(contractor=pro).exists()  # pro's wave is 10 minutes away

    # The worker dies before the pro wave is due; time passes with no worker running.
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    Wave.objects.filter(lead=lead, tier="pro").update(due_at=timezone.now() - timedelta(seconds=1))

    # A new worker takes beat's next "send due waves": the saved wave still goes out.
    workers()
    celery_app.send_task("leads.tasks.send_due_waves")
    assert wait_for(lambda: Offer.objects.filter(lead=lead, contractor=pro).exists())
    assert Wave.objects.get(lead=lead, tier="pro").sent_at is not None
