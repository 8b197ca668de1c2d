from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from billing import api as billing_api
from billing import views as billing_views
from credits import api as credits_api
from credits import views as credit_views
from leads import analytics_api, analytics_views, report_views
from leads import api as leads_api
from leads import views as lead_views
from territories import api as territory_api
from territories import views as territory_views

from . import api, views

dashboard_urls = (
    [
        path("", views.dashboard_home, name="home"),
        path("welcome/", views.onboarding, name="onboarding"),
        path("settings/", views.profile_settings, name="settings"),
        path("offers/", lead_views.offers_page, name="offers"),
        path("offers/<int:offer_id>/accept/", lead_views.offer_accept, name="offer-accept"),
        path("offers/<int:offer_id>/decline/", lead_views.offer_decline, name="offer-decline"),
        path("leads/", lead_views.leads_page, name="leads"),
        path("leads/<int:purchase_id>/", lead_views.lead_detail, name="lead"),
        path("leads/<int:purchase_id>/attempts/", lead_views.lead_attempt, name="lead-attempt"),
        path("leads/<int:purchase_id>/outcome/", lead_views.lead_outcome, name="lead-outcome"),
        path("leads/<int:purchase_id>/reply/", lead_views.review_reply, name="review-reply"),
        path("territories/", territory_views.territories_page, name="territories"),
        path("territories/quote/", territory_views.territory_quote, name="territory-quote"),
        path(
            "territories/subscribe/",
            territory_views.territory_subscribe,
            name="territory-subscribe",
        ),
        path(
            "territories/<int:subscription_id>/cancel/",
            territory_views.territory_cancel,
            name="territory-cancel",
        ),
        path(
            "territories/<int:subscription_id>/keep/",
            territory_views.territory_resume,
            name="territory-resume",
        ),
        path("credits/", credit_views.credits_page, name="credits"),
        path("leads/<int:purchase_id>/credit/", credit_views.file_claim, name="file-claim"),
        path("credits/<int:claim_id>/appeal/", credit_views.appeal, name="appeal"),
        path("analytics/", analytics_views.analytics_page, name="analytics"),
        path("zip-lookup/", views.zip_lookup, name="zip-lookup"),
        path("notifications/", views.notification_list, name="notifications"),
        path("notifications/badge/", views.notification_badge, name="notification-badge"),
    ],
    "dashboard",
)

api_urls = (
    [
        path("auth/token/", api.ObtainTokenView.as_view(), name="token"),
        path("me/", api.MeView.as_view(), name="me"),
        path("categories/", api.CategoryListView.as_view(), name="categories"),
        path("quote-requests/", leads_api.QuoteRequestCreateView.as_view(), name="quote-requests"),
        path("ledger/", billing_api.LedgerListView.as_view(), name="ledger"),
        path("offers/", leads_api.OfferList.as_view(), name="offers"),
        path("offers/<int:offer_id>/accept/", leads_api.OfferAccept.as_view(), name="offer-accept"),
        path(
            "offers/<int:offer_id>/decline/", leads_api.OfferDecline.as_view(), name="offer-decline"
        ),
        path("credit-claims/", credits_api.ClaimListCreate.as_view(), name="credit-claims"),
        path("territories/", territory_api.TerritoryList.as_view(), name="territories"),
        path(
            "territory-subscriptions/",
            territory_api.SubscriptionListCreate.as_view(),
            name="territory-subscriptions",
        ),
        path(
            "territory-subscriptions/<int:subscription_id>/",
            territory_api.SubscriptionDetail.as_view(),
            name="territory-subscription",
        ),
        path(
            "credit-claims/<int:claim_id>/appeal/",
            credits_api.ClaimAppeal.as_view(),
            name="credit-claim-appeal",
        ),
        path("analytics/", analytics_api.AnalyticsView.as_view(), name="analytics"),
        path("leads/", leads_api.PurchasedLeadList.as_view(), name="leads"),
        path("leads/<int:lead_id>/", leads_api.PurchasedLeadDetail.as_view(), name="lead"),
        path(
            "leads/<int:lead_id>/contact-attempts/",
            leads_api.ContactAttemptCreate.as_view(),
            name="contact-attempts",
        ),
    ],
    "api",
)

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("robots.txt", views.robots, name="robots"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/", include("allauth.urls")),
    path("", include("leads.urls")),
    path("pros/", views.directory, name="directory"),
    path("pros/<slug:slug>/", views.profile, name="profile"),
    path("pros/<slug:slug>/call/", views.profile_click, {"kind": "phone"}, name="profile-call"),
    path("pros/<slug:slug>/website/", views.profile_click, {"kind": "website"}, name="profile-web"),
    path("dashboard/", include(dashboard_urls)),
    path("dashboard/billing/", include("billing.urls")),
    path("webhooks/stripe/", billing_views.stripe_webhook, name="stripe-webhook"),
    path("webhooks/twilio/status/", views.twilio_status, name="twilio-status"),
    path("webhooks/twilio/sms/", views.twilio_sms, name="twilio-sms"),
    path("admin/reports/", admin.site.admin_view(report_views.ops_reports), name="ops-reports"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]

admin.site.site_header = "Fairlead operations"
admin.site.site_title = "Fairlead ops"
admin.site.index_title = "Marketplace administration"

handler404 = "marketplace.views.not_found"
handler500 = "marketplace.views.server_error"
