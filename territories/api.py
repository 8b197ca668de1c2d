from dataclasses import dataclass

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from marketplace.api import IsContractor
from marketplace.models import ServiceCategory
from marketplace.schema import error_responses

from . import pricing, queries, services
from .models import TerritorySubscription
from .serializers import (
    SubscribeSerializer,
    SubscriptionSerializer,
    TerritoryQuerySerializer,
    TerritorySerializer,
)


@dataclass
class _Item:
    """A zip row of one category, as TerritorySerializer reads it."""

    row: queries.ZipRow
    category: ServiceCategory
    lead_fee_cents: int

    def __getattr__(self, name):
        return getattr(self.row, name)


class TerritoryList(generics.GenericAPIView):
    """Price, availability and demand of zip codes for one service or every service."""

    permission_classes = [IsContractor]
    serializer_class = TerritorySerializer
    queryset = TerritorySubscription.objects.none()  # rows are built by queries.zip_rows

    @extend_schema(
        parameters=[
            OpenApiParameter("zip", str, required=True, description="Zip code(s), comma-separated"),
            OpenApiParameter("category", str, description="Service slug"),
        ],
        responses={200: TerritorySerializer(many=True)},
    )
    def get(self, request):
        # A plain dict: DRF reads an empty query value as absent from a QueryDict; here
        # `?category=` is an error, as the schema says.
        query = TerritoryQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        zips = query.validated_data["zip"]
        chosen = query.validated_data.get("category")
        categories = [chosen] if chosen else list(ServiceCategory.objects.filter(active=True))
        contractor, now = request.user.contractor, timezone.now()
        items = [
            _Item(row, category, pricing.lead_fee_cents(category.slug))
            for category, row in queries.zip_rows_by_category(
                zips, categories, contractor=contractor, now=now
            )
        ]
        page = self.paginate_queryset(items)
        return self.get_paginated_response(TerritorySerializer(page, many=True).data)


class SubscriptionListCreate(generics.ListCreateAPIView):
    """Your territories, newest state first; POST takes zip codes for one service, all or
    none, and charges the first month (402 balance too low, 409 taken or price moved)."""

    permission_classes = [IsContractor]
    serializer_class = SubscriptionSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TerritorySubscription.objects.none()
        return queries.subscriptions_for(self.request.user.contractor)

    @extend_schema(
        request=SubscribeSerializer,
        responses={201: SubscriptionSerializer(many=True), **error_responses(402, 409)},
    )
    def post(self, request, *args, **kwargs):
        data = SubscribeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscriptions = services.subscribe(
            request.user.contractor,
            zip_codes=data.validated_data["zip_codes"],
            category=data.validated_data["category"],
            expected_total_cents=data.validated_data.get("expected_total_cents"),
        )
        return Response(
            SubscriptionSerializer(subscriptions, many=True).data, status=status.HTTP_201_CREATED
        )


class SubscriptionDetail(generics.GenericAPIView):
    """One of your territories; DELETE cancels it at the end of the paid month."""

    permission_classes = [IsContractor]
    serializer_class = SubscriptionSerializer
    queryset = TerritorySubscription.objects.none()  # _own() scopes to the caller

    def _own(self, subscription_id):
        subscription = queries.subscription_for(self.request.user.contractor, subscription_id)
        if subscription is None:
            raise NotFound("No such territory.")
        return subscription

    def get(self, request, subscription_id):
        return Response(SubscriptionSerializer(self._own(subscription_id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, subscription_id):
        """Cancel at the end of the paid month (at once when unpaid): 204. The territory
        stays readable, with `cancel_at_period_end` set, until and after it ends; a second
        DELETE before then is 204 again; on an ended territory, 400."""
        services.cancel(self._own(subscription_id), contractor=request.user.contractor)
        return Response(status=status.HTTP_204_NO_CONTENT)
