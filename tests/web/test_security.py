"""Production settings, security headers, the CSP's promise (no inline code), error pages."""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import include, path, reverse

from groupguard.urls import handler400, handler403, handler404, handler500  # noqa: F401
from groupguard.web.security import CONTENT_SECURITY_POLICY
from tests.conftest import Cast
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
SECRET_SQL = 'SELECT "practice_member"."given_name" FROM "practice_member" WHERE id = 7'


def _broken(request: HttpRequest) -> HttpResponse:
    raise DatabaseError(f"no such column: secret_column in {SECRET_SQL}")


# This module doubles as a URLconf for the error-page tests: the product's URLs and handlers,
# plus a page and an API path that fail.
urlpatterns = [
    path("broken/", _broken),
    path("api/broken/", _broken),
    path("", include("groupguard.urls")),
]


def test_every_response_carries_the_security_headers(cast: Cast) -> None:
    anonymous = Client()
    responses = [
        anonymous.get(reverse("login")),
        anonymous.get(reverse("healthz")),
        anonymous.get("/no-such-page/"),
        anonymous.get("/api/v1/openapi.json"),
        anonymous.get(reverse("dashboard")),  # the redirect to the login page
        cast.client_for(cast.bob).get(reverse("member_detail", args=[cast.mia.id])),
    ]
    for response in responses:
        headers = response.headers
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert "camera=()" in headers["Permissions-Policy"]
        assert "microphone=()" in headers["Permissions-Policy"]
    # X-Frame-Options is Django's; some responses (the redirect) are never framed anyway.
    assert responses[0]["X-Frame-Options"] == "DENY"


def test_cookies_are_secure_http_only_and_same_site(cast: Cast) -> None:
    client = Client()
    form = client.get(reverse("login"))
    signed = client.post(reverse("login"), {"username": "bob", "password": PASSWORD})
    assert signed.status_code == 302
    for cookie in (form.cookies["csrftoken"], signed.cookies["sessionid"]):
        assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"


def test_the_csp_allows_no_inline_code_and_no_other_origin() -> None:
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
        "base-uri": "'none'",
        "object-src": "'none'",
    }


def test_pages_and_api_answers_with_phi_are_not_cached(cast: Cast) -> None:
    client = cast.client_for(cast.bob)
    page = client.get(reverse("member_detail", args=[cast.mia.id]))
    api = client.get(f"/api/v1/members/{cast.mia.id}")
    assert page.status_code == 200 and api.status_code == 200
    for response in (page, api):
        assert response["Cache-Control"] == "no-store"
        assert response["Pragma"] == "no-cache"


