"""The shell every page shares: Chinese by default with English selectable, the system name,
login and logout, role-aware navigation, and nothing loaded from outside the intranet."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.test import Client

from tests.conftest import PASSWORD

ROOT = Path(settings.BASE_DIR)
SYSTEM_NAME = "九江市总工会“六有六规范”建设管理系统"


def test_it_speaks_chinese_by_default_and_english_when_chosen(db):
    client = Client()

    page = client.get("/login/").content.decode()
    assert '<html lang="zh-hans">' in page
    assert "登录" in page  # Django's own catalogue translates "Log in"

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    page = client.get("/login/").content.decode()
    assert '<html lang="en">' in page
    assert ">Log in<" in page


def test_it_names_the_system_on_the_login_page(db):
    page = Client().get("/login/").content.decode()

    assert "九江市总工会" in page and "“六有六规范”建设管理系统" in page
    assert 'action="/i18n/setlang/"' in page
    assert 'for="id_username"' in page and 'for="id_password"' in page


def test_it_logs_in_and_out(db, xunyang_officer):
    client = Client()

    response = client.post("/login/", {"username": "xunyang", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    page = client.get("/").content.decode()
    assert SYSTEM_NAME in page and xunyang_officer.name in page

    response = client.post("/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_it_tells_a_wrong_password_without_saying_which_part(db, xunyang_officer):
    client = Client()
    client.cookies["django_language"] = "en"

    page = client.post("/login/", {"username": "xunyang", "password": "wrong"}).content.decode()

    assert "The username or password is not correct." in page


def test_it_shows_each_role_its_own_navigation(
    login, xunyang_officer, federation_officer, auditor, reporter
):
    def nav(user) -> list[str]:
        page = login(user).get("/cases/").content.decode()
        block = re.search(r'<nav class="mainnav".*?</nav>', page, re.S).group(0)
        return re.findall(r'href="([^"]+)"', block)

    assert "/audit/" not in nav(xunyang_officer)
    assert "/audit/" in nav(federation_officer)
    assert nav(auditor)[0] == "/audit/"
    assert nav(reporter) == ["/"]


def test_it_puts_the_live_notification_elements_in_the_header(login, xunyang_officer):
    page = login(xunyang_officer).get("/").content.decode()

    assert "data-unread-count" in page and "data-notification-list" in page
    assert '<meta name="ws-url" content="/ws/notifications/">' in page
    assert re.search(r'<script src="/static/js/notifications\.js" defer>', page)


def test_it_loads_nothing_from_outside_the_site():
    outside = re.compile(r"""(?:src|href|url\()\s*=?\s*["']?(?:https?:)?//""", re.I)
    files = [
        *ROOT.joinpath("templates").rglob("*.html"),
        *ROOT.joinpath("static", "css").glob("*.css"),
    ]
    assert files
    offenders = [str(path.relative_to(ROOT)) for path in files if outside.search(path.read_text())]
    assert offenders == []
    css = ROOT.joinpath("static", "css", "app.css").read_text()
    assert (
        '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'
        in css
    )
    assert "@import" not in css and "@font-face" not in css


def test_it_vendors_htmx_with_its_licence():
    vendor = ROOT / "static" / "vendor" / "htmx"

    assert (vendor / "htmx.min.js").read_text().startswith("var htmx=function")
    assert (vendor / "LICENSE").read_text().startswith("Zero-Clause BSD")
