from django.urls import path

from . import api, views

app_name = "territories"

urlpatterns = [
    path("dashboard/territories/", views.territories_page, name="territories"),
    path("dashboard/territories/quote/", views.territory_quote, name="territory-quote"),
    path("dashboard/territories/subscribe/", views.territory_subscribe, name="territory-subscribe"),
    path(
        "dashboard/territories/<id:subscription_id>/cancel/",
        views.territory_cancel,
        name="territory-cancel",
    ),
    path(
        "dashboard/territories/<id:subscription_id>/keep/",
        views.territory_resume,
        name="territory-resume",
    ),
]

# Under /api/v1/, in the project-wide `api` namespace (config/urls.py joins every app's list).
api_urlpatterns = [
    path("territories/", api.TerritoryList.as_view(), name="territories"),
    path(
        "territory-subscriptions/",
        api.SubscriptionListCreate.as_view(),
        name="territory-subscriptions",
    ),
    path(
        "territory-subscriptions/<id:subscription_id>/",
        api.SubscriptionDetail.as_view(),
        name="territory-subscription",
    ),
]
