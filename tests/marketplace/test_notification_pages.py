"""The notifications page pages by keyset (marketplace/keyset.py), 25 at a time: Older and
Newer walk the inbox once, in order, a deep page costs what the first does, and no page
counts the whole inbox."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from marketplace.models import Notification
from tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox(contractor, clock):
    for n in range(60):
        NotificationFactory(user=contractor.user, channel=Notification.Channel.IN_APP)
        clock.shift(timedelta(minutes=1 if n % 10 else 0))  # some share a created_at
    return list(Notification.objects.filter(user=contractor.user).order_by("-created_at", "-pk"))


def _link(page: str, name: str) -> str | None:
    found = re.search(rf'href="(\?{name}=[^"]+)"', page)
    return found and found.group(1).replace("&amp;", "&")


def test_older_and_newer_walk_the_inbox_once_in_order(
    contractor_client, inbox, django_assert_num_queries
):
    url, seen, query = reverse("marketplace:notifications"), [], ""
    while True:
        with django_assert_num_queries(5):  # the first page's, and no COUNT
            response = contractor_client.get(url + query)
        seen += [n.pk for n in response.context["page"]]
        query = _link(response.content.decode(), "older")
        if not query:
            break
    assert seen == [n.pk for n in inbox]
    newer = _link(response.content.decode(), "newer")
    back = contractor_client.get(url + newer)
    assert [n.pk for n in back.context["page"]] == [n.pk for n in inbox[25:50]]


def test_a_page_shown_is_marked_read_and_the_rest_is_not(contractor_client, inbox):
    contractor_client.get(reverse("marketplace:notifications"))
    read = Notification.objects.filter(read_at__isnull=False)
    assert set(read.values_list("pk", flat=True)) == {n.pk for n in inbox[:25]}
