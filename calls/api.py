import django_filters
from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.api import IsContractor
from marketplace.filters import StrictBooleanFilter
from marketplace.notifications import twilio_configured
from marketplace.parsers import SafeJSONParser
from marketplace.schema import error_responses

from . import queries, services
from .models import Call, CallLeg
from .serializers import (
    CallSerializer,
    CallSettingsInputSerializer,
    CallSettingsSerializer,
    CodeSentSerializer,
    CodeSerializer,
)


def _settings_data(contractor) -> dict:
    return CallSettingsSerializer(queries.call_settings_of(contractor)).data


class CallSettingsView(APIView):
    """Your live calls: on or off, and the number to ring. PATCH `enabled`, `ring_number`;
    a new number rings nobody until its test call's code is confirmed."""

    permission_classes = [IsContractor]
    # JSON only: a form's "0" or "off" is not the schema's boolean.
    parser_classes = [SafeJSONParser]

    @extend_schema(responses={200: CallSettingsSerializer})
    def get(self, request):
        return Response(_settings_data(request.user.contractor))

    @extend_schema(request=CallSettingsInputSerializer, responses={200: CallSettingsSerializer})
    def patch(self, request):
        contractor = request.user.contractor
        data = CallSettingsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = queries.call_settings_of(contractor)
        services.change_call_settings(
            contractor,
            enabled=data.validated_data.get("enabled", row.enabled),
            ring_number=data.validated_data.get("ring_number", row.ring_number),
        )
        return Response(_settings_data(contractor))


class CallSettingsCode(APIView):
    """Ring your number with a spoken four-digit code (one call a minute: 409 sooner)."""

    permission_classes = [IsContractor]

    @extend_schema(request=None, responses={200: CodeSentSerializer, **error_responses(409)})
    def post(self, request):
        contractor = request.user.contractor
        code = services.send_code(contractor)
        return Response(
            {
                "ring_number": queries.call_settings_of(contractor).ring_number,
                "demo_code": None if twilio_configured() else code,
            }
        )


class CallSettingsVerify(APIView):
    """Type back the code the test call said: the ring number is verified. A wrong,
    expired or missing code: 409 (five wrong tries need a new call)."""

    permission_classes = [IsContractor]
    parser_classes = [SafeJSONParser]

    @extend_schema(
        request=CodeSerializer, responses={200: CallSettingsSerializer, **error_responses(409)}
    )
    def post(self, request):
        data = CodeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.confirm_code(request.user.contractor, data.validated_data["code"])
        return Response(_settings_data(request.user.contractor))


class CallFilter(django_filters.FilterSet):
    taken = StrictBooleanFilter(
        method="filter_taken", label="Calls you took (true) or did not take (false)."
    )
    qualified = StrictBooleanFilter(
        method="filter_qualified",
        label="Calls you took that qualified and were charged (true), or did not (false).",
    )
    voicemail = StrictBooleanFilter(label="Voicemails (true), or live calls (false).")

    class Meta:
        model = Call
        fields = ["taken", "qualified", "voicemail"]

    def filter_taken(self, queryset, name, value):
        took = Q(your_leg=CallLeg.Status.TAKEN)
        return queryset.filter(took if value else ~took | Q(your_leg__isnull=True))

    def filter_qualified(self, queryset, name, value):
        return queryset.filter(your_leg=CallLeg.Status.TAKEN, qualified=value)


class CallList(generics.ListAPIView):
    """Calls you were rung for or whose lead you bought, newest first: how long you
    talked, whether it qualified, the fee, and where to play the recording."""

    serializer_class = CallSerializer
    permission_classes = [IsContractor]
    filterset_class = CallFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Call.objects.none()
        return queries.calls_for(self.request.user.contractor)