INLINE = [
    (re.compile(r"<script\b(?![^>]*\ssrc=)[^>]*>", re.I), "a <script> without src"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"\s(on[a-z]+|hx-on[:\-][\w:\-]*)\s*=", re.I), "an inline event handler"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def test_no_template_has_inline_script_or_style_that_the_csp_would_block() -> None:
    found = []
    for template in sorted((ROOT / "groupguard").glob("**/templates/**/*.html")):
        text = template.read_text(encoding="utf-8")
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{template.relative_to(ROOT)}:{line}: {what}")
    assert not found, "Move these to web/app.css or a static .js file:\n" + "\n".join(found)


def test_our_scripts_use_nothing_the_csp_blocks() -> None:
    forbidden = re.compile(r"setAttribute\(\s*[\"']style|\.cssText\b|\beval\(|new Function\(")
    scripts = sorted((ROOT / "groupguard" / "web" / "static" / "web").glob("*.js"))
    assert scripts
    for script in scripts:
        assert not forbidden.search(script.read_text(encoding="utf-8")), script.name


def test_htmx_adds_no_inline_style_and_evaluates_nothing() -> None:
    base = (ROOT / "groupguard" / "web" / "templates" / "web" / "base.html").read_text()
    match = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", base)
    assert match is not None
    config = json.loads(match.group(1))
    assert config["includeIndicatorStyles"] is False and config["allowEval"] is False


def test_the_api_docs_load_swagger_from_our_own_static_files() -> None:
    page = Client().get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()


@pytest.mark.urls("tests.web.test_security")
@pytest.mark.django_db
def test_a_server_error_shows_no_traceback_or_sql() -> None:
    response = Client(raise_request_exception=False).get("/broken/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    for leak in ("Traceback", "DatabaseError", "secret_column", "SELECT", "practice_member"):
        assert leak not in body
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.urls("tests.web.test_security")
@pytest.mark.django_db
def test_an_api_server_error_is_json_without_details() -> None:
    response = Client(raise_request_exception=False).get("/api/broken/")
    assert response.status_code == 500
    assert response.json() == {"detail": "Server error"}


@pytest.mark.django_db
def test_a_missing_page_is_our_404_not_djangos() -> None:
    response = Client().get("/no-such-page/")
    body = response.content.decode()
    assert response.status_code == 404 and "Page not found" in body
    assert "URLconf" not in body and "no-such-page" not in body


@pytest.mark.django_db
def test_an_unknown_host_is_our_400() -> None:
    response = Client(HTTP_HOST="evil.example").get(reverse("login"))
    assert response.status_code == 400
    assert "could not be understood" in response.content.decode()
    assert "ALLOWED_HOSTS" not in response.content.decode()


@pytest.mark.django_db
def test_a_form_without_its_csrf_token_is_our_403() -> None:
    response = Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "x"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "This form has expired" in body and "CSRF_FAILURE_VIEW" not in body


def test_a_forbidden_page_is_our_403(rf) -> None:
    from groupguard.web.views.errors import permission_denied

    response = permission_denied(rf.get("/audit/"), PermissionError("secret reason"))
    assert response.status_code == 403
    assert "You cannot open this page" in response.content.decode()
    assert "secret reason" not in response.content.decode()


@override_settings(SECURE_SSL_REDIRECT=True)
@pytest.mark.django_db
def test_djangos_deploy_checks_pass_with_production_like_settings(monkeypatch) -> None:
    # The test settings are the product's with DEBUG off and secure cookies and HSTS on (as
    # in production); behind a TLS proxy the redirect to HTTPS is on too. Some tests of this
    # process allow async-unsafe calls (an environment variable no server sets).
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
    out = io.StringIO()
    call_command("check", "--deploy", "--fail-level", "WARNING", stdout=out)
    assert "no issues" in out.getvalue()


@override_settings(SECURE_SSL_REDIRECT=True)
@pytest.mark.django_db
def test_plain_http_goes_to_https_except_the_health_check() -> None:
    client = Client()
    response = client.get(reverse("login"))
    assert response.status_code == 301 and response["Location"].startswith("https://")
    assert client.get(reverse("healthz")).status_code == 200
    assert client.head(reverse("healthz")).status_code == 200  # a load balancer's check
    assert client.post(reverse("healthz")).status_code == 405
    secure = client.get(reverse("login"), secure=True)
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000"  # no subdomains, no preload


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GROUPGUARD_", "DJANGO_"))}
    env.update(
        GROUPGUARD_DATA_DIR=str(tmp_path),
        GROUPGUARD_DEBUG="0",
        GROUPGUARD_SECRET_KEY=secrets.token_urlsafe(64),
        GROUPGUARD_BEHIND_PROXY="1",
        GROUPGUARD_ALLOWED_HOSTS="groupguard.example.org",
        **extra,
    )
    return env


def groupguard(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "groupguard.cli.main", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_groupguard_check_deploy_is_clean_in_the_production_configuration(tmp_path) -> None:
    result = groupguard(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_subdomains_and_preload_are_opt_in_and_checked(tmp_path) -> None:
    both = production_env(
        tmp_path, GROUPGUARD_HSTS_INCLUDE_SUBDOMAINS="1", GROUPGUARD_HSTS_PRELOAD="1"
    )
    result = groupguard("check", "--deploy", "--fail-level", "WARNING", env=both)
    assert result.returncode == 0, result.stdout + result.stderr
    alone = production_env(tmp_path, GROUPGUARD_HSTS_PRELOAD="1")
    result = groupguard("check", "--deploy", env=alone)
    assert result.returncode != 0
    assert "GROUPGUARD_HSTS_PRELOAD=1 needs GROUPGUARD_HSTS_INCLUDE_SUBDOMAINS=1" in result.stderr


ICON = '<link rel="icon" href="/static/web/icon.svg" type="image/svg+xml">'


def test_every_kind_of_page_names_our_own_icon(cast: Cast) -> None:
    # Without it every browser asks for /favicon.ico on each page and logs a 404.
    pages = {
        "staff page": cast.client_for(cast.bob).get(reverse("dashboard")),
        "sign-in": Client().get(reverse("login")),
        "member signing page": Client().get(reverse("sign_start", args=["not-a-token"])),
        "error page": Client().get("/no-such-page/"),
    }
    for kind, response in pages.items():
        assert ICON in response.content.decode(), kind


@override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True)
def test_the_icon_is_served_as_svg(client: Client) -> None:
    # Browsers that ask for /favicon.ico regardless are sent to it.
    found = client.get("/favicon.ico")
    assert found.status_code == 302 and found["Location"] == "/static/web/icon.svg"
    response = client.get("/static/web/icon.svg")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(response.streaming_content)  # type: ignore[attr-defined]
