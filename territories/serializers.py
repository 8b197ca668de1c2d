from rest_framework import serializers

from marketplace.errors import DomainError
from marketplace.models import ServiceCategory

from . import queries, services
from .models import TerritorySubscription
from .services import MAX_ZIPS_PER_ORDER


def _zip_codes_named(codes) -> list:
    try:
        return services.zip_codes_named(codes)
    except DomainError as error:
        raise serializers.ValidationError(error.message) from None


class TerritorySerializer(serializers.Serializer):
    """One (zip, category): availability, price and the figures behind it."""

    zip_code = serializers.CharField(source="zip_code.code")
    city = serializers.CharField(source="zip_code.city")
    state = serializers.CharField(source="zip_code.state")
    latitude = serializers.FloatField(source="zip_code.latitude", allow_null=True)
    longitude = serializers.FloatField(source="zip_code.longitude", allow_null=True)
    category = serializers.CharField(source="category.slug")
    available = serializers.BooleanField(source="selectable")
    yours = serializers.BooleanField()
    availability = serializers.ChoiceField(
        choices=["free", "partial", "taken"], help_text="Across every service of the zip."
    )
    taken_categories = serializers.ListField(child=serializers.CharField())
    monthly_fee_cents = serializers.IntegerField()
    fee_formula = serializers.CharField(source="formula")
    lead_fee_cents = serializers.IntegerField()
    leads_12m = serializers.IntegerField(source="figures.leads_12m")
    average_job_value_cents = serializers.IntegerField(source="figures.average_value_cents")
    demand_percent = serializers.IntegerField(source="figures.demand_percent")


class TerritoryQuerySerializer(serializers.Serializer):
    zip = serializers.CharField(
        help_text="A zip code, or several separated by commas (50 at most)."
    )
    category = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=ServiceCategory.objects.filter(active=True),
        required=False,
        help_text="A service's slug; every service when left out.",
    )

    def validate_zip(self, value):
        """The zips named, less those that cannot be territories (said when none is left)."""
        zips = _zip_codes_named(value.split(","))
        kept = [z for z in zips if queries.is_territory_zip(z)]
        if not kept:
            raise serializers.ValidationError(queries.not_a_territory(zips))
        return kept


class SubscriptionSerializer(serializers.ModelSerializer):
    zip_code = serializers.CharField(source="zip_code_id")
    category = serializers.CharField(source="category.slug")

    class Meta:
        model = TerritorySubscription
        fields = [
            "id",
            "zip_code",
            "category",
            "status",
            "list_price_cents",
            "fee_cents",
            "pricing",
            "period_start",
            "period_end",
            "cancel_at_period_end",
            "grace_until",
            "ended_at",
        ]
        read_only_fields = fields


class SubscribeSerializer(serializers.Serializer):
    zip_codes = serializers.ListField(
        child=serializers.RegexField(r"^\d{5}$", error_messages={"invalid": "Enter 5-digit zips."}),
        min_length=1,
        max_length=MAX_ZIPS_PER_ORDER,
    )
    category = serializers.SlugRelatedField(
        slug_field="slug", queryset=ServiceCategory.objects.filter(active=True)
    )
    expected_total_cents = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text="The monthly total you were quoted; if the price moved, nothing is charged "
        "and the answer is 409.",
    )

    def validate_zip_codes(self, value):
        return _zip_codes_named(value)
