"""django-allauth and django-axes hooks."""

from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse

from . import services


class AccountAdapter(DefaultAccountAdapter):
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
