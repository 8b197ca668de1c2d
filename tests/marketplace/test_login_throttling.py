"""Failed log-ins are throttled per email + IP, per account and per IP, on the web form and
the API token endpoint alike (marketplace/logins.py)."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import hashers
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace import logins, notifications
from marketplace.models import LoginFailure, LoginLock, Notification
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "account_login"


def web_login(client, email, password, ip):
    return client.post(reverse(LOGIN), {"login": email, "password": password}, REMOTE_ADDR=ip)


def api_login(api_client, email, password, ip):
    return api_client.post(
        reverse("api:token"), {"email": email, "password": password}, format="json", REMOTE_ADDR=ip
    )


def lock_emails():
    return list(Notification.objects.filter(template="account_locked"))


def fail_from_many_addresses(client, email, times, *, start=0):
    """Wrong passwords, one per address, so django-axes' per email + IP count never trips."""
    return [
        web_login(client, email, "wrong", f"10.1.{start + i // 250}.{i % 250 + 1}")
        for i in range(times)
    ]


def test_an_account_guessed_from_eight_addresses_is_refused_from_a_ninth(client, contractor):
    statuses = []
    for ip in range(1, 9):
        for _ in range(2):
            statuses.append(
                web_login(client, "alice@example.com", "wrong", f"10.0.0.{ip}").status_code
            )
    # Ten failures lock the account, from whichever address they came.
    assert statuses[:9] == [200] * 9
    assert statuses[9:] == [429] * 7
    response = web_login(client, "alice@example.com", PASSWORD, "10.0.0.9")
    assert response.status_code == 429
    assert "Too many failed log-ins. Try again in 15 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Attempts refused by the lock checked no password: they are not counted.
    assert LoginFailure.objects.filter(login="alice@example.com").count() == 10


def test_another_account_is_not_locked_with_it(client, contractor, other_contractor):
    fail_from_many_addresses(client, "alice@example.com", 10)
    assert web_login(client, "bob@example.com", PASSWORD, "10.1.0.1").status_code == 302


def test_one_address_spraying_emails_is_refused_after_its_budget(client, contractor, settings):
    # (allauth's own flood guard, 30 log-in requests a minute per address, stays behind it.)
    statuses = [
        web_login(client, f"victim{n}@example.com", "wrong", "203.0.113.7").status_code
        for n in range(28)
    ]
    assert settings.LOGIN_IP_FAILURE_LIMIT == 20
    assert statuses[:19] == [200] * 19
    assert statuses[19:] == [429] * 9
    # Refused for every email, a real account with its right password too…
    response = web_login(client, "alice@example.com", PASSWORD, "203.0.113.7")
    assert response.status_code == 429
    assert "from your network" in response.content.decode()
    assert LoginFailure.objects.filter(ip_address="203.0.113.7").count() == 20
    # …but only from that address.
    assert web_login(client, "alice@example.com", PASSWORD, "198.51.100.1").status_code == 302


def test_the_address_lock_ends_after_its_cooloff(client, contractor, clock):
    for n in range(20):
        web_login(client, f"victim{n}@example.com", "wrong", "203.0.113.7")
    clock.shift(timedelta(minutes=59))
    assert web_login(client, "alice@example.com", PASSWORD, "203.0.113.7").status_code == 429
    clock.shift(timedelta(minutes=1, seconds=1))
    assert web_login(client, "alice@example.com", PASSWORD, "203.0.113.7").status_code == 302


def test_each_account_lock_in_a_row_lasts_twice_as_long(client, contractor, clock):
    start = 0
    for minutes in (15, 30, 60):
        fail_from_many_addresses(client, "alice@example.com", 10, start=start)
        start += 10
        lock = LoginLock.objects.get(scope="account", key="alice@example.com")
        assert lock.locked_until == datetime.now(UTC) + timedelta(minutes=minutes)
        clock.shift(timedelta(minutes=minutes) - timedelta(seconds=1))
        assert web_login(client, "alice@example.com", PASSWORD, "10.9.9.9").status_code == 429
        clock.shift(timedelta(seconds=2))
    # The lock has ended: the owner logs in, and the next lock starts again at 15 minutes.
    assert web_login(client, "alice@example.com", PASSWORD, "10.9.9.9").status_code == 302
    client.logout()
    fail_from_many_addresses(client, "alice@example.com", 10, start=start)
    lock = LoginLock.objects.get(scope="account", key="alice@example.com")
    assert lock.locked_until == datetime.now(UTC) + timedelta(minutes=15)


