"""Start-up configuration, checked in fresh interpreters with a controlled environment."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3Jx9-vQ2mZ7pL4nR8tW1yB6cF0hD5gS-aE2uI7oP3kM9jN4bV8xC1zQ6wT0rY5"


def run_django(args, **env_overrides):
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "SECRET_KEY",
            "DEBUG",
            "SECURE_SSL_REDIRECT",
            "SECURE_COOKIES",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_secret_key_stops_start_up_with_a_clear_message():
    result = run_django(["check"], DEBUG="false", FAIRLEAD_ENV_FILE=os.devnull)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "Traceback" in result.stderr or "ImproperlyConfigured" in result.stderr


def test_deploy_check_reports_nothing_in_production_mode():
    result = run_django(
        ["check", "--deploy", "--fail-level", "DEBUG"],
        DEBUG="false",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="fairlead.example",
        FAIRLEAD_ENV_FILE=os.devnull,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_debug_mode_runs_without_a_secret_key():
    result = run_django(["check"], DEBUG="true", FAIRLEAD_ENV_FILE=os.devnull)
    assert result.returncode == 0, result.stderr


def test_a_territory_lead_fee_of_zero_stops_start_up():
    for value in ["default=0", "roofing=3000", "default=1500,roofing=0"]:
        result = run_django(
            ["check"], DEBUG="true", FAIRLEAD_ENV_FILE=os.devnull, TERRITORY_LEAD_FEE_CENTS=value
        )
        assert result.returncode != 0, value
        assert "TERRITORY_LEAD_FEE_CENTS needs a default" in result.stderr, value
    result = run_django(
        ["check"],
        DEBUG="true",
        FAIRLEAD_ENV_FILE=os.devnull,
        TERRITORY_LEAD_FEE_CENTS="default=1500,roofing=3000",
    )
    assert result.returncode == 0, result.stderr


def test_email_links_follow_the_port_make_run_serves_unless_site_url_is_set(monkeypatch):
    monkeypatch.delenv("SITE_URL", raising=False)
    probe = "from django.conf import settings; print(settings.SITE_URL)"

    def site_url(**env):
        result = run_django(
            ["shell", "-c", probe], DEBUG="true", FAIRLEAD_ENV_FILE=os.devnull, **env
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]  # after the shell's own import line

    assert site_url() == "http://127.0.0.1:8000"
    assert site_url(WEB_PORT="8123") == "http://127.0.0.1:8123"
    assert site_url(WEB_PORT="8123", SITE_URL="https://fairlead.example/") == (
        "https://fairlead.example"
    )
