"""Read-only pages: the contractor's analytics and the ops reports."""

from django.contrib import admin
from django.urls import path

from . import api, report_views, views

app_name = "insights"

urlpatterns = [
    path("dashboard/analytics/", views.analytics_page, name="analytics"),
    # Before the admin's own URLs in config/urls.py, so the admin does not swallow it.
    path("admin/reports/", admin.site.admin_view(report_views.ops_reports), name="ops-reports"),
]

# Under /api/v1/, in the project-wide `api` namespace (config/urls.py joins every app's list).
api_urlpatterns = [
    path("analytics/", api.AnalyticsView.as_view(), name="analytics"),
]