@pytest.mark.parametrize(
    ("lock_count", "minutes"),
    [(1, 15), (2, 30), (3, 60), (6, 480), (7, 960), (8, 1440), (40, 1440)],
)
def test_the_account_cooloff_doubles_up_to_a_day(lock_count, minutes):
    assert logins.account_cooloff(lock_count) == timedelta(minutes=minutes)


def test_a_lock_long_past_is_forgotten(client, contractor, clock):
    fail_from_many_addresses(client, "alice@example.com", 10)
    clock.shift(timedelta(hours=25))
    fail_from_many_addresses(client, "alice@example.com", 10, start=10)
    lock = LoginLock.objects.get(scope="account", key="alice@example.com")
    assert lock.lock_count == 1
    assert lock.locked_until == datetime.now(UTC) + timedelta(minutes=15)


def test_failures_outside_the_window_are_not_counted(client, contractor, clock):
    fail_from_many_addresses(client, "alice@example.com", 9)
    clock.shift(timedelta(hours=24, seconds=1))
    assert fail_from_many_addresses(client, "alice@example.com", 1, start=9)[0].status_code == 200
    assert not LoginLock.objects.filter(locked_until__isnull=False).exists()


def test_a_successful_log_in_pays_for_earlier_failures(client, contractor):
    fail_from_many_addresses(client, "alice@example.com", 9)
    assert web_login(client, "alice@example.com", PASSWORD, "10.9.9.9").status_code == 302
    client.logout()
    statuses = [
        r.status_code for r in fail_from_many_addresses(client, "alice@example.com", 9, start=9)
    ]
    assert statuses == [200] * 9


def test_the_owner_is_emailed_once_per_lock_in_their_own_time_zone(client, contractor, clock):
    contractor.timezone = "America/Los_Angeles"
    contractor.save()
    fail_from_many_addresses(client, "alice@example.com", 15)
    [email] = lock_emails()
    assert email.to == "alice@example.com"
    assert email.status == Notification.Status.QUEUED  # the outbox: a dead worker loses nothing
    assert "failed to log in to your Fairlead account 10 times" in email.body
    until = (datetime(2026, 3, 2, 14, 15, tzinfo=UTC)).astimezone(ZoneInfo("America/Los_Angeles"))
    assert f"until Monday, March 2, {until:%-I}:15 AM PST" in email.body
    assert "/accounts/password/reset/key/" in email.body
    notifications.send(email.pk)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Your Fairlead account is locked after 10 failed log-ins"
    # The next lock is told again, once.
    clock.shift(timedelta(minutes=16))
    fail_from_many_addresses(client, "alice@example.com", 15, start=15)
    assert len(lock_emails()) == 2


def test_a_password_reset_from_the_email_unlocks_the_account(client, contractor):
    fail_from_many_addresses(client, "alice@example.com", 10)
    # django-axes' own count for one address is cleared too.
    for _ in range(5):
        web_login(client, "alice@example.com", "wrong", "10.8.8.8")
    [email] = lock_emails()
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", email.body).group(1)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url, {"password1": "a-brand-new-secret-42", "password2": "a-brand-new-secret-42"}
    )
    assert response.status_code == 302
    lock = LoginLock.objects.get(scope="account", key="alice@example.com")
    assert lock.locked_until is None
    response = web_login(client, "alice@example.com", "a-brand-new-secret-42", "10.8.8.8")
    assert response.status_code == 302


def _page(content: bytes, email: str) -> str:
    """The page as the attacker reads it, less its CSRF tokens and the email they typed."""
    return re.sub(r"[A-Za-z0-9]{64}", "TOKEN", content.decode()).replace(email, "EMAIL")


def test_an_unknown_email_is_answered_exactly_like_a_real_one(client, contractor, monkeypatch):
    """Same status, same page, and the same work: a refused attempt hashes no password
    and runs the same queries for a real account as for none (what timing would tell)."""
    hashed = []
    get_hasher = hashers.get_hasher
    monkeypatch.setattr(hashers, "get_hasher", lambda *a: hashed.append(a) or get_hasher(*a))
    real, ghost = [], []
    work = {"real": [], "ghost": []}
    for n in range(14):
        for email, answers, key in (
            ("alice@example.com", real, "real"),
            ("nobody@example.com", ghost, "ghost"),
        ):
            hashed.clear()
            with CaptureQueriesContext(connection) as queries:
                response = web_login(client, email, "wrong", f"10.2.{n}.1")
            work[key].append((len(hashed) > 0, len(queries)))
            answers.append((response.status_code, _page(response.content, email)))
    assert [s for s, _ in real] == [200] * 9 + [429] * 5
    assert real == ghost
    assert len(lock_emails()) == 1  # the owner of the real one only
    # Refused attempts (after the lock) check no password for either, in as many queries.
    assert all(not checked for checked, _ in work["real"][10:] + work["ghost"][10:])
    assert [count for _, count in work["real"][10:]] == [count for _, count in work["ghost"][10:]]
    # Attempts that are judged hash the password for both, the unknown one included.
    assert all(checked for checked, _ in work["real"][:9] + work["ghost"][:9])


