"""The core app's pages: home, health, contractor settings, notifications, Twilio webhooks."""

from django.urls import path

from . import api, views

app_name = "marketplace"

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("robots.txt", views.robots, name="robots"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("dashboard/settings/", views.profile_settings, name="settings"),
    path("dashboard/zip-lookup/", views.zip_lookup, name="zip-lookup"),
    path("dashboard/notifications/", views.notification_list, name="notifications"),
    path(
        "dashboard/notifications/badge/",
        views.notification_badge,
        name="notification-badge",
    ),
    path("webhooks/twilio/status/", views.twilio_status, name="twilio-status"),
    path("webhooks/twilio/sms/", views.twilio_sms, name="twilio-sms"),
]

# Under /api/v1/, in the project-wide `api` namespace (config/urls.py joins every app's list).
api_urlpatterns = [
    path("auth/token/", api.ObtainTokenView.as_view(), name="token"),
    path("me/", api.MeView.as_view(), name="me"),
    path("categories/", api.CategoryListView.as_view(), name="categories"),
]
