"""A task is sent when its transaction commits, never when it rolls back: no routing for a
lead that was never saved, no receipt for a purchase that never happened. Read from the
configured broker itself (Redis in CI, the filesystem locally), on a private queue."""

import uuid

import pytest
from django.db import transaction

from billing.models import Entry
from config.celery import app as celery_app
from leads import services
from leads.forms import QuoteRequestForm
from leads.models import Lead, Offer
from tests.factories import ContractorFactory, OfferFactory, fund

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit runs for real


class Boom(Exception):
    pass


@pytest.fixture
def sent(quote_data):
    """sent() -> the (task, args) the broker holds on this test's queue, taken off it."""
    queue = f"fault-{uuid.uuid4().hex[:8]}"
    with celery_app.connection_for_write() as conn:
        # Declared before any publish: the queue and the speed-critical one beside it.
        with (
            conn.SimpleQueue(queue, no_ack=True) as inbox,
            conn.SimpleQueue(f"{queue}-fast", no_ack=True) as fast,
        ):

            def take() -> list[tuple[str, str]]:
                messages = []
                for box in (inbox, fast):
                    while True:
                        try:
                            message = box.get(timeout=1)  # the filesystem broker is polled
                        except box.Empty:
                            break
                        messages.append((message.headers["task"], message.headers["argsrepr"]))
                return messages

            celery_app.conf.task_always_eager = False
            celery_app.conf.task_default_queue = queue
            try:
                yield take
            finally:
                celery_app.conf.task_default_queue = "celery"
                celery_app.conf.task_always_eager = True
                take()
                inbox.queue.delete()
                fast.queue.delete()


def quote_and_purchase(quote_data):
    """A homeowner's request (routing, their confirmation) and a pro's purchase (their
    receipt, the homeowner told), in the caller's transaction."""
    form = QuoteRequestForm(quote_data())
    assert form.is_valid(), form.errors
    lead = services.submit_quote_request(
        form.quote_request(), submission=services.Submission(consent_text="I agree.")
    )
    pro = fund(ContractorFactory())
    offer = OfferFactory(contractor=pro)
    services.accept_offer(offer, contractor=pro)
    return lead, offer


def test_tasks_enqueued_in_a_rolled_back_transaction_are_never_sent(quote_data, sent):
    with pytest.raises(Boom), transaction.atomic():
        quote_and_purchase(quote_data)
        raise Boom
    assert sent() == []
    assert not Lead.objects.filter(email="dana@example.com").exists()
    assert not Entry.objects.filter(kind="lead_purchase").exists()

    # The same work committed: its tasks reach the broker, once each.
    with transaction.atomic():
        lead, offer = quote_and_purchase(quote_data)
    tasks = sent()
    # Routing, which has the homeowner's confirmation sent once it has routed the lead.
    assert tasks.count(("leads.tasks.route_lead", f"({lead.pk},)")) == 1
    emails = [task for task in tasks if task[0] == "marketplace.tasks.send_notification"]
    assert len(emails) >= 2 and len(set(emails)) == len(emails), tasks  # one per message


def test_a_rolled_back_savepoint_drops_its_tasks_and_keeps_the_rest(quote_data, sent):
    pro = fund(ContractorFactory())
    offer = OfferFactory(contractor=pro)
    with transaction.atomic():
        services.accept_offer(offer, contractor=pro)
        with pytest.raises(Boom), transaction.atomic():
            form = QuoteRequestForm(quote_data())
            assert form.is_valid(), form.errors
            services.submit_quote_request(
                form.quote_request(), submission=services.Submission(consent_text="x")
            )
            raise Boom
    tasks = sent()
    assert not [task for task in tasks if task[0] == "leads.tasks.route_lead"], tasks
    assert tasks and {task for task, _ in tasks} == {"marketplace.tasks.send_notification"}
    assert not Lead.objects.filter(email="dana@example.com").exists()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.ACCEPTED
