from allauth.account.admin import EmailAddressAdmin as AllauthEmailAddressAdmin
from allauth.account.models import EmailAddress
from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count
from django.db.models.constants import LOOKUP_SEP
from django.urls import reverse
from django.utils.html import format_html

from . import notifications, services
from .adminkit import HistoryAdmin
from .formtools import check_rule
from .models import (
    Contractor,
    Heartbeat,
    Notification,
    ServiceArea,
    ServiceCategory,
    User,
    ZipCode,
)
from .money import format_cents


@admin.register(User)
class UserAdmin(DjangoUserAdmin, HistoryAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Personal info", {"fields": ["first_name", "last_name", "timezone"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Important dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
    ]


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(HistoryAdmin):
    list_display = ["name", "slug", "typical_job_value", "active", "contractor_count"]
    list_filter = ["active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_contractors=Count("contractors"))

    @admin.display(description="Typical job value", ordering="typical_job_value_cents")
    def typical_job_value(self, obj):
        return format_cents(obj.typical_job_value_cents)

    @admin.display(description="Contractors", ordering="n_contractors")
    def contractor_count(self, obj):
        return obj.n_contractors


@admin.register(ZipCode)
class ZipCodeAdmin(HistoryAdmin):
    list_display = ["code", "city", "state", "county", "timezone", "kind", "active"]
    list_filter = ["active", "kind", "state"]
    search_fields = ["=code", "city", "county"]
    show_full_result_count = False


@admin.register(ServiceArea)
class ServiceAreaAdmin(admin.ModelAdmin):
    """Derived from each contractor's radius or zip list; change those, not these rows."""

    list_display = ["contractor", "zip_code", "distance_miles"]
    list_select_related = ["contractor", "zip_code"]
    list_filter = ["zip_code__state"]
    search_fields = ["=zip_code__code", "zip_code__city", "contractor__business_name"]
    raw_id_fields = ["contractor", "zip_code"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ContractorAdminForm(forms.ModelForm):
    """Ops edits go through the same phone and service-area rules as the contractor's own."""

    website = forms.URLField(required=False, assume_scheme="https")

    class Meta:
        model = Contractor
        fields = "__all__"  # noqa: DJ007 - the admin fieldsets choose what is shown

    def clean_phone(self):
        phone = self.cleaned_data["phone"]
        return check_rule(services.normalize_phone, phone) if phone else phone

    def clean(self):
        data = super().clean()
        try:
            if data.get("area_mode") == Contractor.AreaMode.ZIP_LIST:
                zips = services.parse_zip_list(data.get("service_zip_list", ""))
                data["service_zip_list"] = " ".join(z.code for z in zips)
            elif not data.get("base_zip"):
                self.add_error("base_zip", "A radius needs a base zip code.")
        except services.DomainError as error:
            self.add_error("service_zip_list", error.message)
        return data


@admin.register(Contractor)
class ContractorAdmin(HistoryAdmin):
    form = ContractorAdminForm
    list_display = [
        "business_name",
        "email",
        "phone",
        "tier",
        "base_zip",
        "zip_count",
        "is_active",
        "is_paused",
        "onboarded_at",
    ]
    list_filter = ["tier", "is_active", "is_paused", "area_mode", "categories"]
    search_fields = ["business_name", "user__email", "phone", "base_zip__code", "base_zip__city"]
    list_select_related = ["user", "base_zip"]
    raw_id_fields = ["user", "base_zip"]
    filter_horizontal = ["categories"]
    readonly_fields = ["service_area", "onboarded_at", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    actions = ["deactivate", "activate"]
    fieldsets = [
        (None, {"fields": ["user", "business_name", "phone", "website", "tier", "is_active"]}),
        (
            "Service",
            {
                "fields": [
                    "categories",
                    "base_zip",
                    "area_mode",
                    "service_radius_miles",
                    "service_zip_list",
                    "service_area",
                ]
            },
        ),
        (
            "Availability",
            {"fields": ["is_paused", "daily_lead_cap", "weekly_lead_cap", "monthly_budget_cents"]},
        ),
        (
            "Notifications",
            {
                "fields": [
                    "notify_email",
                    "notify_sms",
                    "notify_in_app",
                    "quiet_hours_start",
                    "quiet_hours_end",
                    "timezone",
                ]
            },
        ),
        ("Dates", {"fields": ["onboarded_at", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_zips=Count("service_areas"))

    def get_readonly_fields(self, request, obj=None):
        # A profile never moves to another login: its leads and money would follow it.
        # Switching a pro off stops every offer to them: only with that permission.
        return (
            self.readonly_fields
            + (["user"] if obj else [])
            + ([] if self.has_deactivate_contractor_permission(request) else ["is_active"])
        )

    def has_deactivate_contractor_permission(self, request):
        return request.user.has_perm("marketplace.deactivate_contractor")

    @admin.display(description="Zips served")
    def service_area(self, obj):
        if obj.pk is None:
            return "—"
        url = (
            reverse("admin:marketplace_servicearea_changelist") + f"?contractor__id__exact={obj.pk}"
        )
        return format_html('<a href="{}">{} zip codes</a>', url, obj.service_areas.count())

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.mark_onboarded(obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Ops may change the radius, base zip or zip list: keep matching rows in step.
        try:
            services.expand_service_area(form.instance)
        except services.DomainError as error:
            self.message_user(request, f"Service area not updated: {error.message}", messages.ERROR)

    @admin.display(description="Email", ordering="user__email")
    def email(self, obj):
        return obj.user.email

    @admin.display(description="Zips served", ordering="n_zips")
    def zip_count(self, obj):
        return obj.n_zips

    @admin.action(
        description="Deactivate: stop all offers to the selected contractors",
        permissions=["deactivate_contractor"],
    )
    def deactivate(self, request, queryset):
        changed = sum(services.set_active(c, active=False) for c in queryset)
        self.message_user(request, f"{changed} contractor(s) deactivated.", messages.SUCCESS)

    @admin.action(
        description="Activate the selected contractors", permissions=["deactivate_contractor"]
    )
    def activate(self, request, queryset):
        changed = sum(services.set_active(c, active=True) for c in queryset)
        self.message_user(request, f"{changed} contractor(s) activated.", messages.SUCCESS)


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "seen_at"]
    readonly_fields = ["name", "seen_at"]

    def has_add_permission(self, request):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The log of every outbound message."""

    list_display = ["created_at", "channel", "template", "to", "status", "attempts", "sent_at"]
    list_filter = ["channel", "status", "template"]
    search_fields = ["to", "=provider_id", "user__email"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    readonly_fields = [f.name for f in Notification._meta.fields]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and notifications.holds_secret(obj.template):
            return [f for f in fields if f != "body"]  # a reset or verification key
        return fields

    def lookup_allowed(self, lookup, value, request=None):
        # A filter on the text (?body__contains=…) would read a one-time key from a row
        # still queued, a character at a time, though the page hides it.
        if lookup.split(LOOKUP_SEP)[0] == "body":
            return False
        return super().lookup_allowed(lookup, value, request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Installed apps' admins, with the permission each action needs --------------------------
# allauth and django-axes declare none, so anyone who may view the list could run them.

admin.site.unregister(EmailAddress)


@admin.register(EmailAddress)
class EmailAddressAdmin(AllauthEmailAddressAdmin):
    @admin.action(description="Mark selected email addresses as verified", permissions=["change"])
    def make_verified(self, request, queryset):
        return super().make_verified(request, queryset)


admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(AxesAccessAttemptAdmin):
    @admin.action(description="Clean up expired attempts", permissions=["delete"])
    def cleanup_expired_attempts(self, request, queryset):
        # django-axes reads the time of the login attempt being checked, which only login
        # requests carry; None means "now" (without it the action fails with a 500).
        request.axes_attempt_time = None
        return super().cleanup_expired_attempts(request, queryset)
