"""The public directory and pro profiles: marketplace/ holds who is listed; a profile shows
leads' reviews and whether the pro takes requests now (a lead's price against the balance),
so the pages live here."""

from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render

from marketplace import queries as marketplace_queries
from marketplace import services as marketplace_services
from marketplace.http import limited
from marketplace.models import ProfileClick, ServiceCategory, ZipCode

from . import queries


def directory(request):
    slug = request.GET.get("category", "")
    category = ServiceCategory.objects.filter(active=True, slug=slug).first() if slug else None
    zip_code = request.GET.get("zip", "").strip()
    zip_error = ""
    if zip_code and not ZipCode.objects.filter(code=zip_code).exists():
        zip_error = f"{zip_code[:10]} is not a US zip code we know."
        zip_code = ""

    contractors = marketplace_queries.directory_contractors(category=category, zip_code=zip_code)
    page = Paginator(contractors, 20).get_page(request.GET.get("page"))
    for pro in page:
        pro.takes_requests = queries.takes_profile_requests(pro)
    context = {
        "page": page,
        "category": category,
        "zip_code": zip_code,
        "zip_error": zip_error,
        "categories": marketplace_queries.active_categories(),
    }
    template = "directory/partials/_rows.html" if request.htmx else "directory/list.html"
    return render(request, template, context)


def profile(request, slug):
    contractor = marketplace_queries.public_profile(slug)
    if contractor is None:
        raise Http404("No such pro.")

    return render(
        request,
        "directory/profile.html",
        {
            "contractor": contractor,
            "area": marketplace_queries.service_area_summary(contractor),
            "reviews": queries.public_reviews(contractor),
            "takes_requests": queries.takes_profile_requests(contractor),
            "phone": queries.public_phone(contractor),
        },
    )


class ExternalRedirect(HttpResponseRedirect):
    allowed_schemes = ["http", "https", "tel"]


def profile_click(request, slug, kind):
    """Count a Call or Website click. A call goes on to the phone; a website click shows
    a page that names where the visitor is going (the pro typed the address when they
    signed themselves up), with a link to exactly the stored address: Fairlead never
    redirects to a site, and never anywhere a query string says."""
    contractor = marketplace_queries.public_profile(slug)
    if contractor is None:
        raise Http404("No such pro.")
    if kind == ProfileClick.Kind.PHONE:
        phone = queries.public_phone(contractor)
        target = f"tel:{phone}" if phone else ""
    else:
        target = contractor.website_link
    if not target:
        raise Http404("This pro has no such link.")
    # The click is counted here, when the homeowner clicks Website on the profile (as
    # before the interstitial), not when they continue: "Continue" is a plain link off
    # the site that we neither see nor want to track. One visitor hammering a link counts
    # a few times at most, and still gets through.
    if not limited(request, group=f"click-{kind}-{contractor.pk}", rate="5/h"):
        source = request.META.get("HTTP_REFERER", "") or request.GET.get("from", "")
        marketplace_services.record_click(contractor, kind=kind, source_page=source)
    if kind == ProfileClick.Kind.PHONE:
        return ExternalRedirect(target)
    response = render(
        request,
        "directory/leaving.html",
        {"contractor": contractor, "url": target, "host": contractor.website_host},
    )
    # The destination never learns which Fairlead page sent the visitor.
    response["Referrer-Policy"] = "no-referrer"
    return response
