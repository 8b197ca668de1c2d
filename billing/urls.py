from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("", views.billing_home, name="home"),
    path("top-up/", views.top_up, name="top-up"),
    path("top-up/return/", views.top_up_return, name="top-up-return"),
    path("statement.csv", views.statement_csv, name="statement-csv"),
    path("membership/", views.change_tier, name="membership"),
    path("membership/confirm/", views.confirm_upgrade, name="membership-confirm"),
]
