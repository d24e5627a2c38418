"""CSRF on every form, secure cookies and headers, ``check --deploy`` under production settings,
bandit at medium severity and above, and spreadsheet formula injection in every export."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from inspections.services import do_save_survey
from lib.demo_survey import full_survey
from tests.conftest import make_union
from workflows.models import Event
from workflows.services import do_create_case, do_transition

from .matrix import EXPECT, iter_routes, route_key

ROOT = Path(settings.BASE_DIR)
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "a-production-like-secret-key-of-enough-length-and-variety-7f3k9q2x8w",
    "ALLOWED_HOSTS": "unions.example.internal",
}


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(extra)
    return env


# --- CSRF -----------------------------------------------------------------------------------


def _page_posts() -> list[str]:
    return sorted(
        key for key, access in EXPECT.items() if access.kind != "api" and "post" in access.methods
    )


def test_it_puts_a_csrf_token_in_every_post_form_of_every_template():
    missing = []
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for form in re.finditer(r"<form\b[^>]*>(.*?)</form>", text, flags=re.S | re.I):
            opening = form.group(0)[: form.group(0).index(">") + 1]
            if re.search(
                r"method\s*=\s*[\"']?post", opening, re.I
            ) and "csrf_token" not in form.group(1):
                missing.append(f"{template.relative_to(ROOT)}: {opening}")
    assert not missing, "POST forms without {% csrf_token %}:\n" + "\n".join(missing)


def test_it_refuses_every_page_form_posted_without_the_csrf_token(case, xunyang_officer):
    """Each page or public URL that takes a POST (from the access matrix), with a logged-in
    session but no token: 403 from Django's CSRF middleware, and nothing written."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(xunyang_officer)
    assert _page_posts(), "the matrix lists no page form"
    events = Event.objects.count()
    refused = {}
    for key in _page_posts():
        path = "/" + key.replace("<pk>", str(case.pk)).replace("<name>", "submit_survey")
        path = re.sub(r"<\w+>", "1", path)  # the CSRF check comes before the view: any id will do
        refused[key] = browser.post(path, {"comment": "x"}).status_code
    assert {key: status for key, status in refused.items() if status != 403} == {}
    assert Event.objects.count() == events


def test_it_refuses_a_session_api_post_without_the_csrf_token_and_takes_it_with(
    case, xunyang_officer
):
    do_save_survey(case, full_survey(on=timezone.localdate()), actor=xunyang_officer)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(xunyang_officer)
    url = f"/api/v1/cases/{case.pk}/transitions/submit_survey/"
    refused = browser.post(url, {"comment": ""}, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    case.refresh_from_db()
    assert case.stage == "survey"

    page = browser.get(f"/cases/{case.pk}/")
    token = page.cookies.get("csrftoken") or browser.cookies["csrftoken"]
    taken = browser.post(
        url, {"comment": ""}, content_type="application/json", HTTP_X_CSRFTOKEN=token.value
    )
    assert taken.status_code == 200, taken.content
    assert taken.json()["stage"] == "survey_review"


def test_it_needs_no_csrf_token_with_an_api_token(api, case, xunyang_officer):
    """A token is not sent by the browser on its own, so it cannot be forged cross-site."""
    do_save_survey(case, full_survey(on=timezone.localdate()), actor=xunyang_officer)
    client = api.as_user(xunyang_officer)
    client.enforce_csrf_checks = True
    answer = client.post(f"/api/v1/cases/{case.pk}/transitions/submit_survey/", {}, format="json")
    assert answer.status_code == 200


def test_it_refuses_the_login_form_without_the_csrf_token(xunyang_officer):
    browser = Client(enforce_csrf_checks=True)
    assert (
        browser.post(
            "/login/", {"username": "xunyang", "password": "correct-horse-battery"}
        ).status_code
        == 403
    )
    assert "_auth_user_id" not in browser.session


# --- Cookies, headers, deploy check ---------------------------------------------------------


def test_it_sends_the_security_headers_and_guards_the_session_cookie(xunyang_officer):
    browser = Client()
    page = browser.get("/login/")
    assert page["X-Frame-Options"] == "DENY"
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["Referrer-Policy"] == "same-origin"
    token = page.cookies["csrftoken"]
    logged_in = browser.post(
        "/login/",
        {
            "username": "xunyang",
            "password": "correct-horse-battery",
            "csrfmiddlewaretoken": token.value,
        },
    )
    assert logged_in.status_code == 302
    session = logged_in.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"]
    assert session["samesite"] == "Lax"


def _production_setting(*names: str) -> dict[str, str]:
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(DJANGO_SETTINGS_MODULE="config.settings", **PRODUCTION_ENV),
    )
    assert done.returncode == 0, done.stderr
    import json

    return json.loads(done.stdout.strip().splitlines()[-1])


