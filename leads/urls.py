from django.urls import path

from . import api, directory_views, views

app_name = "leads"

homeowner_urls = [
    path("quote/", views.quote_form, name="quote"),
    path("pros/<slug:contractor_slug>/quote/", views.quote_form, name="profile-quote"),
    path("quote/sent/<str:token>/", views.quote_sent, name="sent"),
    path("requests/<str:token>/", views.request_status, name="status"),
    path("requests/<str:token>/not-mine/", views.dispute, name="dispute"),
    path("requests/<str:token>/hired/", views.hired, name="hired"),
    path("requests/<str:token>/other-pros/", views.release, name="release"),
    path("reviews/<str:token>/", views.review, name="review"),
]

directory_urls = [
    path("pros/", directory_views.directory, name="directory"),
    path("pros/<slug:slug>/", directory_views.profile, name="profile"),
    path(
        "pros/<slug:slug>/call/",
        directory_views.profile_click,
        {"kind": "phone"},
        name="profile-call",
    ),
    path(
        "pros/<slug:slug>/website/",
        directory_views.profile_click,
        {"kind": "website"},
        name="profile-web",
    ),
]

dashboard_urls = [
    path("dashboard/", views.dashboard_home, name="home"),
    path("dashboard/welcome/", views.onboarding, name="onboarding"),
    path("dashboard/offers/", views.offers_page, name="offers"),
    path("dashboard/offers/<id:offer_id>/accept/", views.offer_accept, name="offer-accept"),
    path("dashboard/offers/<id:offer_id>/decline/", views.offer_decline, name="offer-decline"),
    path("dashboard/leads/", views.leads_page, name="leads"),
    path("dashboard/leads/<id:purchase_id>/", views.lead_detail, name="lead"),
    path("dashboard/leads/<id:purchase_id>/attempts/", views.lead_attempt, name="lead-attempt"),
    path("dashboard/leads/<id:purchase_id>/outcome/", views.lead_outcome, name="lead-outcome"),
    path("dashboard/leads/<id:purchase_id>/reply/", views.review_reply, name="review-reply"),
]

urlpatterns = homeowner_urls + directory_urls + dashboard_urls

# Under /api/v1/, in the project-wide `api` namespace (config/urls.py joins every app's list).
api_urlpatterns = [
    path("quote-requests/", api.QuoteRequestCreateView.as_view(), name="quote-requests"),
    path("offers/", api.OfferList.as_view(), name="offers"),
    path("offers/<id:offer_id>/accept/", api.OfferAccept.as_view(), name="offer-accept"),
    path("offers/<id:offer_id>/decline/", api.OfferDecline.as_view(), name="offer-decline"),
    path("leads/", api.PurchasedLeadList.as_view(), name="leads"),
    path("leads/<id:lead_id>/", api.PurchasedLeadDetail.as_view(), name="lead"),
    path(
        "leads/<id:lead_id>/contact-attempts/",
        api.ContactAttemptCreate.as_view(),
        name="contact-attempts",
    ),
]
