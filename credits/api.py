from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from leads.queries import purchase_for
from marketplace.api import IsContractor
from marketplace.schema import error_responses

from . import queries, services
from .models import CreditClaim
from .serializers import AppealSerializer, ClaimSerializer


class ClaimListCreate(generics.ListCreateAPIView):
    """Your credit requests; POST files one. An instant decline under the policy is a 400
    with the policy's reason."""

    serializer_class = ClaimSerializer
    permission_classes = [IsContractor]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CreditClaim.objects.none()
        return queries.claims_for(self.request.user.contractor)

    @extend_schema(responses={201: ClaimSerializer, **error_responses(409)})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        data = ClaimSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contractor = request.user.contractor
        purchase = purchase_for(contractor, lead_id=data.validated_data["purchase"]["lead_id"])
        if purchase is None:
            raise NotFound("No such lead among your purchases.")
        claim = services.file_claim(
            purchase,
            contractor=contractor,
            reason=data.validated_data["reason"],
            notes=data.validated_data["notes"],
        )
        return Response(ClaimSerializer(claim).data, status=status.HTTP_201_CREATED)


class ClaimAppeal(APIView):
    """Appeal a denied request, once; the decision on the appeal is final."""

    permission_classes = [IsContractor]

    @extend_schema(
        request=AppealSerializer, responses={200: ClaimSerializer, **error_responses(409)}
    )
    def post(self, request, claim_id):
        claim = queries.claim_for(request.user.contractor, claim_id)
        if claim is None:
            raise NotFound("No such credit request.")
        data = AppealSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        claim = services.appeal_claim(
            claim, contractor=request.user.contractor, notes=data.validated_data["notes"]
        )
        return Response(ClaimSerializer(claim).data)
