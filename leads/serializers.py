from datetime import UTC

from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from marketplace.errors import DomainError
from marketplace.models import Contractor

from . import policy, services
from .models import ContactAttempt, Lead, Offer, Purchase


def _domain(func, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except DomainError as error:
        raise serializers.ValidationError(error.message) from None


class QuoteRequestInputSerializer(serializers.Serializer):
    category = serializers.CharField(max_length=80, help_text="Category slug, e.g. `plumbing`.")
    zip_code = serializers.CharField(max_length=10)
    street_address = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    description = serializers.CharField(max_length=policy.DESCRIPTION_MAX_CHARS)
    timeframe = serializers.ChoiceField(choices=Lead.Timeframe.choices)
    job_size = serializers.ChoiceField(choices=Lead.JobSize.choices)
    ownership = serializers.ChoiceField(choices=Lead.Ownership.choices)
    name = serializers.CharField(max_length=120)
    phone = serializers.CharField(max_length=32)
    email = serializers.EmailField(max_length=254)
    preferred_contact = serializers.ChoiceField(choices=Lead.ContactMethod.choices)
    one_pro_only = serializers.BooleanField(required=False, default=False)
    consent = serializers.BooleanField(
        help_text="Must be true: the homeowner was shown, and agreed to, this text: "
        + policy.consent_text()
    )
    pro = serializers.SlugField(
        required=False,
        allow_blank=True,
        default="",
        help_text="A contractor's profile slug: send the request to that pro only.",
    )

    def validate_category(self, value):
        return _domain(services.clean_category, value)

    def validate_zip_code(self, value):
        return _domain(services.clean_zip, value)

    def validate_phone(self, value):
        return _domain(services.clean_phone, value)

    def validate_description(self, value):
        return _domain(services.clean_description, value)

    def validate_consent(self, value):
        if value is not True:
            raise serializers.ValidationError(
                "The homeowner must agree to be contacted about this request."
            )
        return value

    def validate_pro(self, value):
        if not value:
            return None
        contractor = Contractor.objects.filter(
            slug=value, is_active=True, onboarded_at__isnull=False
        ).first()
        if contractor is None:
            raise serializers.ValidationError("No pro with this profile takes requests.")
        return contractor

    def validate(self, data):
        if data.get("pro"):
            try:
                services.clean_profile_contractor(
                    data["pro"], category=data["category"], zip_code=data["zip_code"]
                )
            except DomainError as error:
                raise serializers.ValidationError({error.field: [error.message]}) from None
        return data

    def quote_request(self) -> services.QuoteRequest:
        data = dict(self.validated_data)
        data.pop("consent")
        data["profile_contractor"] = data.pop("pro")
        return services.QuoteRequest(**data)


class QuoteRequestOutputSerializer(serializers.ModelSerializer):
    status_url = serializers.SerializerMethodField()
    covered = serializers.SerializerMethodField(
        help_text="False when no pro on Fairlead does this job in this zip yet: tell the "
        "homeowner so."
    )

    class Meta:
        model = Lead
        fields = ["id", "reference", "status", "status_url", "covered"]

    def get_covered(self, lead) -> bool:
        return not lead.unserved

    def get_status_url(self, lead) -> str:
        request = self.context.get("request")
        if request is None:
            return services.status_url(lead)
        return request.build_absolute_uri(reverse("leads:status", args=[lead.status_token]))


class LeadPreviewSerializer(serializers.ModelSerializer):
    """What a contractor sees before buying: the job, never the homeowner's contact (the
    description has phone numbers, emails, the name and street masked)."""

    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    description = serializers.SerializerMethodField()
    city = serializers.CharField(source="zip_code.city", read_only=True)
    zip_code = serializers.CharField(source="zip_code_id", read_only=True)

    class Meta:
        model = Lead
        fields = [
            "id",
            "category",
            "city",
            "zip_code",
            "description",
            "timeframe",
            "job_size",
            "estimated_value_cents",
        ]
        read_only_fields = fields

    def get_description(self, lead) -> str:
        return policy.redact_contact(lead.description, lead)


class OfferSerializer(serializers.ModelSerializer):
    lead = LeadPreviewSerializer(read_only=True)

    class Meta:
        model = Offer
        fields = ["id", "status", "price_cents", "expires_at", "offered_at", "route", "lead"]
        read_only_fields = fields


class OffsetDateTimeField(serializers.DateTimeField):
    """ISO 8601 with its UTC offset in (a time without one is refused: whose clock was it
    read on?), UTC out."""

    default_error_messages = {
        "naive": "Give the time with its UTC offset, e.g. 2026-03-02T14:05:00Z or "
        "2026-03-02T06:05:00-08:00."
    }

    def __init__(self, **kwargs):
        super().__init__(default_timezone=UTC, **kwargs)

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


class ContactAttemptSerializer(serializers.ModelSerializer):
    attempted_at = OffsetDateTimeField(
        required=False, help_text="When it happened, ISO 8601 with offset; now if left out."
    )
    logged_late = serializers.BooleanField(
        read_only=True,
        help_text="Logged more than CONTACT_ATTEMPT_LOG_WINDOW_MINUTES after it happened: "
        "kept, but not counted for a non-contact credit.",
    )

    class Meta:
        model = ContactAttempt
        fields = ["id", "channel", "result", "attempted_at", "note", "logged_late"]
        read_only_fields = ["id"]


class PurchasedLeadSerializer(serializers.ModelSerializer):
    """A bought lead, with the contact, and its outcome (PATCH)."""

    id = serializers.IntegerField(source="lead.id", read_only=True)
    purchase_id = serializers.IntegerField(source="pk", read_only=True)
    category = serializers.SlugRelatedField(
        source="lead.category", slug_field="slug", read_only=True
    )
    city = serializers.CharField(source="lead.zip_code.city", read_only=True)
    zip_code = serializers.CharField(source="lead.zip_code_id", read_only=True)
    description = serializers.CharField(source="lead.description", read_only=True)
    timeframe = serializers.CharField(source="lead.timeframe", read_only=True)
    job_size = serializers.CharField(source="lead.job_size", read_only=True)
    estimated_value_cents = serializers.IntegerField(
        source="lead.estimated_value_cents", read_only=True
    )
    name = serializers.CharField(source="lead.name", read_only=True)
    phone = serializers.CharField(source="lead.phone", read_only=True)
    email = serializers.EmailField(source="lead.email", read_only=True)
    street_address = serializers.CharField(source="lead.street_address", read_only=True)
    preferred_contact = serializers.CharField(source="lead.preferred_contact", read_only=True)
    outcome = serializers.ChoiceField(choices=Purchase.Outcome.choices, required=False)
    final_value_cents = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=1_000_000_000
    )
    lost_reason = serializers.CharField(required=False, allow_blank=True, max_length=200)
    attempts = ContactAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Purchase
        fields = [
            "id",
            "purchase_id",
            "category",
            "city",
            "zip_code",
            "description",
            "timeframe",
            "job_size",
            "estimated_value_cents",
            "name",
            "phone",
            "email",
            "street_address",
            "preferred_contact",
            "price_cents",
            "created_at",
            "outcome",
            "appointment_booked_at",
            "won_at",
            "final_value_cents",
            "lost_reason",
            "attempts",
        ]
        read_only_fields = ["price_cents", "created_at", "appointment_booked_at", "won_at"]
