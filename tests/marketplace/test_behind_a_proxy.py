"""Behind the TLS proxy of docker-compose.yml every visitor keeps their own address: their own
rate limit and their own failed log-ins. `check --deploy` warns when a proxy is trusted but
not counted."""

import os
import re
from pathlib import Path

import pytest
import yaml
from django.core.checks import run_checks
from django.urls import reverse

from tests.factories import PASSWORD

from .test_settings import STRONG_KEY, run_django

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PROXY = {"REMOTE_ADDR": "172.18.0.5"}  # the proxy container: the same for every visitor
ALICE_AT_HOME = {**PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.10"}
BOB_AT_WORK = {**PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.20"}


def compose_default(name: str) -> str:
    """The value docker-compose.yml gives the app's variable `name` when it is not set."""
    value = str(
        yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"][
            "environment"
        ].get(name, "")
    )
    match = re.fullmatch(r"\$\{\w+:-(.*)\}", value)
    return match.group(1) if match else value


@pytest.fixture
def as_composed(settings):
    """The proxy settings docker-compose.yml runs with."""
    if compose_default("TRUST_X_FORWARDED_PROTO") == "true":
        settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.PROXY_COUNT = int(compose_default("PROXY_COUNT") or 0)


def quote(n: int) -> dict:
    return {
        "category": "plumbing",
        "zip_code": "92101",
        "description": "Water heater leaks from the bottom, about 10 years old.",
        "timeframe": "urgent",
        "job_size": "medium",
        "ownership": "owner",
        "name": "Dana Homeowner",
        "phone": f"+1 619 555 01{n:02d}",
        "email": f"dana{n}@example.com",
        "preferred_contact": "phone",
        "consent": True,
    }


def test_each_visitor_behind_the_proxy_has_their_own_quote_limit(
    as_composed, api_client, settings, plumbing, metro_zips
):
    settings.INTAKE_RATE_LIMIT = "1/h"
    url = reverse("api:quote-requests")
    assert api_client.post(url, quote(1), format="json", **ALICE_AT_HOME).status_code == 201
    assert api_client.post(url, quote(2), format="json", **BOB_AT_WORK).status_code == 201
    assert api_client.post(url, quote(3), format="json", **ALICE_AT_HOME).status_code == 429


def test_failed_log_ins_from_one_visitor_do_not_lock_the_account_for_another(
    as_composed, client, contractor, settings
):
    login = reverse("account_login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(
            login, {"login": "alice@example.com", "password": "guess"}, **BOB_AT_WORK
        )
    assert response.status_code == 429
    response = client.post(
        login, {"login": "alice@example.com", "password": PASSWORD}, **ALICE_AT_HOME
    )
    assert response.status_code == 302


def proxy_warnings(*, deploy: bool = True) -> list:
    return [m for m in run_checks(include_deployment_checks=deploy) if m.id == "fairlead.W001"]


def test_the_deploy_check_warns_when_a_proxy_is_trusted_but_not_counted(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.PROXY_COUNT = 0
    [warning] = proxy_warnings()
    assert "PROXY_COUNT" in warning.msg and "PROXY_COUNT=1" in warning.hint
    assert proxy_warnings(deploy=False) == []  # a deployment concern: `check --deploy`


@pytest.mark.parametrize(
    ("header", "count"),
    [(("HTTP_X_FORWARDED_PROTO", "https"), 1), (("HTTP_X_FORWARDED_PROTO", "https"), 2), (None, 0)],
    ids=["one proxy counted", "two proxies counted", "no proxy"],
)
def test_the_deploy_check_is_quiet_when_proxies_are_counted_or_absent(settings, header, count):
    settings.SECURE_PROXY_SSL_HEADER = header
    settings.PROXY_COUNT = count
    assert proxy_warnings() == []


def test_check_deploy_reports_the_uncounted_proxy_at_start_up():
    production = {
        "DEBUG": "false",
        "SECRET_KEY": STRONG_KEY,
        "ALLOWED_HOSTS": "fairlead.example",
        "FAIRLEAD_ENV_FILE": os.devnull,
        "TRUST_X_FORWARDED_PROTO": "true",
    }
    result = run_django(["check", "--deploy"], **production)
    assert "fairlead.W001" in result.stderr + result.stdout
    result = run_django(
        ["check", "--deploy", "--fail-level", "DEBUG"], **production, PROXY_COUNT="1"
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
