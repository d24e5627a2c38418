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
