"""Pages are Chinese first, whatever the browser asks for; English when the reader chooses it."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_it_shows_the_login_page_in_chinese_to_a_browser_that_asks_for_english():
    response = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert response.status_code == 200
    assert 'lang="zh-hans"' in response.content.decode()


def test_it_shows_english_once_the_reader_chooses_it():
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})

    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="zh-CN")

    assert 'lang="en"' in response.content.decode()


def test_it_keeps_accept_language_for_api_clients():
    response = Client().get("/api/v1/federations/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 401
    assert response.headers["Content-Language"] == "en"


def test_it_keeps_a_logged_in_readers_choice_for_their_notifications(xunyang_officer):
    client = Client()
    client.force_login(xunyang_officer)

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    assert response.status_code == 302
    xunyang_officer.refresh_from_db()
    assert xunyang_officer.language == "en"
    latest = xunyang_officer.history.order_by("-history_id").first()
    assert latest.history_user_id == xunyang_officer.pk
    assert latest.history_change_reason in {"Language chosen", "选择界面语言"}


def test_it_ignores_a_language_the_system_does_not_speak(xunyang_officer):
    client = Client()
    client.force_login(xunyang_officer)

    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})

    xunyang_officer.refresh_from_db()
    assert xunyang_officer.language == "zh-hans"
