"""Hostile values in every form field, API input and GET parameter are never a 500.

The URLs come from the URLconf (as test_object_scoping walks it), so a new page is fuzzed
the day it is added. Their inputs are found, not listed by hand: the fields of every
<form> the pages render (GET forms give query parameters), the query parameters each view
reads (`request.GET.get("...")` in its source), and for the API the parameters and body
properties of the live OpenAPI schema. Each URL gets NUL, 1 MB strings, arrays where
strings are expected, deep nesting, overflow numbers, lone surrogates and invalid UTF-8,
as a form, a multipart form, JSON and raw bytes, from the person who can reach it: a
contractor on the dashboard and the API, staff on the ops report and the ops recording
player, anyone on public pages.

Left out: the Django admin's own pages under /admin/ (Django's forms; the project's admin
code is tried per staff group in tests/test_admin_permissions.py)."""

import inspect
import json
import re
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import pytest
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token

from leads.models import Review
from tests.factories import LeadFactory, PurchaseFactory, UserFactory
from tests.resilience.test_object_scoping import owned_objects
from tests.urlconf import named_routes

pytestmark = pytest.mark.django_db

MB_STRING = "x" * 1_000_000
DEEP_BODY = "[" * 1000 + "]" * 1000  # raw text: json.dumps of it would recurse
HOSTILE_TEXT = [
    "\x00",
    "a\x00b",
    MB_STRING,
    "\ud800",  # a lone surrogate: sent as the invalid UTF-8 bytes ED A0 80
    "\udfff\ud800x",
    "[" * 1000,
    str(10**40),
    str(-(10**40)),
    "-1",
    "0",
    "1e308",
    "NaN",
    "",
    " ",
    "null",
    "9" * 5000,  # past Python's int() digit limit
    "2026-13-45",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "%00",
    "' OR 1=1 --",
    "\u202e\ufeff\u200b",
]
JSON_VALUES = [10**40, -(10**40), -1, 1e308, 2**63, True, None, {}, [], ["a", "b"], [[["x"]]]]

text = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=20))
value = st.one_of(text, st.lists(text, min_size=2, max_size=3))  # a list: the key repeated
json_value = st.recursive(
    st.one_of(text, st.sampled_from(JSON_VALUES), st.integers()),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=5,
)
INVALID_UTF8 = [b"\xff\xfe\xfd", b"\xc3\x28", b"\xed\xa0\x80", b"\x80" * 10]

SKIPPED_PREFIXES = ("admin/", "static/")
EXAMPLES = 6


def all_routes() -> list[tuple[str, str, list[str]]]:
    """(URL name, route, its parameters) for every named pattern outside the admin, plus
    the ops report, which the project wrote."""
    return [
        (name, route, parameters)
        for name, route, parameters in named_routes()
        if not route.startswith(SKIPPED_PREFIXES) or route == "admin/reports/"
    ]


ROUTES = all_routes()


class Forms(HTMLParser):
    """The fields of every form on a page, by (method, target): a form's action, or its
    htmx hx-get/hx-post; a lone field with its own hx-get/hx-post is a form of one."""

    def __init__(self, page: str):
        super().__init__()
        self.page = page
        self.forms: list[tuple[str, str, set[str]]] = []
        self.open: list[set[str]] = []  # the field sets the open form feeds

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            method = (attrs.get("method") or "get").lower()
            targets = [(method, attrs.get("action") or self.page)]
            if attrs.get("hx-post"):
                targets = [("post", attrs["hx-post"])]
            elif attrs.get("hx-get"):
                # A form that also asks the server as you type (a zip lookup): its
                # fields go to both.
                targets = [("get", attrs["hx-get"])] + (targets if method == "post" else [])
            self.open = []
            for method, target in targets:
                self.forms.append((method, target, set()))
                self.open.append(self.forms[-1][2])
        elif tag in ("input", "select", "textarea", "button") and attrs.get("name"):
            own = [m for m in ("post", "get") if attrs.get(f"hx-{m}")]
            if own:
                self.forms.append((own[0], attrs[f"hx-{own[0]}"], {attrs["name"]}))
            for fields in self.open:
                fields.add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self.open = []


def url_name(path: str) -> str | None:
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:  # a link out of the site, or to nothing
        return None
    return match.view_name


def site_forms(world) -> dict[str, tuple[set[str], set[str]]]:
    """(GET fields, POST fields) by URL name, from the forms of every page of the site,
    each read as the person who can see it. Read once per run: the names, not the ids."""
    if FORMS_BY_NAME:
        return FORMS_BY_NAME
    for name, route, parameters in ROUTES:
        if route.startswith("api/"):
            continue
        url = build_url(world, name, route, parameters)
        page = world["clients"][person_for(route)].get(url)
        if not page.get("Content-Type", "").startswith("text/html"):
            continue
        parser = Forms(url)
        parser.feed(page.content.decode("utf-8", "replace"))
        for method, target, fields in parser.forms:
            if (target_name := url_name(target)) is not None:
                get_fields, post_fields = FORMS_BY_NAME.setdefault(target_name, (set(), set()))
                (get_fields if method == "get" else post_fields).update(fields)
    return FORMS_BY_NAME


FORMS_BY_NAME: dict[str, tuple[set[str], set[str]]] = {}


def view_reads(url: str) -> set[str]:
    """The query parameters a view's source reads."""
    func = resolve(urlsplit(url).path).func
    target = getattr(func, "view_class", None) or inspect.unwrap(func)
    try:
        source = inspect.getsource(target)
    except (OSError, TypeError):
        return set()
    return set(re.findall(r"(?:GET|query_params)\.get(?:list)?\(\s*[\"'](\w+)", source))