def test_the_token_endpoint_counts_failures_not_successes(api_client, contractor):
    for _ in range(40):
        assert api_login(api_client, "alice@example.com", PASSWORD, "10.3.0.1").status_code == 200
    assert not LoginFailure.objects.exists()
    for n in range(10):
        response = api_login(api_client, "alice@example.com", "wrong", f"10.3.1.{n}")
    assert response.status_code == 429
    assert LoginFailure.objects.count() == 10
    response = api_login(api_client, "alice@example.com", PASSWORD, "10.3.2.1")
    assert response.status_code == 429
    assert response.json() == {
        "non_field_errors": [
            "Too many failed log-ins. Try again in 15 minutes, or reset your password."
        ]
    }
    assert len(lock_emails()) == 1


def test_web_and_token_failures_share_one_account_budget(client, api_client, contractor):
    fail_from_many_addresses(client, "alice@example.com", 5)
    for n in range(5):
        api_login(api_client, "alice@example.com", "wrong", f"10.4.0.{n}")
    assert web_login(client, "alice@example.com", PASSWORD, "10.4.1.1").status_code == 429


def test_the_token_endpoint_spends_the_address_budget(api_client, contractor):
    for n in range(20):
        api_login(api_client, f"victim{n}@example.com", "wrong", "203.0.113.9")
    response = api_login(api_client, "alice@example.com", PASSWORD, "203.0.113.9")
    assert response.status_code == 429
    assert "from your network" in response.json()["non_field_errors"][0]


def test_concurrent_failures_lock_once_and_tell_once(contractor):
    for n in range(25):
        logins.record_failure(login="alice@example.com", ip=f"10.5.0.{n}")
    assert len(lock_emails()) == 1
    assert LoginLock.objects.get(scope="account").lock_count == 1


def test_old_failures_and_ended_locks_are_forgotten(client, contractor, clock):
    fail_from_many_addresses(client, "nobody@example.com", 10)
    clock.shift(timedelta(hours=49))
    assert logins.forget_old_failures() == 10
    assert not LoginFailure.objects.exists()
    assert not LoginLock.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_failures_racing_past_the_limit_lock_once_and_tell_once(contractor):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    for n in range(8):
        logins.record_failure(login="alice@example.com", ip=f"10.6.0.{n}")

    def fail(n):
        try:
            return logins.record_failure(login="alice@example.com", ip=f"10.6.1.{n}")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=12) as pool:
        refusals = list(pool.map(fail, range(12)))
    assert sum(r is not None for r in refusals) >= 10  # the 10th and every one after
    assert len(lock_emails()) == 1
    assert LoginLock.objects.get(scope="account").lock_count == 1


def test_an_ipv6_network_spends_one_budget_whichever_of_its_addresses_it_uses(client, contractor):
    """A /64 is one home or one server: rotating through its addresses buys nothing."""
    statuses = [
        web_login(client, f"victim{n}@example.com", "wrong", f"2001:db8:7:7::{n + 1:x}").status_code
        for n in range(21)
    ]
    assert statuses[:19] == [200] * 19
    assert statuses[19:] == [429] * 2
    assert web_login(client, "alice@example.com", PASSWORD, "2001:db8:7:7:ffff::1").status_code == (
        429
    )
    assert web_login(client, "alice@example.com", PASSWORD, "2001:db8:7:8::1").status_code == 302


@pytest.mark.parametrize(
    "ip, block",
    [
        ("203.0.113.7", "203.0.113.7"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("2001:db8:7:7:abcd::1", "2001:db8:7:7::"),
        ("not an address", None),
        (None, None),
    ],
)
def test_the_address_budget_counts_ipv4_addresses_and_ipv6_networks(ip, block):
    assert logins.address_block(ip) == block
