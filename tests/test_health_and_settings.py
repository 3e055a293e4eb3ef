"""Start-up refusals, production checks, health, UK dates: a real process where it matters."""

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django import forms
from django.template import Context, Template
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "k7#Qp2v!Xz9mL4t$Wb8nR1sY6uE3oA0hJ5gD-cF_iV+eT&yU@wZ%rN^bM*qS(xP)",
    "AUDIT_HMAC_KEY": "Vq3-audit-Hm4c-k3y-9wLx2ZpT7rNc0sKd5yBe8uFj1",
    "ALLOWED_HOSTS": "btecqa.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://btecqa.example.org",
    "DATABASE_URL": "postgres://btecqa:secret@db.internal:5432/btecqa",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "BEHIND_TLS_PROXY": "true",
}


def run_python(code: str, **env_overrides) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "SECRET_KEY",
            "AUDIT_HMAC_KEY",
            "DATABASE_URL",
            "REDIS_URL",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "btecqa.settings"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_start_up_refuses_debug_off_without_a_secret_key():
    result = run_python("import django; django.setup()", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_start_up_refuses_debug_off_without_an_audit_key():
    """As for SECRET_KEY: without the key the audit trail could not be signed or verified."""
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "AUDIT_HMAC_KEY"}
    result = run_python("import django; django.setup()", **env)
    assert result.returncode != 0
    assert "AUDIT_HMAC_KEY is not set" in result.stderr


@pytest.mark.parametrize(
    "key, problem",
    [
        ("short-audit-key", "shorter than 32 characters"),
        ("btecqa-development-only-audit-key-do-not-use-in-production", "the development key"),
        (PRODUCTION_ENV["SECRET_KEY"], "the same as SECRET_KEY"),
    ],
)
def test_the_deploy_check_refuses_an_unfit_audit_key(key, problem):
    result = run_python(
        "from django.core.management import execute_from_command_line;"
        "execute_from_command_line(['manage.py', 'check', '--deploy'])",
        **{**PRODUCTION_ENV, "AUDIT_HMAC_KEY": key},
    )
    assert result.returncode != 0
    assert "audit.E001" in result.stderr and problem in result.stderr


def test_production_settings_pass_check_deploy_with_no_warnings():
    result = run_python(
        "import sys; from django.core.management import execute_from_command_line;"
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        **PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_health_is_up_without_logging_in(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response["Content-Type"] == "application/json"


def test_health_answers_503_when_the_database_is_down():
    """A real process whose database server is not there (nothing listens on port 9)."""
    code = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz');"
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )
    result = run_python(code, DEBUG="true", DATABASE_URL="postgres://nobody@127.0.0.1:9/absent")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["status"] == 503
    assert out["body"]["status"] == "unavailable" and out["body"]["database"].startswith("error")


def test_health_reports_the_broker_when_one_is_configured():
    code = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz');"
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )
    result = run_python(
        code,
        DEBUG="true",
        REDIS_URL="redis://127.0.0.1:9/0",
        DATABASE_URL=f"sqlite:///{ROOT / 'var' / 'health-probe.sqlite3'}",
    )
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["status"] == 503 and out["body"]["broker"].startswith("error")


def test_dates_are_dd_mm_yyyy_in_and_out(settings):
    class DateForm(forms.Form):
        day = forms.DateField()

    form = DateForm({"day": "23/10/2026"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["day"] == dt.date(2026, 10, 23)
    assert not DateForm({"day": "10/23/2026"}).is_valid()  # American order is refused, not guessed
    rendered = Template("{{ d|date }} {{ d|date:'SHORT_DATE_FORMAT' }}").render(
        Context({"d": dt.date(2026, 3, 4)})
    )
    assert rendered == "04/03/2026 04/03/2026"


def test_time_zone_and_language_are_british(settings):
    assert settings.TIME_ZONE == "Europe/London"
    assert settings.LANGUAGE_CODE == "en-gb"


def test_pages_carry_a_content_security_policy_without_inline_script(client, db):
    response = client.get(reverse("login"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in response.content.decode()  # every script has a src


@pytest.mark.parametrize(
    "path",
    [
        "static/vendor/bootstrap/bootstrap.min.css",
        "static/vendor/htmx/htmx.min.js",
        "static/vendor/bootstrap/bootstrap.bundle.min.js",
        "static/vendor/fonts/atkinson-hyperlegible-latin-400-normal.woff2",
    ],
)
def test_front_end_assets_are_vendored_not_fetched(path):
    assert (ROOT / path).stat().st_size > 1000


def test_no_template_loads_anything_from_another_host():
    offenders = []
    for template in list(ROOT.glob("templates/**/*.html")) + list(
        ROOT.glob("*/templates/**/*.html")
    ):
        text = template.read_text()
        if 'src="http' in text or 'href="http' in text or "//cdn" in text:
            offenders.append(str(template))
    assert offenders == []


def test_media_goes_through_the_storage_api(settings):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    settings.MEDIA_ROOT = ROOT / "var" / "test-media"
    name = default_storage.save("probe/hello.txt", ContentFile(b"hello"))
    try:
        assert default_storage.open(name).read() == b"hello"
    finally:
        default_storage.delete(name)


@pytest.mark.parametrize("missing", ["SECRET_KEY", "AUDIT_HMAC_KEY"])
def test_manage_py_refuses_in_one_clear_line_without_a_key(missing):
    env = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "AUDIT_HMAC_KEY"}
    }
    env.update({k: v for k, v in PRODUCTION_ENV.items() if k in {"SECRET_KEY", "AUDIT_HMAC_KEY"}})
    del env[missing]
    env["DEBUG"] = "false"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert missing in result.stderr and "Traceback" not in result.stderr


def test_models_and_migrations_agree(db):
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
