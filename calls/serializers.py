from django.urls import reverse
from rest_framework import serializers

from . import queries
from .models import Call, CallLeg, CallSettings


class CallSettingsSerializer(serializers.ModelSerializer):
    """Your live calls. `takes_calls`: on, and the ring number verified (only then does a
    call ring you)."""

    verified = serializers.BooleanField(
        read_only=True, help_text="The ring number's test-call code was typed back."
    )
    takes_calls = serializers.BooleanField(read_only=True)
    profile_number = serializers.SerializerMethodField(
        help_text="Fairlead's number on your public profile (E.164), if you have one."
    )

    class Meta:
        model = CallSettings
        fields = [
            "enabled",
            "ring_number",
            "verified",
            "verified_at",
            "takes_calls",
            "profile_number",
        ]
        read_only_fields = ["verified_at"]

    def get_profile_number(self, row) -> str | None:
        number = queries.profile_number(row.contractor)
        return number.number if number else None


class JSONBooleanField(serializers.BooleanField):
    """`true` or `false` as JSON writes them: DRF's own field also takes 0, 1 and "yes",
    which the schema's boolean does not."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)


class CallSettingsInputSerializer(serializers.Serializer):
    enabled = JSONBooleanField(required=False)
    ring_number = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=32,
        help_text="The phone calls ring, as people write it (stored in E.164). A new number "
        "rings nobody until verified (`call-settings/code/`, then `call-settings/verify/`).",
    )


class CodeSentSerializer(serializers.Serializer):
    ring_number = serializers.CharField(help_text="The number being called.")
    demo_code = serializers.CharField(
        allow_null=True,
        help_text="Only when Fairlead has no Twilio keys (a demo): the code the call would "
        "have said. Null when a real call is placed.",
    )


class CodeSerializer(serializers.Serializer):
    # Anything typed is checked against the code (a blank or wrong one counts as a try: 409).
    code = serializers.CharField(
        max_length=12,
        allow_blank=True,
        trim_whitespace=False,
        help_text="The four digits the call said.",
    )


class CallSerializer(serializers.ModelSerializer):
    """A call you were rung for, or whose lead you bought. Caller details are on the lead
    (`leads/{lead}/`), once bought."""

    lead = serializers.SerializerMethodField(help_text="The lead's id if you bought it.")
    reference = serializers.CharField(source="lead.reference", default=None, read_only=True)
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    zip_code = serializers.CharField(source="zip_code_id", read_only=True, allow_null=True)
    your_leg = serializers.ChoiceField(
        choices=CallLeg.Status.choices,
        read_only=True,
        allow_null=True,
        help_text="How it went when you were rung: taken, declined, no_answer...; null if "
        "you were not rung (you bought the lead afterwards).",
    )
    bridged_seconds = serializers.SerializerMethodField(
        help_text="How long you talked with the caller; null unless you took the call."
    )
    qualified = serializers.SerializerMethodField(
        help_text="The call you took lasted CALL_QUALIFIED_SECONDS (and was charged); null "
        "until settled, or if you did not take it."
    )
    fee_cents = serializers.SerializerMethodField(help_text="The call fee charged to you.")
    recording_url = serializers.SerializerMethodField(
        help_text="Where you play the recording (the dashboard, signed in), if it is yours "
        "to hear: the call you took, or the caller's voicemail on a lead you bought."
    )

    class Meta:
        model = Call
        fields = [
            "id",
            "lead",
            "reference",
            "category",
            "zip_code",
            "started_at",
            "outcome",
            "your_leg",
            "bridged_seconds",
            "qualified",
            "fee_cents",
            "voicemail",
            "recording_url",
        ]
        read_only_fields = fields

    def _took(self, call) -> bool:
        return call.your_leg == CallLeg.Status.TAKEN

    def get_lead(self, call) -> int | None:
        return call.lead_id if call.your_purchase_id is not None else None

    def get_bridged_seconds(self, call) -> int | None:
        return call.bridged_seconds if self._took(call) else None

    def get_qualified(self, call) -> bool | None:
        return call.qualified if self._took(call) else None

    def get_fee_cents(self, call) -> int:
        return call.fee_cents if self._took(call) else 0

    def get_recording_url(self, call) -> str | None:
        if not queries.listed_call_playable(call):
            return None
        url = reverse("calls:recording-play", args=[call.your_purchase_id])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url
