from django.urls import path

from . import api, views

app_name = "credits"

urlpatterns = [
    path("dashboard/credits/", views.credits_page, name="credits"),
    path("dashboard/leads/<id:purchase_id>/credit/", views.file_claim, name="file-claim"),
    path("dashboard/credits/<id:claim_id>/appeal/", views.appeal, name="appeal"),
]

# Under /api/v1/, in the project-wide `api` namespace (config/urls.py joins every app's list).
api_urlpatterns = [
    path("credit-claims/", api.ClaimListCreate.as_view(), name="credit-claims"),
    path(
        "credit-claims/<id:claim_id>/appeal/",
        api.ClaimAppeal.as_view(),
        name="credit-claim-appeal",
    ),
]
