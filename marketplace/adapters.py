"""django-allauth and django-axes hooks."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from rest_framework.authtoken.models import Token

from . import services
from .tasking import enqueue_on_commit
from .tasks import send_email


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
        """Render in the request, send from a worker after commit (retried if SMTP fails)."""
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": public_site()}
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx)
        html = next(
            (
                content
                for content, mime in getattr(message, "alternatives", [])
                if mime == "text/html"
            ),
            None,
        )
        # A broker outage must not turn a saved signup into an error page.
        enqueue_on_commit(
            send_email, subject=message.subject, body=message.body, to=list(message.to), html=html
        )

    def set_password(self, user, password):
        """A new password (change or reset) also revokes the user's API token."""
        super().set_password(user, password)
        Token.objects.filter(user=user).delete()

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


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out login sees: JSON for the API, a page for the browser (429 both)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = f"Too many failed log-ins. Try again in {minutes} minutes or reset your password."
    if request.path.startswith("/api/"):
        return JsonResponse({"non_field_errors": [message]}, status=429)
    return render(request, "account/lockout.html", {"cooloff_minutes": minutes}, status=429)
