from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Contractor, ServiceCategory


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
