"""Checks on the files a newcomer and an operator rely on."""

import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CDN = re.compile(
    r"https?://(cdn\.|unpkg\.com|cdnjs\.|code\.jquery|fonts\.googleapis|ajax\.googleapis|"
    r"cdn\.jsdelivr)"
)


def test_compose_file_runs_every_service_with_a_healthcheck():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "worker-fast", "beat"} <= set(services)
    for name in ["postgres", "redis", "web", "worker", "worker-fast", "beat"]:
        assert services[name]["healthcheck"]["test"], name
    assert "gunicorn" in services["web"]["command"]
    assert "worker" in services["worker"]["command"]
    # The speed-critical queue has a worker of its own (marketplace/tasking.py).
    assert "--queues=celery-fast" in services["worker-fast"]["command"]
    assert "beat" in services["beat"]["command"]
    env = services["web"]["environment"]
    assert env["DATABASE_URL"].startswith("postgres://")
    assert env["REDIS_URL"].startswith("redis://")


def test_compose_counts_the_proxy_whose_forwarded_headers_it_trusts():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name in ["web", "worker", "worker-fast", "beat"]:
        env = compose["services"][name]["environment"]
        assert env["TRUST_X_FORWARDED_PROTO"] == "${TRUST_X_FORWARDED_PROTO:-true}", name
        # One TLS proxy in front: the visitor's address is the last X-Forwarded-For hop.
        assert env["PROXY_COUNT"] == "${PROXY_COUNT:-1}", name


def test_no_page_or_asset_loads_from_a_cdn():
    tracked = subprocess.run(
        ["git", "ls-files", "templates", "static", "*/templates"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    files = [ROOT / f for f in tracked if not f.endswith((".png", ".ico", ".woff2"))]
    assert files
    offenders = [str(f) for f in files if CDN.search(f.read_text(errors="ignore"))]
    assert offenders == []


def test_vendored_assets_carry_their_licences():
    for folder in (ROOT / "static" / "vendor").iterdir():
        names = {p.name for p in folder.iterdir()}
        assert any(n.startswith("LICENSE") for n in names), folder
        assert "SOURCE" in names, folder


def test_readme_starts_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    first_commands = re.findall(r"^make (\w+)", readme, flags=re.M)[:2]
    assert first_commands == ["run", "test"]
    for login in ["ops@", "elite@", "pro@", "base@", "exclusive@"]:
        assert login in readme


def test_collectstatic_succeeds_as_the_dockerfile_runs_it(tmp_path):
    """The production storage rewrites every reference inside CSS and JS (source maps,
    images); a vendored file pointing at a file we did not vendor breaks the image build."""
    import os
    import sys

    env = {
        **os.environ,
        "SECRET_KEY": "collectstatic-only",
        "DEBUG": "false",
        "STATIC_ROOT": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "staticfiles.json").exists()


def test_procfile_runs_a_worker_for_the_speed_critical_queue():
    processes = dict(
        line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line
    )
    assert "--queues=celery " in processes["worker"] + " "
    assert "--queues=celery-fast" in processes["worker-fast"]
