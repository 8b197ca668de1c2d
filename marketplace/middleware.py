"""Request middleware of the project."""

from urllib.parse import urlsplit

from django.utils import timezone

from . import clock, queries

UTM_KEYS = ["source", "medium", "campaign", "term", "content"]
SESSION_KEY = "attribution"


class AttributionMiddleware:
    """First touch: the UTM parameters and outside referrer a visitor arrived with, kept in
    the session, so a request sent after browsing (home -> directory -> form) keeps its
    source. Only a landing with something to record creates a session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "GET" and not request.path.startswith(("/static/", "/admin/")):
            self._record(request)
        return self.get_response(request)

    def _record(self, request):
        utm = {key: request.GET.get(f"utm_{key}", "")[:100] for key in UTM_KEYS}
        referrer = request.META.get("HTTP_REFERER", "")[:500]
        external = (
            bool(referrer) and urlsplit(referrer).hostname != request.get_host().split(":")[0]
        )
        if not (any(utm.values()) or external):
            return
        if SESSION_KEY in request.session:
            return  # first touch wins
        request.session[SESSION_KEY] = {
            "utm": utm,
            "referrer": referrer if external else "",
            "landing_page": request.get_full_path()[:500],
        }


def attribution(request) -> dict:
    return request.session.get(SESSION_KEY, {}) if hasattr(request, "session") else {}


class TimeZoneMiddleware:
    """Pages show and take times in the viewer's zone (DESIGN "Time"): a contractor's own,
    a staff member's own in the admin. Homeowners have no login: their private pages
    activate their zip's zone in the view. The API is left in UTC, its contract.

    The contractor found here is kept on the request (`viewer_contractor`), so the
    dashboard's contractor_required does not look it up a second time."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = self._zone(request)
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    def _zone(self, request):
        if request.path.startswith("/api/"):
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if user.is_staff and request.path.startswith("/admin/"):
            return clock.zone(user)
        request.viewer_contractor = queries.contractor_for(user)
        return clock.zone(request.viewer_contractor or user)
