"""Admin building blocks shared by every app."""

from datetime import datetime

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.defaultfilters import date as format_date
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

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


class _LocalTimeChanges(HistoricalRecordContextHelper):
    """A change's times in the viewer's zone, as the page's Date/time column shows them:
    simple-history printed the stored value, in UTC."""

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        if isinstance(value, datetime) and timezone.is_aware(value):
            return format_date(timezone.localtime(value), "DATETIME_FORMAT")
        return value


class HistoryAdmin(SimpleHistoryAdmin):
    """The audit trail, read only. django-simple-history's history form saves an old
    version back on POST ("revert") after checking only view permission, and writes the
    whole row past every service (a tier, a lead's status, a claim's decision, a user's
    superuser flag): no one reverts here; a correction goes through the services."""

    def get_historical_record_context_helper(self, request, historical_record):
        return _LocalTimeChanges(self.model, historical_record)

    def history_view(self, request, object_id, extra_context=None):
        self._check_ids(object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        self._check_ids(object_id, version_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _check_ids(self, object_id, version_id=None) -> None:
        """An address whose ids are not ids (a mistyped or cut link) is not found, as on
        Django's own admin pages: simple-history passed it to the query, a 500. A record
        since deleted keeps its history page."""
        try:
            self.model._meta.pk.to_python(unquote(object_id))
            if version_id is not None:
                int(version_id)  # history_id, on every history table here
        except (ValidationError, ValueError):
            raise Http404("No such record.") from None

    def revert_disabled(self, request, obj=None):
        return True
