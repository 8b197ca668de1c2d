import copy

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Contractor, ServiceCategory


class FieldsBuiltOnce:
    """For a serializer on a hot path (every quote request): its fields are built once per
    class, and each instance binds its own shallow copies. DRF builds them again for every
    instance (deep copies, and a ModelSerializer's from the model), which cost as much as
    the validation itself. Only for fields that depend on nothing of the instance (its
    context, its data) and are never changed once built."""

    def get_fields(self):
        built = type(self).__dict__.get("_fields_built_once")
        if built is None:
            built = super().get_fields()
            type(self)._fields_built_once = built
        return {name: copy.copy(field) for name, field in built.items()}


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(
        style={"input_type": "password"}, trim_whitespace=False, max_length=256
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceCategory
        fields = ["slug", "name", "description", "typical_job_value_cents"]


@extend_schema_field(
    {"type": "string", "description": "An http(s) URL, or empty when none was given."}
)
class OptionalURLField(serializers.URLField):
    """A URL or "" (none given): the schema's `format: uri` alone refused the empty one."""


class MeSerializer(serializers.ModelSerializer):
    website = OptionalURLField(allow_blank=True, read_only=True)
    email = serializers.EmailField(source="user.email")
    base_zip = serializers.CharField(source="base_zip_id", allow_null=True)
    categories = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    service_zip_count = serializers.IntegerField()
    balance_cents = serializers.IntegerField(source="account.balance_cents", default=0)
    onboarded = serializers.BooleanField(source="is_onboarded")

    class Meta:
        model = Contractor
        fields = [
            "id",
            "email",
            "business_name",
            "phone",
            "website",
            "tier",
            "balance_cents",
            "onboarded",
            "base_zip",
            "categories",
            "area_mode",
            "service_radius_miles",
            "service_zip_count",
            "is_active",
            "is_paused",
            "daily_lead_cap",
            "weekly_lead_cap",
            "monthly_budget_cents",
            "notify_email",
            "notify_sms",
            "notify_in_app",
            "quiet_hours_start",
            "quiet_hours_end",
            "timezone",
        ]
        read_only_fields = fields