def test_it_secures_cookies_and_transport_under_production_settings():
    values = _production_setting(
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_HTTPONLY",
        "X_FRAME_OPTIONS",
        "SECURE_CONTENT_TYPE_NOSNIFF",
    )
    assert values == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SESSION_COOKIE_HTTPONLY": True,
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
    }


def test_it_refuses_to_start_in_production_without_a_secret_key():
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(DEBUG="false", ALLOWED_HOSTS="unions.example.internal"),
    )
    assert done.returncode != 0
    assert "SECRET_KEY must be set" in done.stderr


def test_it_passes_the_deploy_check_under_production_settings():
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(**PRODUCTION_ENV),
    )
    assert done.returncode == 0, done.stdout + done.stderr


# --- Static analysis ------------------------------------------------------------------------


def _project_sources() -> list[str]:
    skip = {"tests", ".venv", "node_modules", "staticfiles", "static", "templates", "locale", "var"}
    found = [
        p.name
        for p in ROOT.iterdir()
        if p.is_dir() and p.name not in skip and not p.name.startswith(".") and any(p.rglob("*.py"))
    ]
    return sorted(found) + ["manage.py"]


def test_it_is_clean_under_bandit_at_medium_severity_and_above():
    bandit = Path(sys.executable).with_name("bandit")
    if not bandit.exists():
        pytest.fail("bandit is not installed: pip install -e '.[dev]'")
    sources = _project_sources()
    assert {"workflows", "unions", "lib", "config"} <= set(sources)
    done = subprocess.run(  # noqa: S603 - the venv's bandit over our own sources
        [
            str(bandit),
            "-q",
            "-r",
            *sources,
            "--severity-level",
            "medium",
            "-x",
            "*/migrations/*,./tests,./.venv",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]


# --- Exports: formula injection -------------------------------------------------------------

HOSTILE = [
    '=HYPERLINK("http://evil.example","点此")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _export_keys() -> list[str]:
    keys = {route_key(route) for route, _p in iter_routes() if not route.startswith("admin/")}
    return sorted(
        k
        for k in keys
        if ("export" in k or k.endswith(".xlsx")) and "<" not in k.replace("<pk>", "")
    )


def test_it_neutralises_formulas_in_every_spreadsheet_export(
    campaign, xunyang_officer, federation_officer
):
    union = make_union(
        xunyang_officer,
        name=HOSTILE[0],
        address=HOSTILE[1],
        contact_name=HOSTILE[2][:50],
    )
    case = do_create_case(actor=xunyang_officer, campaign=campaign, union_id=union.pk)
    do_save_survey(case, full_survey(on=timezone.localdate()), actor=xunyang_officer)
    do_transition(case.pk, "submit_survey", actor=xunyang_officer)
    do_transition(case.pk, "return_survey", actor=xunyang_officer, comment=HOSTILE[3])

    browser = Client()
    browser.force_login(federation_officer)
    keys = _export_keys()
    assert len(keys) >= 5, keys
    checked, problems = [], []
    for key in keys:
        path = "/" + key.replace("<pk>", str(campaign.pk))
        response = browser.get(path, {"campaign": campaign.pk})
        if response.status_code != 200 or not response["Content-Type"].startswith(
            "application/vnd.openxml"
        ):
            problems.append(f"{path}: {response.status_code} {response['Content-Type']}")
            continue
        workbook = load_workbook(
            io.BytesIO(
                b"".join(response.streaming_content) if response.streaming else response.content
            )
        )
        seen_hostile = False
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.data_type == "f":
                        problems.append(
                            f"{path} {sheet.title}!{cell.coordinate}: a formula {cell.value!r}"
                        )
                    elif isinstance(cell.value, str):
                        if cell.value.startswith(TRIGGERS):
                            problems.append(
                                f"{path} {sheet.title}!{cell.coordinate}: {cell.value!r}"
                            )
                        if any(h in cell.value for h in HOSTILE):
                            seen_hostile = True
        checked.append((path, seen_hostile))
    assert not problems, "\n".join(problems)
    # The hostile text must reach the exports that list unions, cases or events, neutralised.
    assert any(seen for _path, seen in checked), checked
