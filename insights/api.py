"""GET /api/v1/analytics/: the analytics page's numbers for the authenticated contractor."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from leads import rollup
from marketplace.api import IsContractor
from marketplace.pagination import MAX_PAGE, StrictPageNumberPagination
from marketplace.replica import replica_reads

from .analytics import (
    DATE_FORMAT_ERROR,
    DATE_RANGE_ERROR,
    EARLIEST,
    GROUPS,
    LATEST,
    Period,
    contractor_analytics,
    local_today,
    period_errors,
    resolve_period,
)


class AnalyticsQuerySerializer(serializers.Serializer):
    """`from` is a Python keyword: declared as `from_`, exposed as `from`."""

    from_ = serializers.DateField(required=False, error_messages={"invalid": DATE_FORMAT_ERROR})
    to = serializers.DateField(required=False, error_messages={"invalid": DATE_FORMAT_ERROR})
    group_by = serializers.ChoiceField(
        choices=GROUPS,
        required=False,
        default="month",
        error_messages={"invalid_choice": "Group by one of: source, city, category, month."},
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields

    def validate(self, data):
        today = self.context["today"]
        start, end = data.get("from"), data.get("to")
        for name, value in [("from", start), ("to", end)]:
            if value is not None and not EARLIEST <= value < LATEST:
                raise serializers.ValidationError({name: [DATE_RANGE_ERROR]})
        start, end = resolve_period(start, end, today=today)
        errors = period_errors(start, end, today=today)
        if errors:
            raise serializers.ValidationError(
                {("from" if key == "start" else "to"): [message] for key, message in errors.items()}
            )
        return {**data, "from": start, "to": end}


class MetricsSerializer(serializers.Serializer):
    offers_seen = serializers.IntegerField()
    offers_accepted = serializers.IntegerField()
    acceptance_rate_bp = serializers.IntegerField(
        allow_null=True, help_text="Accepted ÷ (accepted + declined + expired), basis points."
    )
    leads = serializers.IntegerField(help_text="Leads delivered (bought) in the period.")
    spend_cents = serializers.IntegerField()
    credits_cents = serializers.IntegerField(help_text="Credits minus reversals on these leads.")
    net_cost_cents = serializers.IntegerField()
    contacted = serializers.IntegerField(help_text="Leads with a logged contact attempt.")
    median_response_seconds = serializers.IntegerField(
        allow_null=True,
        help_text="About: the start of the response step the median falls in (steps: "
        f"{rollup.RESPONSE_STEPS_TEXT}).",
    )
    appointments = serializers.IntegerField(help_text="Outcome appointment booked or won.")
    wins = serializers.IntegerField()
    won_revenue_cents = serializers.IntegerField()
    cost_per_appointment_cents = serializers.IntegerField(allow_null=True)
    cost_per_win_cents = serializers.IntegerField(allow_null=True)
    return_on_spend_bp = serializers.IntegerField(
        allow_null=True, help_text="Won revenue ÷ net cost, basis points (10000 = 1×)."
    )


class AnalyticsRowSerializer(MetricsSerializer):
    key = serializers.CharField(
        help_text="source: `marketplace`, `territory`, `profile`, with `:utm_source` when the "
        "request had one, or `call` (bought by taking its live call); city: `City, ST`; "
        "category: its slug; month: `YYYY-MM`."
    )
    label = serializers.CharField()


class ConnectionsSerializer(serializers.Serializer):
    marketplace = serializers.IntegerField()
    territory = serializers.IntegerField()
    profile = serializers.IntegerField()
    call = serializers.IntegerField(help_text="Live calls that rang you (see `calls`).")
    phone_click = serializers.IntegerField()
    website_click = serializers.IntegerField()


class CallsSerializer(serializers.Serializer):
    received = serializers.IntegerField(help_text="Calls we rang you for, by the day they rang.")
    answered = serializers.IntegerField(help_text="You pressed 1 and were put through.")
    missed = serializers.IntegerField(
        help_text="Not put through: no answer, busy, passed, the caller hung up first, or "
        "you could no longer take it."
    )
    qualified = serializers.IntegerField(
        help_text="Answered calls that lasted CALL_QUALIFIED_SECONDS: the only ones charged."
    )
    answer_rate_bp = serializers.IntegerField(
        allow_null=True, help_text="Answered ÷ (answered + missed)."
    )
    qualified_rate_bp = serializers.IntegerField(allow_null=True, help_text="Qualified ÷ answered.")
    average_talk_seconds = serializers.IntegerField(allow_null=True)
    fees_cents = serializers.IntegerField(help_text="Call fees charged (in spend and net cost).")
    leads = serializers.IntegerField(help_text="Leads bought by taking their call (source `call`).")
    net_cost_cents = serializers.IntegerField(help_text="Those leads' fees minus credits.")
    appointments = serializers.IntegerField()
    cost_per_appointment_cents = serializers.IntegerField(allow_null=True)
    wins = serializers.IntegerField()
    cost_per_win_cents = serializers.IntegerField(allow_null=True)


class AnalyticsTotalsSerializer(MetricsSerializer):
    connections = ConnectionsSerializer(
        help_text="Leads, live calls and profile clicks by connection type."
    )
    calls = CallsSerializer(help_text="Live calls that rang you, and what their leads cost.")
    subscription_fees_cents = serializers.IntegerField(
        help_text="Territory subscriptions charged in the period (not in net cost)."
    )
    membership_fees_cents = serializers.IntegerField(
        help_text="Membership fees charged in the period (not in net cost)."
    )


class AnalyticsResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    to = serializers.DateField(help_text="The first day not included.")
    timezone = serializers.CharField(help_text="The contractor's time zone: days are local.")
    group_by = serializers.ChoiceField(choices=GROUPS)
    totals = AnalyticsTotalsSerializer()
    results = AnalyticsRowSerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()
        return {"from": serializers.DateField(help_text="The first day included."), **fields}


class AnalyticsPagination(StrictPageNumberPagination):
    """Rows are paginated like every list; the period and totals come with each page."""

    def get_paginated_response_with(self, data, extra):
        return Response(
            {
                "count": self.page.paginator.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                **extra,
                "results": data,
            }
        )


class AnalyticsView(APIView):
    """Your analytics for a period: totals and rows grouped by source, city, category or
    month. Days are in your time zone; `from` is included, `to` is not (default: the
    last 30 days). Money is integer cents, ratios are basis points (1 bp = 0.01%)."""

    permission_classes = [IsContractor]
    pagination_class = AnalyticsPagination

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "from", OpenApiTypes.DATE, description="First day included (YYYY-MM-DD)."
            ),
            OpenApiParameter("to", OpenApiTypes.DATE, description="First day not included."),
            OpenApiParameter(
                "group_by", OpenApiTypes.STR, enum=GROUPS, description="Default: month."
            ),
            OpenApiParameter(
                "page",
                {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
                description="Page of the rows, from 1 (400 otherwise; 404 past the last page).",
            ),
        ],
        responses={200: AnalyticsResponseSerializer},
    )
    @replica_reads()
    def get(self, request):
        contractor = request.user.contractor
        query = AnalyticsQuerySerializer(
            data=request.query_params.dict(),  # `?to=` is an error, not absent
            context={"today": local_today(contractor)},
        )
        query.is_valid(raise_exception=True)
        data = query.validated_data
        period = Period(data["from"], data["to"], contractor.timezone)
        group_by = data["group_by"]
        analytics = contractor_analytics(contractor, period, groups_counted=(group_by,))
        rows = [
            {"key": row.key, "label": row.label, **row.metrics.as_dict()}
            for row in analytics.groups[group_by]
        ]
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rows, request, view=self)
        totals = {
            **analytics.totals.as_dict(),
            "connections": analytics.connections,
            "calls": analytics.calls.as_dict(),
            "subscription_fees_cents": analytics.fees_cents["subscription"],
            "membership_fees_cents": analytics.fees_cents["membership"],
        }
        return paginator.get_paginated_response_with(
            page,
            {
                "from": period.start.isoformat(),
                "to": period.end.isoformat(),
                "timezone": period.timezone,
                "group_by": group_by,
                "totals": totals,
            },
        )
