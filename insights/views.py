"""The contractor's analytics page (/dashboard/analytics/) and its CSV exports."""

from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render

from marketplace.http import csv_download
from marketplace.money import format_cents
from marketplace.replica import replica_reads
from marketplace.views import contractor_required

from .analytics import (
    CONNECTION_LABELS,
    PRESETS,
    Period,
    contractor_analytics,
    definitions,
    local_today,
)
from .charts import Series, month_chart
from .forms import PeriodForm
from .templatetags.analytics_format import plain_multiple, plain_percent

TABLES = {  # CSV name: (section title, first column)
    "source": ("By source", "Source"),
    "city": ("By city", "City"),
    "category": ("By service", "Service"),
    "month": ("By month", "Month"),
    "connections": ("Connections", "Connection type"),
    "calls": ("Live calls", "Figure"),
}
METRIC_COLUMNS = [
    ("leads", "leads", None),
    ("offers_seen", "offers_seen", None),
    ("offers_accepted", "offers_accepted", None),
    ("acceptance_rate_pct", "acceptance_rate_bp", plain_percent),
    ("spend_usd", "spend_cents", "money"),
    ("credits_usd", "credits_cents", "money"),
    ("net_cost_usd", "net_cost_cents", "money"),
    ("contacted", "contacted", None),
    ("median_response_seconds", "median_response_seconds", None),
    ("appointments", "appointments", None),
    ("cost_per_appointment_usd", "cost_per_appointment_cents", "money"),
    ("wins", "wins", None),
    ("won_revenue_usd", "won_revenue_cents", "money"),
    ("cost_per_win_usd", "cost_per_win_cents", "money"),
    ("return_on_spend", "return_on_spend_bp", plain_multiple),
]
CALL_ROWS = [  # the calls CSV: figure, attribute of analytics.calls, how it is written
    ("received", "received", None),
    ("answered", "answered", None),
    ("missed", "missed", None),
    ("qualified", "qualified", None),
    ("answer_rate_pct", "answer_rate_bp", plain_percent),
    ("qualified_rate_pct", "qualified_rate_bp", plain_percent),
    ("average_talk_seconds", "average_talk_seconds", None),
    ("call_fees_usd", "fees_cents", "money"),
    ("call_leads", "leads.leads", None),
    ("call_leads_net_cost_usd", "leads.net_cost_cents", "money"),
    ("call_leads_booked", "leads.appointments", None),
    ("cost_per_booked_call_lead_usd", "leads.cost_per_appointment_cents", "money"),
]


def _plain(value, kind) -> str:
    if value is None:
        return ""
    if kind == "money":
        return format_cents(value, plain=True)
    return kind(value) if kind else str(value)


def _csv(analytics, table: str) -> HttpResponse:
    period = analytics.period
    name = f"fairlead-{table}-{period.start:%Y-%m-%d}-to-{period.last_day:%Y-%m-%d}.csv"
    response, writer = csv_download(name)
    if table == "connections":
        writer.writerow(["connection_type", "count"])
        for key, count in analytics.connections.items():
            writer.writerow([CONNECTION_LABELS[key], count])
        return response
    if table == "calls":
        writer.writerow(["figure", "value"])
        for name, path, kind in CALL_ROWS:
            value = analytics.calls
            for attr in path.split("."):
                value = getattr(value, attr)
            writer.writerow([name, _plain(value, kind)])
        return response
    writer.writerow([table, *(column for column, _, _ in METRIC_COLUMNS)])
    for row in [*analytics.groups[table], None]:
        label, metrics = ("All", analytics.totals) if row is None else (row.label, row.metrics)
        writer.writerow(
            [label, *(_plain(getattr(metrics, attr), kind) for _, attr, kind in METRIC_COLUMNS)]
        )
    return response


def _charts(analytics):
    """What the leads cost (with what a booked and a won job cost) and what they earned,
    each on its own scale: a month's won revenue is often a hundred times its cost."""
    months = analytics.groups["month"]
    return [
        month_chart(
            months,
            bars=[Series("net_cost_cents", "Net cost", "s-cost")],
            lines=[
                Series("cost_per_appointment_cents", "Cost per booked appointment", "s-appt"),
                Series("cost_per_win_cents", "Cost per won job", "s-win"),
            ],
            title="What your leads cost, by month",
        ),
        month_chart(
            months,
            bars=[Series("won_revenue_cents", "Won revenue", "s-revenue")],
            lines=[],
            title="What they earned, by month",
        ),
    ]


@contractor_required
@replica_reads()
def analytics_page(request):
    contractor = request.contractor
    today = local_today(contractor)
    form = PeriodForm(request.GET, today=today)
    wants_csv = request.GET.get("format") == "csv"
    if not form.is_valid():
        if wants_csv:
            messages = [f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()]
            return HttpResponse("\n".join(messages), status=400, content_type="text/plain")
        return render(
            request,
            "insights/page.html",
            _context(contractor, form=form, analytics=None),
            status=400,
        )
    period = Period(*form.dates, timezone=contractor.timezone)
    if wants_csv:
        table = request.GET.get("table", "")
        if table not in TABLES:
            return HttpResponse(
                f"Unknown table. Pick one of: {', '.join(TABLES)}.",
                status=400,
                content_type="text/plain",
            )
        return _csv(contractor_analytics(contractor, period), table)
    analytics = contractor_analytics(contractor, period)
    return render(
        request, "insights/page.html", _context(contractor, form=form, analytics=analytics)
    )


def _context(contractor, *, form, analytics):
    context = {
        "nav": "analytics",
        "contractor": contractor,
        "form": form,
        "analytics": analytics,
        "presets": PRESETS,
        "definitions": definitions(),
    }
    if analytics is not None:
        period = analytics.period
        query = urlencode({"from": period.start.isoformat(), "through": period.last_day})
        context.update(
            period=period,
            active_preset=form.preset,
            csv_query=query,
            charts=_charts(analytics),
            tables=[
                (key, *TABLES[key], analytics.groups[key]) for key in ["source", "city", "category"]
            ],
            connections=[(CONNECTION_LABELS[k], n) for k, n in analytics.connections.items()],
            best_city=analytics.best("city"),
            best_service=analytics.best("category"),
        )
    return context
