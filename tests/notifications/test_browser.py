"""static/js/notifications.js in Debian's chromium, against a real uvicorn process: the badge and
the list follow pushes, a lost push is noticed by its ``previous`` id and caught up, a server
restart is survived, one or all are marked read.

The server is a separate process on the test database, so these run on PostgreSQL only. It
runs without Redis (the in-memory layer): pushes of what it commits reach its own sockets, while
rows this test process writes are pushed elsewhere, which is exactly a lost push.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from inspections.services import do_save_survey
from lib.demo_survey import full_survey
from notifications.dispatch import Draft, write
from notifications.models import Notification

from .live import Uvicorn, database_url, http, server_env

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BADGE = "document.querySelector('[data-unread-count]')"
ITEMS = "[data-notification-list] li"


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory):
    if connection.vendor != "postgresql":
        pytest.skip(
            "the browser's server is a separate process: it needs the PostgreSQL test database"
        )
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make browser)")
    env = server_env(database_url(connection.settings_dict), redis_url="")
    uvicorn = Uvicorn(env, tmp_path_factory.mktemp("uvicorn"), "browser")
    yield uvicorn
    uvicorn.close()


class InThread:
    """Playwright's sync API, driven from a thread of its own.

    Playwright keeps an asyncio loop running in the thread that uses it. Django then takes that
    thread for async code: it refuses ORM calls there and hands it other database connections
    than the test's (so pytest-django could no longer restore the data a transactional test
    flushed). Here every Playwright call runs in one worker thread, and what it returns comes
    back wrapped the same way, so tests read as ordinary Playwright code.
    """

    def __init__(self, target, executor: ThreadPoolExecutor):
        self._target, self._executor = target, executor

    def _wrap(self, value):
        if type(value).__module__.startswith("playwright."):
            return InThread(value, self._executor)
        return value

    def _run(self, fn, *args, **kwargs):
        return self._wrap(self._executor.submit(fn, *args, **kwargs).result())

    def __getattr__(self, name):
        attribute = self._executor.submit(getattr, self._target, name).result()
        if callable(attribute):
            return lambda *args, **kwargs: self._run(attribute, *args, **kwargs)
        return self._wrap(attribute)


@pytest.fixture(scope="module")
def browser(server):
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="playwright")

    def launch():
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-background-networking"]
        )
        return playwright, chromium

    playwright, chromium = executor.submit(launch).result()
    yield InThread(chromium, executor)
    executor.submit(chromium.close).result()
    executor.submit(playwright.stop).result()
    executor.shutdown()


def logged_in(browser, server, user):
    """A page of the site with ``user`` logged in (a session made here, its cookie handed to
    the browser: this tests the notifications, not the login form)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context()
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server.url}]
    )
    page = context.new_page()
    page.goto(f"{server.url}/")
    page.wait_for_function(
        "window.liveNotifications && window.liveNotifications.state().connected"
        " && window.liveNotifications.state().caughtUp > 0"
    )
    return page


def token(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


def shown_ids(page) -> list[int]:
    return page.eval_on_selector_all(
        ITEMS, "items => items.map(li => Number(li.dataset.notificationId))"
    )


def test_it_shows_a_push_catches_up_a_lost_one_and_marks_read(
    server, browser, case, reporter, xunyang_officer, xunyang_officer_2
):
    do_save_survey(case, full_survey(on=timezone.localdate()), actor=reporter)
    page = logged_in(browser, server, xunyang_officer)
    transitions = f"/api/v1/cases/{case.pk}/transitions"

    assert http(server, "POST", f"{transitions}/submit_survey/", token(reporter), {})[0] == 200
    page.wait_for_function(f"{BADGE}.textContent === '1' && !{BADGE}.hidden", timeout=5000)
    assert page.text_content(ITEMS).startswith(case.union.name)

    (lost,) = write([Draft(xunyang_officer, "roster_stale", {"union": case.union.name})])
    page.wait_for_timeout(500)
    assert len(shown_ids(page)) == 1  # its push went to another channel layer: lost
    status, _ = http(
        server,
        "POST",
        f"{transitions}/return_survey/",
        token(xunyang_officer_2),
        {"comment": "缺花名册"},
    )
    assert status == 200
    page.wait_for_function(f"document.querySelectorAll('{ITEMS}').length === 3", timeout=5000)

    mine = list(Notification.objects.filter(recipient=xunyang_officer).values_list("id", flat=True))
    assert shown_ids(page) == sorted(mine, reverse=True)  # newest first, none twice
    assert lost.pk in mine
    page.wait_for_function(f"{BADGE}.textContent === '3'", timeout=5000)

    page.click("[data-notifications] summary")
    page.click(f"li[data-notification-id='{lost.pk}'] [data-mark-read]")
    page.wait_for_function(f"{BADGE}.textContent === '2'", timeout=5000)
    assert Notification.objects.get(pk=lost.pk).read
    page.click("[data-notification-mark-all]")
    page.wait_for_function(f"{BADGE}.hidden", timeout=5000)
    assert not Notification.objects.filter(recipient=xunyang_officer, read=False).exists()
    assert page.eval_on_selector_all(f"{ITEMS}.unread", "items => items.length") == 0
    page.context.close()


def test_it_reconnects_after_a_server_restart_and_catches_up(
    server, browser, case, xunyang_officer
):
    page = logged_in(browser, server, xunyang_officer)

    server.stop()
    page.wait_for_function("!window.liveNotifications.state().connected", timeout=5000)
    missed = write(
        [Draft(xunyang_officer, "roster_stale", {"union": n}) for n in ("甲工会", "乙工会")]
    )
    server.start()

    page.wait_for_function(f"document.querySelectorAll('{ITEMS}').length === 2", timeout=20000)
    assert shown_ids(page) == [missed[1].pk, missed[0].pk]
    assert page.evaluate("window.liveNotifications.state().connected")
    page.wait_for_function(f"{BADGE}.textContent === '2'", timeout=5000)
    page.context.close()


def test_it_never_renders_a_comment_as_html(server, browser, case, xunyang_officer):
    page = logged_in(browser, server, xunyang_officer)
    hostile = '<img src=x onerror="window.pwned=1">'

    write([Draft(xunyang_officer, "return_survey", {"union": "甲", "comment": hostile})])
    page.reload()  # its push went elsewhere; the page loads it from the rows
    page.wait_for_function(f"document.querySelectorAll('{ITEMS}').length === 1", timeout=5000)

    assert hostile in page.text_content(ITEMS)
    assert page.evaluate("window.pwned") is None
    page.context.close()
