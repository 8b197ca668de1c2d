from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.db.models import Count
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from . import logins, queries
from .errors import DomainError
from .models import Contractor
from .serializers import CategorySerializer, MeSerializer, TokenRequestSerializer, TokenSerializer


class InvalidCredentials(DomainError):
    status_code = status.HTTP_400_BAD_REQUEST


class TooManyAttempts(DomainError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS


class ObtainTokenView(APIView):
    """Exchange an email and password for an API token (`Authorization: Token <key>`)."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            429: OpenApiResponse(
                description="Too many failed log-ins: this email + address (django-axes), "
                "this account from any address, or this address for any email. Only failures "
                "count; the lock lasts a while (see README), a password reset unlocks an account.",
            ),
        },
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # authenticate() goes through django-axes and our handler (adapters.LoginGuardHandler):
        # a failure is counted per email + IP, per account and per IP; a lock refuses (429).
        # Successes cost nothing, so a script fetching its token is never throttled.
        user = authenticate(
            request._request,
            email=data.validated_data["email"].lower(),
            password=data.validated_data["password"],
        )
        refusal = getattr(request._request, "login_refusal", None)
        if user is None and getattr(request._request, "axes_locked_out", False) and refusal:
            raise TooManyAttempts(refusal.message())
        if user is None or not user.is_active:
            raise InvalidCredentials("Unable to log in with this email and password.")
        if not EmailAddress.objects.filter(user=user, verified=True).exists():
            raise InvalidCredentials(
                "Verify your email address first: follow the link we emailed you."
            )
        logins.record_success(user.email)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class CategoryListView(generics.ListAPIView):
    """Active service categories with their typical job value."""

    permission_classes = [permissions.AllowAny]
    serializer_class = CategorySerializer

    def get_queryset(self):
        return queries.active_categories()


class IsContractor(permissions.IsAuthenticated):
    """A logged-in user with a contractor profile (staff without one get 403)."""

    message = "This account has no contractor profile."

    def has_permission(self, request, view):
        return super().has_permission(request, view) and hasattr(request.user, "contractor")


class MeView(generics.RetrieveAPIView):
    """The authenticated contractor's profile and settings."""

    serializer_class = MeSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_object(self):
        contractor = (
            Contractor.objects.select_related("user", "account")
            .prefetch_related("categories")
            .annotate(service_zip_count=Count("service_areas"))
            .filter(user=self.request.user)
            .first()
        )
        if contractor is None:
            raise NotFound("This account has no contractor profile.")
        return contractor
