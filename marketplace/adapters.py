"""django-allauth and django-axes hooks."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core import context as allauth_context
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from rest_framework.authtoken.models import Token

from . import logins, services
from .notifications import notify_written


@dataclass(frozen=True)
class PublicSite:
    """The site as account emails name it ("Hello from {name}!", "… on {domain}").

    Without django.contrib.sites allauth would take the host of the request, which is an
    internal address behind a proxy and 127.0.0.1 locally."""

    name: str
    domain: str


def public_site() -> PublicSite:
    return PublicSite(name=settings.SITE_NAME, domain=urlsplit(settings.SITE_URL).netloc)


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        """Render in the request; send through the Notification outbox, written in this
        transaction: a worker that dies or a broker that is down delays the email (the
        outbox sweep sends it), never loses it. Plain text: the project has no HTML
        account templates (an HTML part would need a column in the outbox)."""
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": public_site()}
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx)
        user = context.get("user")
        notify_written(
            email,
            template=template_prefix,
            subject=message.subject,
            body=message.body,
            user=user if getattr(user, "pk", None) else None,
        )

    def set_password(self, user, password):
        """A new password (change or reset) also revokes the user's API token, and unlocks
        the account locked by failed log-ins (the lock email's link leads here)."""
        super().set_password(user, password)
        Token.objects.filter(user=user).delete()
        logins.unlock_account(
            [user.email, *EmailAddress.objects.filter(user=user).values_list("email", flat=True)]
        )

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            services.create_contractor(user)
        return user

    def get_login_redirect_url(self, request):
        user = request.user
        if user.is_staff and not hasattr(user, "contractor"):
            return reverse("admin:index")
        return super().get_login_redirect_url(request)


def axes_username(request, credentials=None) -> str:
    """The login being tried, however it arrives: allauth form, API token, admin."""
    credentials = credentials or {}
    data = getattr(request, "data", None) or getattr(request, "POST", {}) or {}
    for key in ("email", "username", "login"):
        value = credentials.get(key) or data.get(key)
        if value:
            return str(value).strip().lower()
    return ""


class LoginGuardHandler(AxesDatabaseHandler):
    """django-axes' database handler (per email + IP) plus the per-account and per-IP
    budgets of marketplace/logins.py, so every log-in that calls authenticate() — the
    allauth form, the API token, the admin — goes through the same three counters.

    `request.login_refusal` says which lock refused it; lockout_response() words it."""

    def is_allowed(self, request, credentials=None) -> bool:
        request.login_refusal = None
        if not super().is_allowed(request, credentials):
            request.login_refusal = logins.pair_refusal()
            return False
        request.login_refusal = logins.active_refusal(
            login=get_client_username(request, credentials) or "", ip=request.axes_ip_address
        )
        return request.login_refusal is None

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        refusal = getattr(request, "login_refusal", None)
        if refusal is not None and refusal.scope != logins.PAIR:
            # Refused by our lock before the password was checked: not a guess, counted
            # nowhere, and it does not make the lock longer.
            request.axes_locked_out = True
            request.axes_credentials = credentials
            return
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or refusal is not None:
            return  # refused by django-axes' own lock: the password was not checked either
        locked = logins.record_failure(
            login=get_client_username(request, credentials) or "", ip=request.axes_ip_address
        )
        if locked is not None:
            request.login_refusal = locked
            request.axes_locked_out = True
            request.axes_credentials = credentials
        elif request.axes_locked_out:
            request.login_refusal = logins.pair_refusal()

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        logins.record_success(user.email)


def lockout_response(request, original_response=None, credentials=None):
    """What a refused log-in sees: JSON for the API, a page for the browser (429 both). The
    same for an email with or without an account: the text depends only on the lock."""
    refusal = getattr(request, "login_refusal", None) or logins.pair_refusal()
    message = refusal.message()
    if request.path.startswith("/api/"):
        return JsonResponse({"non_field_errors": [message]}, status=429)
    return render(
        request,
        "account/lockout.html",
        {
            "message": message,
            "network": refusal.scope == logins.LoginLock.Scope.IP,
            "account": refusal.scope == logins.LoginLock.Scope.ACCOUNT,
        },
        status=429,
    )
