"""Log-in throttling past django-axes' count per email + IP (DESIGN "Quality bars").

Owns LoginFailure and LoginLock. Two budgets, both counted on failures whose password was
checked (an attempt refused by a lock is not a guess):
- per account: LOGIN_ACCOUNT_FAILURE_LIMIT failures of one email within LOGIN_ACCOUNT_WINDOW,
  from any address, lock it for LOGIN_ACCOUNT_COOLOFF, twice as long on each lock in a row
  (at most LOGIN_ACCOUNT_COOLOFF_MAX); the owner is emailed once per lock, with a reset
  link, and a password reset unlocks. Unknown emails lock the same way and show the same
  page, so a lock never tells who has an account.
- per IP: LOGIN_IP_FAILURE_LIMIT failures from one address within LOGIN_IP_WINDOW, whatever
  the emails, refuse that address for LOGIN_IP_COOLOFF, for every email.
The django-axes handler in adapters.py calls these for every log-in (web form, API token,
admin); the password reset calls unlock_account().
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from . import clock
from .models import LoginFailure, LoginLock, User
from .notifications import notify_address

PAIR = "pair"  # django-axes' own lock on one email from one address


@dataclass(frozen=True)
class Refusal:
    """Why a log-in is refused, and until when."""

    scope: str  # PAIR, LoginLock.Scope.ACCOUNT or LoginLock.Scope.IP
    until: datetime

    def message(self, *, now: datetime | None = None) -> str:
        wait = _humanize(self.until - (now or timezone.now()))
        if self.scope == LoginLock.Scope.IP:
            return f"Too many failed log-ins from your network. Try again in {wait}."
        return f"Too many failed log-ins. Try again in {wait}, or reset your password."


def _humanize(delta: timedelta) -> str:
    minutes = max(1, math.ceil(delta.total_seconds() / 60))
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{math.ceil(minutes / 60)} hours"


def account_cooloff(lock_count: int) -> timedelta:
    """The n-th lock in a row lasts the base cool-off doubled n-1 times, up to the cap."""
    base, cap = settings.LOGIN_ACCOUNT_COOLOFF, settings.LOGIN_ACCOUNT_COOLOFF_MAX
    return min(base * 2 ** min(lock_count - 1, 30), cap)


def pair_refusal(*, now: datetime | None = None) -> Refusal:
    # Each refused try restarts django-axes' cool-off, so it ends a cool-off from now.
    return Refusal(scope=PAIR, until=(now or timezone.now()) + settings.AXES_COOLOFF_TIME)


def address_block(ip: str | None) -> str | None:
    """The address the per-address budget counts: an IPv4 address itself, an IPv6 address
    by its /64 (one home or one server is handed a whole /64, so counting single IPv6
    addresses would give an attacker billions of budgets)."""
    if not ip:
        return ip
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped:
        return str(address.ipv4_mapped)
    return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)


def active_refusal(*, login: str, ip: str | None, now: datetime | None = None) -> Refusal | None:
    """The lock on this email or this address now, the one ending last; None if neither."""
    now = now or timezone.now()
    ip = address_block(ip)
    keys = Q(scope=LoginLock.Scope.ACCOUNT, key=login) if login else Q(pk__in=[])
    if ip:
        keys |= Q(scope=LoginLock.Scope.IP, key=ip)
    lock = LoginLock.objects.filter(keys, locked_until__gt=now).order_by("-locked_until").first()
    return Refusal(scope=lock.scope, until=lock.locked_until) if lock else None


@transaction.atomic
def record_failure(*, login: str, ip: str | None, now: datetime | None = None) -> Refusal | None:
    """Count one wrong password; lock the account or the address when it is over budget,
    and say so (None while both are within it)."""
    now = now or timezone.now()
    ip = address_block(ip)
    failure = LoginFailure.objects.create(login=login[:254], ip_address=ip, at=now)
    refusals = []
    # Always the account first, then the address: two failures never wait on each other's locks.
    if login:
        lock, failures = _count_and_lock(
            LoginLock.Scope.ACCOUNT,
            failure.login,
            failures=LoginFailure.objects.filter(
                login=failure.login, at__gt=now - settings.LOGIN_ACCOUNT_WINDOW
            ),
            limit=settings.LOGIN_ACCOUNT_FAILURE_LIMIT,
            now=now,
        )
        if lock:
            refusals.append(Refusal(scope=lock.scope, until=lock.locked_until))
            if failures:
                _tell_owner(failure.login, lock=lock, failures=failures)
    if ip:
        lock, _ = _count_and_lock(
            LoginLock.Scope.IP,
            ip,
            failures=LoginFailure.objects.filter(
                ip_address=ip, at__gt=now - settings.LOGIN_IP_WINDOW
            ),
            limit=settings.LOGIN_IP_FAILURE_LIMIT,
            now=now,
        )
        if lock:
            refusals.append(Refusal(scope=lock.scope, until=lock.locked_until))
    return max(refusals, key=lambda r: r.until, default=None)


def _count_and_lock(scope, key, *, failures, limit, now) -> tuple[LoginLock | None, int]:
    """The lock row, if it is locked now, and how many failures this call locked it for
    (0 when it was locked already: one lock, one email)."""
    LoginLock.objects.get_or_create(scope=scope, key=key)
    # Row lock: concurrent failures of one account are counted one after the other, so
    # exactly one of them locks it and tells the owner.
    lock = LoginLock.objects.select_for_update().get(scope=scope, key=key)
    if lock.locked_until and lock.locked_until > now:
        return lock, 0
    count = failures.filter(pk__gt=lock.counted_after_id).count()
    if count < limit:
        return None, 0
    if scope == LoginLock.Scope.ACCOUNT:
        # A lock ending longer ago than the longest cool-off is forgotten: start again at the base.
        forgotten = lock.locked_until is None or (
            now - lock.locked_until > settings.LOGIN_ACCOUNT_COOLOFF_MAX
        )
        lock.lock_count = 1 if forgotten else lock.lock_count + 1
        lock.locked_until = now + account_cooloff(lock.lock_count)
    else:
        lock.lock_count += 1
        lock.locked_until = now + settings.LOGIN_IP_COOLOFF
    lock.counted_after_id = failures.aggregate(last=Max("pk"))["last"] or 0
    lock.save(update_fields=["lock_count", "locked_until", "counted_after_id"])
    return lock, count


def _tell_owner(login: str, *, lock: LoginLock, failures: int) -> None:
    """One email to the account's owner per lock (none for an unknown email), through the
    outbox: written in this transaction, so a dead worker delays it, never loses it."""
    user = (
        User.objects.filter(Q(email=login) | Q(emailaddress__email__iexact=login), is_active=True)
        .select_related("contractor")
        .first()
    )
    if user is None:
        return
    who = getattr(user, "contractor", None) or user
    notify_address(
        user.email,
        template="account_locked",
        context={
            "failures": failures,
            "locked_until": lock.locked_until,
            "reset_url": password_reset_url(user),
        },
        time_zone=clock.zone_name(who),
    )


def password_reset_url(user: User) -> str:
    """allauth's link that opens the new-password form for this user (valid until the
    password changes or they log in, at most PASSWORD_RESET_TIMEOUT)."""
    path = reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(user),
            "key": default_token_generator.make_token(user),
        },
    )
    return f"{settings.SITE_URL}{path}"


def _last_failure_id() -> int:
    return LoginFailure.objects.aggregate(last=Max("pk"))["last"] or 0


def record_success(login: str) -> None:
    """The owner logged in: earlier failures of the account are paid for, and its next lock
    starts again at the base cool-off."""
    LoginLock.objects.filter(scope=LoginLock.Scope.ACCOUNT, key=login).update(
        lock_count=0, counted_after_id=_last_failure_id()
    )


def unlock_account(emails: list[str]) -> None:
    """A new password (reset from the emailed link, or changed): the account is open again
    from every address, its failures forgotten (the per-IP lock stays: it is the network's)."""
    from axes.handlers.proxy import AxesProxyHandler  # the handler lives in adapters.py

    emails = [e.strip().lower() for e in emails if e]
    LoginLock.objects.filter(scope=LoginLock.Scope.ACCOUNT, key__in=emails).update(
        locked_until=None, lock_count=0, counted_after_id=_last_failure_id()
    )
    for email in emails:
        AxesProxyHandler.reset_attempts(username=email)


def forget_old_failures(*, now: datetime | None = None) -> int:
    """Failures older than both windows count for nothing; ended locks older than the
    longest cool-off are forgotten too."""
    now = now or timezone.now()
    oldest = now - max(settings.LOGIN_ACCOUNT_WINDOW, settings.LOGIN_IP_WINDOW)
    deleted, _ = LoginFailure.objects.filter(at__lt=oldest).delete()
    over = Q(locked_until__isnull=True) | Q(
        locked_until__lt=now - settings.LOGIN_ACCOUNT_COOLOFF_MAX
    )
    LoginLock.objects.filter(over, scope=LoginLock.Scope.IP).delete()
    # An account row with failures left keeps its mark of what a log-in or reset paid for.
    LoginLock.objects.filter(over, scope=LoginLock.Scope.ACCOUNT).exclude(
        Exists(LoginFailure.objects.filter(login=OuterRef("key")))
    ).delete()
    return deleted
