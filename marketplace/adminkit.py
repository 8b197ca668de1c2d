"""Admin building blocks shared by every app."""

from django.contrib import admin, messages
from django.shortcuts import redirect

from .errors import DomainError


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that are evidence (money, offers, messages): viewable, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceFormMixin:
    """For a ModelAdmin whose save_model calls a service (a decision, an adjustment) and
    lets its DomainError through. When the service refuses, nothing is saved or logged and
    the page shows the refusal alone, in red, never next to a success message."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return redirect(self.refused_url(request, object_id))

    def refused_url(self, request, object_id) -> str:
        """Where a refusal lands: back on the same form."""
        return request.get_full_path()
