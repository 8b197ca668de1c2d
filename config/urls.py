"""The root URLconf: each app's pages, the admin, and one /api/v1/ built from each app's list.

Every app's `urls.py` has its own `app_name` namespace (`leads:offers`, `billing:home`, ...)
and its full paths (`dashboard/offers/`), so a page's address did not change when its route
moved home. The API keeps one `api` namespace (`api:offers`): each app's `api_urlpatterns`
are joined under /api/v1/.
"""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from billing import urls as billing_urls
from calls import urls as calls_urls
from credits import urls as credits_urls
from insights import urls as insights_urls
from leads import urls as leads_urls
from marketplace import urls as marketplace_urls
from territories import urls as territories_urls

api_urlpatterns = (
    marketplace_urls.api_urlpatterns
    + billing_urls.api_urlpatterns
    + territories_urls.api_urlpatterns
    + leads_urls.api_urlpatterns
    + calls_urls.api_urlpatterns
    + credits_urls.api_urlpatterns
    + insights_urls.api_urlpatterns
)

urlpatterns = [
    path("", include(marketplace_urls)),
    path("accounts/", include("allauth.urls")),
    path("", include(billing_urls)),
    path("", include(territories_urls)),
    path("", include(leads_urls)),
    path("", include(calls_urls)),
    path("", include(credits_urls)),
    path("", include(insights_urls)),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_urlpatterns, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]

admin.site.site_header = "Fairlead operations"
admin.site.site_title = "Fairlead ops"
admin.site.index_title = "Marketplace administration"

handler404 = "marketplace.views.not_found"
handler500 = "marketplace.views.server_error"
