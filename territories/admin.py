from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.template.response import TemplateResponse
from django.urls import path

from marketplace.adminkit import HistoryAdmin
from marketplace.models import ServiceCategory
from marketplace.money import format_cents

from .metros import BY_SLUG, METROS, zip_codes_in
from .models import DemandIndex, PriceOverride, TerritorySubscription


class MetroFilter(admin.SimpleListFilter):
    title = "metro"
    parameter_name = "metro"

    def lookups(self, request, model_admin):
        return [(m.slug, m.name) for m in METROS]

    def queryset(self, request, queryset):
        metro = BY_SLUG.get(self.value() or "")
        if metro is None:
            return queryset
        return queryset.filter(zip_code__in=zip_codes_in(metro))


@admin.register(TerritorySubscription)
class TerritorySubscriptionAdmin(HistoryAdmin):
    list_display = [
        "zip_code",
        "place",
        "category",
        "contractor",
        "status",
        "fee",
        "period_end",
        "cancel_at_period_end",
        "grace_until",
    ]
    list_filter = [
        "status",
        "category",
        MetroFilter,
        ("zip_code__state", admin.AllValuesFieldListFilter),
        "cancel_at_period_end",
    ]
    search_fields = [
        "zip_code__code",
        "zip_code__city",
        "contractor__business_name",
        "contractor__user__email",
    ]
    list_select_related = ["zip_code", "category", "contractor"]
    date_hierarchy = "created_at"
    # Money and state change only through services (subscribe, renew, cancel); the list
    # price is the one figure ops may correct, and it applies from the next renewal.
    readonly_fields = [
        "contractor",
        "zip_code",
        "category",
        "status",
        "fee_cents",
        "pricing",
        "period_start",
        "period_end",
        "cancel_at_period_end",
        "grace_until",
        "ended_at",
        "created_at",
    ]
    fields = ["list_price_cents", *readonly_fields]
    change_list_template = "admin/territories/territorysubscription/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="City", ordering="zip_code__city")
    def place(self, obj):
        return obj.zip_code.place

    @admin.display(description="Monthly fee", ordering="fee_cents")
    def fee(self, obj):
        return format_cents(obj.fee_cents)

    def get_urls(self):
        return [
            path(
                "metros/",
                self.admin_site.admin_view(self.metros_view),
                name="territories_metros",
            ),
            *super().get_urls(),
        ]

    def metros_view(self, request):
        """Pairs taken per metro: how much of each metro's (zip, service) space is sold."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        services_count = ServiceCategory.objects.filter(active=True).count()
        rows = []
        for metro in METROS:
            codes = zip_codes_in(metro)
            held = TerritorySubscription.objects.filter(zip_code__in=codes).aggregate(
                taken=Count("pk", filter=Q(status__in=TerritorySubscription.HOLDING)),
                past_due=Count("pk", filter=Q(status=TerritorySubscription.Status.PAST_DUE)),
                suspended=Count("pk", filter=Q(status=TerritorySubscription.Status.SUSPENDED)),
                holders=Count(
                    "contractor",
                    distinct=True,
                    filter=Q(status__in=TerritorySubscription.HOLDING),
                ),
            )
            possible = len(codes) * services_count
            rows.append(
                {
                    "metro": metro,
                    "zips": len(codes),
                    "possible": possible,
                    "share": round(100 * held["taken"] / possible, 1) if possible else 0,
                    **held,
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "title": "Territory pairs taken per metro",
            "rows": rows,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/territories/metros.html", context)


@admin.register(PriceOverride)
class PriceOverrideAdmin(HistoryAdmin):
    list_display = ["zip_code", "category", "fee", "reason", "set_by", "updated_at"]
    list_filter = ["category", ("zip_code__state", admin.AllValuesFieldListFilter)]
    search_fields = ["zip_code__code", "zip_code__city", "reason"]
    list_select_related = ["zip_code", "category", "set_by"]
    autocomplete_fields = ["zip_code"]
    readonly_fields = ["set_by", "updated_at"]

    @admin.display(description="Monthly fee", ordering="monthly_fee_cents")
    def fee(self, obj):
        return format_cents(obj.monthly_fee_cents)

    def save_model(self, request, obj, form, change):
        obj.set_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(DemandIndex)
class DemandIndexAdmin(HistoryAdmin):
    list_display = ["__str__", "zip_code", "state", "percent", "note", "updated_at"]
    list_filter = ["state"]
    search_fields = ["zip_code__code", "state", "note"]
    autocomplete_fields = ["zip_code"]
