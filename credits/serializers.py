from rest_framework import serializers

from marketplace.converters import MAX_ID

from . import policy
from .models import CreditClaim


class ClaimSerializer(serializers.ModelSerializer):
    lead = serializers.IntegerField(
        source="purchase.lead_id", min_value=1, max_value=MAX_ID, help_text="A purchased lead's id."
    )
    reason = serializers.ChoiceField(
        choices=[(r.slug, r.label) for r in policy.REASONS],
        error_messages={"invalid_choice": policy.UNKNOWN_REASON},
    )
    notes = serializers.CharField(allow_blank=True, max_length=5000)

    class Meta:
        model = CreditClaim
        fields = [
            "id",
            "lead",
            "reason",
            "notes",
            "status",
            "decision_reason",
            "credited_cents",
            "due_by",
            "filed_at",
            "final",
        ]
        read_only_fields = [
            "id",
            "status",
            "decision_reason",
            "credited_cents",
            "due_by",
            "filed_at",
            "final",
        ]


class AppealSerializer(serializers.Serializer):
    notes = serializers.CharField(max_length=5000)
