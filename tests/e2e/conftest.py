"""A real server for the browser: uvicorn (pages, API and WebSockets in one ASGI process, as
production runs it) on a database of its own, and Debian's chromium driven by Playwright.

pytest-django's test database cannot serve here: on SQLite it lives in this process's memory, and
the WSGI ``live_server`` has no WebSockets. So the server gets a database made for it: a SQLite
file on the embedded default, a fresh PostgreSQL database next to the configured one otherwise;
``migrate`` and ``tests.e2e.seed`` (the real services) fill it in subprocesses. This process never
touches that database: the tests see it through the browser, as people do.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import PASSWORD
from tests.notifications.live import Uvicorn, server_env

CHROMIUM = Path("/usr/bin/chromium")
BASE_DIR = Path(__file__).resolve().parents[2]
ARTIFACTS = BASE_DIR / "test-artifacts"


def _postgres_database(url: str) -> Iterator[str]:
    """A fresh database beside the one ``url`` names, dropped afterwards."""
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'postgres'}_e2e"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(
            admin.replace("postgres://", "postgresql://", 1), autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # noqa: S603 - our own fixed command line
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=600
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Iterator[dict]:
    """``{"url", "ids"}`` of a uvicorn serving a migrated, seeded database of its own."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make browser)")
    configured = os.environ.get("DATABASE_URL", "")
    workdir = tmp_path_factory.mktemp("e2e")
    if configured.startswith(("postgres://", "postgresql://")):
        databases = _postgres_database(configured)
        database_url = next(databases)
    else:
        databases = None
        database_url = f"sqlite:///{workdir / 'site.sqlite3'}"
    env = server_env(database_url, os.environ.get("REDIS_URL", ""))
    try:
        _run(env, "manage.py", "migrate", "--no-input", "-v", "0")
        ids = json.loads(_run(env, "-m", "tests.e2e.seed").strip().splitlines()[-1])
        server = Uvicorn(env, workdir, "e2e")
        try:
            yield {"url": server.url, "ids": ids, "log": server.log}
        finally:
            server.close()
    finally:
        if databases is not None:
            next(databases, None)


@pytest.fixture(scope="package")
def chromium():
    # Package scope, not session: Playwright's sync API keeps an event loop running in this
    # thread while it is open, and every later test that touches the database or async_to_sync
    # would then fail (pytest-django runs the tests without a database after these).
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-background-networking"]
        )
        yield browser
        browser.close()


@pytest.fixture
def open_as(site, chromium):
    """``open_as(username)``: a page in a browser of its own (Chinese, as the officers' are),
    logged in through the login form."""
    contexts = []

    def login(username: str, password: str = PASSWORD):
        context = chromium.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{site['url']}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{site['url']}/**")
        return page

    yield login
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
