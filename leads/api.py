from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.errors import DomainError
from marketplace.http import client_ip
from marketplace.middleware import UTM_KEYS

from . import policy, services
from .models import Consent
from .serializers import QuoteRequestInputSerializer, QuoteRequestOutputSerializer
from .views import RATE_LIMITED_MESSAGE, count_intake, intake_limited


class RateLimited(DomainError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS


class QuoteRequestCreateView(APIView):
    """A homeowner's quote request: the same rules as the public form. Rate-limited per IP."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    # JSON only: a cross-site HTML form cannot post it without a CORS preflight.
    parser_classes = [JSONParser]

    @extend_schema(
        request=QuoteRequestInputSerializer, responses={201: QuoteRequestOutputSerializer}
    )
    def post(self, request):
        if intake_limited(request._request, channel="api"):
            raise RateLimited(RATE_LIMITED_MESSAGE)
        data = QuoteRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lead = services.submit_quote_request(
            data.quote_request(),
            submission=services.Submission(
                consent_text=policy.consent_text(
                    pro_name=pro.business_name if (pro := data.validated_data["pro"]) else None
                ),
                consent_method=Consent.Method.API_ASSERTION,
                ip_address=client_ip(request._request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
                referrer=request.META.get("HTTP_REFERER", ""),
                channel="api",
                utm={key: request.query_params.get(f"utm_{key}", "") for key in UTM_KEYS},
            ),
        )
        count_intake(request._request, channel="api")
        output = QuoteRequestOutputSerializer(lead, context={"request": request})
        return Response(output.data, status=status.HTTP_201_CREATED)
