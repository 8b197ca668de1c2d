from django.db.models import prefetch_related_objects
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.api import IsContractor
from marketplace.errors import DomainError
from marketplace.http import client_ip
from marketplace.middleware import UTM_KEYS
from marketplace.pagination import LateRowPagination
from marketplace.parsers import SafeJSONParser
from marketplace.schema import error_responses

from . import policy, queries, services
from .models import Consent, Offer, Purchase
from .serializers import (
    ContactAttemptSerializer,
    OfferSerializer,
    PurchasedLeadSerializer,
    QuoteRequestInputSerializer,
    QuoteRequestOutputSerializer,
)
from .views import RATE_LIMITED_MESSAGE, count_intake, intake_limited


class RateLimited(DomainError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS


class QuoteRequestCreateView(APIView):
    """A homeowner's quote request: the same rules as the public form. Rate-limited per IP."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    # JSON only: a cross-site HTML form cannot post it without a CORS preflight.
    parser_classes = [SafeJSONParser]

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


# --- Contractor API: offers, purchased leads, contact attempts ------------------------------


class OfferList(generics.ListAPIView):
    """Your offers, pending first. The homeowner's contact is never in an offer."""

    serializer_class = OfferSerializer
    permission_classes = [IsContractor]
    pagination_class = LateRowPagination  # deep pages skip ids, not joined rows
    filterset_fields = ["status"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Offer.objects.none()
        return queries.offers_for(self.request.user.contractor)


def _own_offer(request, offer_id) -> Offer:
    offer = queries.offer_for(request.user.contractor, offer_id)
    if offer is None:
        raise NotFound("No such offer.")
    return offer


class OfferAccept(APIView):
    """Buy the lead: 201 with the lead and its contact; 402 balance too low; 409 lead
    full, expired, or offer not pending."""

    permission_classes = [IsContractor]

    @extend_schema(
        request=None, responses={201: PurchasedLeadSerializer, **error_responses(402, 409)}
    )
    def post(self, request, offer_id):
        purchase = services.accept_offer(
            _own_offer(request, offer_id), contractor=request.user.contractor
        )
        purchase = queries.purchase_for(request.user.contractor, purchase.pk)
        return Response(PurchasedLeadSerializer(purchase).data, status=status.HTTP_201_CREATED)


class OfferDecline(APIView):
    """Pass on an offer."""

    permission_classes = [IsContractor]

    @extend_schema(request=None, responses={200: OfferSerializer, **error_responses(409)})
    def post(self, request, offer_id):
        offer = services.decline_offer(
            _own_offer(request, offer_id), contractor=request.user.contractor
        )
        return Response(OfferSerializer(offer).data)


class PurchasedLeadList(generics.ListAPIView):
    """Leads you bought, with contact details and outcome."""

    serializer_class = PurchasedLeadSerializer
    permission_classes = [IsContractor]
    pagination_class = LateRowPagination  # deep pages skip ids, not joined rows

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Purchase.objects.none()
        return queries.purchases_for(self.request.user.contractor).prefetch_related("attempts")


class PurchasedLeadDetail(generics.RetrieveUpdateAPIView):
    """One bought lead (by lead id). PATCH `outcome`, `final_value_cents`, `lost_reason`."""

    serializer_class = PurchasedLeadSerializer
    permission_classes = [IsContractor]
    http_method_names = ["get", "patch", "head", "options"]

    @extend_schema(responses={200: PurchasedLeadSerializer, **error_responses(409)})
    def patch(self, request, *args, **kwargs):
        return super().patch(request, *args, **kwargs)

    def get_object(self):
        contractor = self.request.user.contractor
        purchase = queries.purchase_for(contractor, lead_id=self.kwargs["lead_id"])
        if purchase is None:
            raise NotFound("No such lead among your purchases.")
        prefetch_related_objects([purchase], "attempts")
        return purchase

    def perform_update(self, serializer):
        data = serializer.validated_data
        purchase = serializer.instance
        services.record_outcome(
            purchase,
            outcome=data.get("outcome", purchase.outcome),
            final_value_cents=data.get("final_value_cents", purchase.final_value_cents),
            lost_reason=data.get("lost_reason", purchase.lost_reason),
            expected=purchase.outcome,  # as read for this request
        )


class ContactAttemptCreate(APIView):
    """Log a call, text or email attempt on a bought lead."""

    permission_classes = [IsContractor]

    @extend_schema(request=ContactAttemptSerializer, responses={201: ContactAttemptSerializer})
    def post(self, request, lead_id):
        purchase = queries.purchase_for(request.user.contractor, lead_id=lead_id)
        if purchase is None:
            raise NotFound("No such lead among your purchases.")
        data = ContactAttemptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attempt = services.log_contact_attempt(purchase, **data.validated_data)
        return Response(ContactAttemptSerializer(attempt).data, status=status.HTTP_201_CREATED)
