from django.urls import path

from . import api, views

app_name = "billing"

urlpatterns = [
    path("dashboard/billing/", views.billing_home, name="home"),
    path("dashboard/billing/top-up/", views.top_up, name="top-up"),
    path("dashboard/billing/top-up/return/", views.top_up_return, name="top-up-return"),
    path("dashboard/billing/statement.csv", views.statement_csv, name="statement-csv"),
    path("dashboard/billing/membership/", views.change_tier, name="membership"),
    path("dashboard/billing/membership/confirm/", views.confirm_upgrade, name="membership-confirm"),
    path("webhooks/stripe/", views.stripe_webhook, name="stripe-webhook"),
]

# Under /api/v1/, in the project-wide `api` namespace (config/urls.py joins every app's list).
api_urlpatterns = [
    path("ledger/", api.LedgerListView.as_view(), name="ledger"),
]
