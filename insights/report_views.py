"""The ops report page (/admin/reports/, finance staff and superusers) and its CSV."""

from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render

from marketplace import clock
from marketplace.http import csv_download
from marketplace.money import format_cents
from marketplace.replica import replica_reads

from .forms import OpsReportForm
from .reports import (
    DEFINITIONS,
    GRANULARITIES,
    PLACES,
    STREAMS,
    may_see_reports,
    ops_report,
    ops_today,
)
from .templatetags.analytics_format import plain_percent


def _money(value) -> str:
    return format_cents(value, plain=True)


def _rows(report, table):
    """(header, rows) of one table, plain values for CSV: dollars, percentages, seconds."""
    lead_columns = [
        "leads_received",
        "rejected",
        "sold",
        "expired_unsold",
        "fill_rate_pct",
        "median_seconds_to_first_offer",
        "median_seconds_to_first_acceptance",
    ]

    def lead_cells(stats):
        return [
            stats.received,
            stats.rejected,
            stats.sold,
            stats.expired,
            plain_percent(stats.fill_rate_bp),
            stats.median_to_offer_seconds if stats.median_to_offer_seconds is not None else "",
            stats.median_to_sale_seconds if stats.median_to_sale_seconds is not None else "",
        ]

    if table == "leads":
        header = [report.granularity, *lead_columns]
        rows = [[b.label, *lead_cells(b.leads)] for b in [*report.buckets, report.totals]]
    elif table == "revenue":
        header = [
            report.granularity,
            *(f"{attr.removesuffix('_cents')}_usd" for attr, _ in STREAMS),
            "gross_usd",
            "credits_usd",
            "net_usd",
            "credit_rate_pct",
        ]
        rows = [
            [
                b.label,
                *(_money(getattr(b.revenue, attr)) for attr, _ in STREAMS),
                _money(b.revenue.gross_cents),
                _money(b.revenue.credits_cents),
                _money(b.revenue.net_cents),
                plain_percent(b.revenue.credit_rate_bp),
            ]
            for b in [*report.buckets, report.totals]
        ]
    elif table == "places":
        header = [report.place, *lead_columns, "lead_revenue_usd"]
        rows = [
            [b.label, *lead_cells(b.leads), _money(b.revenue.lead_revenue_cents)]
            for b in report.places
        ]
    elif table == "reasons":
        header = ["reason", "filed", "declined_at_once", "pending", "approved", "denied"]
        header += ["approval_rate_pct", "credited_usd", "share_of_lead_revenue_pct"]
        rows = [
            [
                r.label,
                r.filed,
                r.declined,
                r.pending,
                r.approved,
                r.denied,
                plain_percent(r.approval_rate_bp),
                _money(r.credited_cents),
                plain_percent(r.share_of_lead_revenue_bp),
            ]
            for r in report.reasons
        ]
    elif table == "contractors":
        header = ["contractor", "contractor_id", "leads_bought", "spend_usd", "claims"]
        header += ["approved", "claim_rate_pct", "credited_usd", "credit_rate_pct"]
        rows = [
            [
                r.label,
                r.contractor_id,
                r.purchases,
                _money(r.spend_cents),
                r.claims,
                r.approved,
                plain_percent(r.claim_rate_bp),
                _money(r.credited_cents),
                plain_percent(r.credit_rate_bp),
            ]
            for r in report.contractors
        ]
    elif table in CALL_TABLES:
        first = report.place if table == "calls_by_place" else CALL_TABLES[table]
        header = [first, "calls", "rang_a_pro", "answered", "answer_rate_pct"]
        header += ["qualified", "qualified_rate_pct", "average_talk_seconds"]
        header += ["missed_in_screening", "voicemails", "call_fees_usd"]
        rows = [
            [
                c.label,
                c.calls,
                c.rang,
                c.answered,
                plain_percent(c.answer_rate_bp),
                c.qualified,
                plain_percent(c.qualified_rate_bp),
                c.average_talk_seconds if c.average_talk_seconds is not None else "",
                c.missed,
                c.voicemails,
                _money(c.fees_cents),
            ]
            for c in [*report.call_groups[table.removeprefix("calls_by_")], report.calls]
        ]
    else:  # overdue
        zone = clock.zone(report.time_zone)  # local times with their UTC offset
        header = ["claim_id", "contractor", "lead", "reason", "filed", "due"]
        rows = [
            [
                c.pk,
                str(c.purchase.contractor),
                c.purchase.lead.reference,
                c.get_reason_display(),
                c.filed_at.astimezone(zone).isoformat(timespec="minutes"),
                c.due_by.astimezone(zone).isoformat(timespec="minutes"),
            ]
            for c in report.overdue
        ]
    return header, rows


CALL_TABLES = {"calls_by_place": "place", "calls_by_category": "service", "calls_by_line": "line"}
TABLES = ["leads", "revenue", "places", "reasons", "contractors", "overdue", *CALL_TABLES]


@replica_reads()
def ops_reports(request):
    """Wrapped by admin.site.admin_view in urls.py: staff only, then finance only."""
    if not may_see_reports(request.user):
        raise PermissionDenied("The reports are for the finance group.")
    time_zone = clock.zone_name(request.user)  # days in the viewer's own zone
    form = OpsReportForm(request.GET, today=ops_today(time_zone))
    wants_csv = request.GET.get("format") == "csv"
    if not form.is_valid() or form.dates is None:
        if wants_csv:
            messages = [f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()]
            return HttpResponse("\n".join(messages), status=400, content_type="text/plain")
        return render(
            request, "insights/ops_reports.html", _context(request, form, None), status=400
        )
    granularity, place = form.cleaned_data["granularity"], form.cleaned_data["place"]
    if wants_csv and request.GET.get("table") not in TABLES:
        return HttpResponse(
            f"Unknown table. Pick one of: {', '.join(TABLES)}.",
            status=400,
            content_type="text/plain",
        )
    report = ops_report(*form.dates, granularity=granularity, place=place, time_zone=time_zone)
    if wants_csv:
        table = request.GET["table"]
        header, rows = _rows(report, table)
        name = f"fairlead-ops-{table}-{report.start:%Y-%m-%d}-to-{report.last_day:%Y-%m-%d}.csv"
        response, writer = csv_download(name)
        writer.writerow(header)
        writer.writerows(rows)
        return response
    return render(request, "insights/ops_reports.html", _context(request, form, report))


def _context(request, form, report):
    context = {
        **admin.site.each_context(request),
        "title": "Reports",
        "form": form,
        "report": report,
        "granularities": GRANULARITIES,
        "places": PLACES,
        "streams": STREAMS,
        "definitions": [
            (term, text.format(tz=clock.zone_name(request.user))) for term, text in DEFINITIONS
        ],
    }
    if report is not None:
        place = "State" if report.place == "state" else "Metro"
        context["call_tables"] = [
            ("calls_by_place", f"Calls by {place.lower()}", place, report.call_groups["place"]),
            ("calls_by_category", "Calls by service", "Service", report.call_groups["category"]),
            ("calls_by_line", "Calls by line", "Line", report.call_groups["line"]),
        ]
        context["csv_query"] = urlencode(
            {
                "from": report.start.isoformat(),
                "through": report.last_day.isoformat(),
                "granularity": report.granularity,
                "place": report.place,
            }
        )
    return context