def api_inputs(schema: dict, route: str) -> tuple[set[str], set[str]]:
    """(query parameters, body properties) of an API path in the OpenAPI schema."""
    path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
    query, body = set(), set()
    for operation in schema["paths"].get(path, {}).values():
        query |= {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        for content in operation.get("requestBody", {}).get("content", {}).values():
            ref = content["schema"].get("$ref", "")
            components = schema["components"]["schemas"]
            component = components.get(ref.rsplit("/", 1)[-1], content["schema"])
            body |= set(component.get("properties", {}))
    return query, body


def encode(pairs: dict) -> bytes:
    """application/x-www-form-urlencoded, lone surrogates left as the bytes they make."""
    items = []
    for key, raw in pairs.items():
        for item in raw if isinstance(raw, list) else [raw]:
            items.append(quote(key) + "=" + quote(str(item).encode("utf-8", "surrogatepass")))
    return "&".join(items).encode()


def surrogate_safe(raw):
    """Multipart through the test client needs encodable text: a surrogate becomes U+FFFD."""
    if isinstance(raw, list):
        return [surrogate_safe(item) for item in raw]
    return raw.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def assert_not_500(response, what):
    assert response.status_code < 500, (what, response.status_code, response.content[:300])


@pytest.fixture
def world(contractor, plumbing, metro_zips):
    """An object behind every URL parameter, and a client for each kind of person."""
    ids = owned_objects(contractor, plumbing)
    contractor.slug = "alice-plumbing"
    contractor.save(update_fields=["slug"])
    invited = PurchaseFactory(contractor=contractor)
    Review.objects.create(purchase=invited, token="invited", invited_at=timezone.now())
    lead = LeadFactory(category=plumbing)
    review = Review.objects.get(token="invited")  # not yet written: its form shows
    staff = UserFactory(is_staff=True, is_superuser=True)
    values = {
        **ids,
        "slug": contractor.slug,
        "contractor_slug": contractor.slug,
        "key": "x",
        "uidb36": "1",
        "step": "zip",
    }
    anonymous, signed_in, ops = Client(), Client(), Client()
    signed_in.force_login(contractor.user)
    ops.force_login(staff)
    token = Token.objects.get_or_create(user=contractor.user)[0].key
    schema = Client().get("/api/schema/?format=json").json()
    return {
        "values": values,
        "lead_token": lead.status_token,
        "review_token": review.token,
        "clients": {"anonymous": anonymous, "contractor": signed_in, "staff": ops},
        "api_headers": {"HTTP_AUTHORIZATION": f"Token {token}"},
        "schema": schema,
    }


def build_url(world, name, route, parameters) -> str:
    kwargs = {}
    for parameter in parameters:
        if parameter == "token":
            review = route.startswith("reviews/")
            kwargs[parameter] = world["review_token" if review else "lead_token"]
        else:
            kwargs[parameter] = world["values"][parameter]
    return reverse(name, kwargs=kwargs)


def person_for(route: str) -> str:
    if route.startswith(("dashboard/", "accounts/email/", "accounts/password/change/")):
        return "contractor"
    if route.startswith(("accounts/password/set/", "accounts/reauthenticate/")):
        return "contractor"
    if route.startswith(("admin/", "ops/")):
        return "staff"
    return "anonymous"


@pytest.mark.parametrize(("name", "route", "parameters"), ROUTES, ids=[r for _, r, _ in ROUTES])
def test_hostile_values_are_never_a_500(world, name, route, parameters):
    url = build_url(world, name, route, parameters)
    api = route.startswith("api/")
    client = world["clients"]["contractor" if api else person_for(route)]
    headers = world["api_headers"] if api else {}

    if api:
        get_fields, post_fields = api_inputs(world["schema"], route)
    else:
        assert_not_500(client.get(url), url)
        found_get, found_post = site_forms(world).get(url_name(url), (set(), set()))
        get_fields, post_fields = set(found_get), set(found_post)
    get_fields |= view_reads(url)
    post_fields.discard("csrfmiddlewaretoken")
    post_fields = post_fields or {"name", "email"}  # a URL that takes a POST with no form
    get_fields = get_fields or {"page"}
    methods = ["post", "put", "patch", "delete"] if api else ["post"]

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        query=st.fixed_dictionaries({field: value for field in sorted(get_fields)}),
        form=st.fixed_dictionaries({field: value for field in sorted(post_fields)}),
        body=st.fixed_dictionaries({field: json_value for field in sorted(post_fields)}),
        encoding=st.sampled_from(["form", "multipart", "json", "invalid-utf8", "deep"]),
        method=st.sampled_from(methods),
        junk=st.sampled_from(INVALID_UTF8),
    )
    def attack(query, form, body, encoding, method, junk):
        query_string = encode(query).decode()
        response = client.get(f"{url}?{query_string}", **headers)
        assert_not_500(response, f"GET {url}?{query_string[:200]}")

        send = getattr(client, method)
        if encoding == "form":
            form_type = "application/x-www-form-urlencoded"
            response = send(url, encode(form), content_type=form_type, **headers)
        elif encoding == "multipart":
            response = client.post(url, {k: surrogate_safe(v) for k, v in form.items()}, **headers)
        elif encoding == "json":
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")
            response = send(url, payload, content_type="application/json", **headers)
        elif encoding == "deep":
            response = send(url, DEEP_BODY, content_type="application/json", **headers)
        else:
            response = send(url, junk + encode(form), content_type="application/json", **headers)
        assert_not_500(response, f"{method.upper()} {url} as {encoding}")

    attack()
