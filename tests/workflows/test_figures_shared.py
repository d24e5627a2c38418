"""The pages' figures are kept in a cache every server process shares when ``REDIS_URL`` is set:
one process computes them, the others read that copy, and an event written through any process
makes the next reader compute them afresh. Clearing that cache leaves the channel layer's keys,
which live in the same Redis database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache, caches

from workflows import figures
from workflows.models import Stage

ROOT = Path(__file__).resolve().parents[2]
on_redis = pytest.mark.skipif(
    not settings.REDIS_URL, reason="a cache shared by processes needs REDIS_URL; CI sets it"
)


def cache_settings(**env: str) -> str:
    """The cache backend and key prefix a process started with these variables configures."""
    base = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    code = (
        "from config import settings as s; c = s.CACHES['default']; "
        "print(c['BACKEND'], c.get('KEY_PREFIX', ''))"
    )
    return subprocess.run(  # noqa: S603 - our own interpreter and settings module
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()


def test_it_uses_redis_with_a_key_prefix_when_redis_url_is_set():
    assert cache_settings(REDIS_URL="redis://127.0.0.1:6379/3") == (
        "lib.cache.PrefixedRedisCache liuyou"
    )
    assert cache_settings() == "django.core.cache.backends.locmem.LocMemCache"


@pytest.mark.django_db
def test_two_processes_read_one_copy_and_an_event_renews_it_for_both(
    walk_case, xunyang_officer, monkeypatch, django_assert_num_queries
):
    """Each "process" has a cache connection of its own (``create_connection``: its own Redis
    connection pool), as each server process would."""
    first, second = caches.create_connection("default"), caches.create_connection("default")
    case = walk_case(Stage.SURVEY_REVIEW)
    county = case.union.federation_id

    monkeypatch.setattr(figures, "cache", first)
    _figures, computed = figures.current_figures_by_federation(case.campaign)
    monkeypatch.setattr(figures, "cache", second)
    with django_assert_num_queries(1):  # the newest event's id; the figures from the first's copy
        _figures, read = figures.current_figures_by_federation(case.campaign)
    assert read == computed

    from workflows.services import do_transition

    do_transition(case.pk, "accept_survey", actor=xunyang_officer)
    renewed, renewed_at = figures.current_figures_by_federation(case.campaign)
    assert renewed_at > computed
    assert renewed[county]["stages"][Stage.ASSESSMENT] == 1
    monkeypatch.setattr(figures, "cache", first)
    with django_assert_num_queries(1):  # the second's new copy, not the first's old one
        again, at = figures.current_figures_by_federation(case.campaign)
    assert (at, again[county]["stages"][Stage.ASSESSMENT]) == (renewed_at, 1)


@on_redis
def test_clearing_the_cache_leaves_the_channel_layers_keys():
    redis = cache._cache.get_client(write=True)
    channel_key = "asgi:group:figcache-test"  # a key as channels-redis names them
    redis.set(channel_key, "kept")
    cache.set("workflows.figures:1", "old", version=1)
    cache.set("workflows.figures:1", "old", version=2)
    try:
        cache.clear()
        assert redis.get(channel_key) == b"kept"
        assert cache.get("workflows.figures:1", version=1) is None
        assert cache.get("workflows.figures:1", version=2) is None
    finally:
        redis.delete(channel_key)


def closed_port() -> int:
    """A local port nothing listens on: connecting to it is refused at once."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_the_figures_are_computed_when_redis_cannot_be_reached(walk_case, caplog, monkeypatch):
    """A Redis that is down is a miss: the page's figures are computed, nothing is kept, and
    the warning says why (a real refused connection, not a stand-in)."""
    from lib.cache import PrefixedRedisCache

    down = PrefixedRedisCache(
        f"redis://127.0.0.1:{closed_port()}/0",
        {"KEY_PREFIX": "liuyou", "OPTIONS": {"socket_connect_timeout": 1}},
    )
    case = walk_case(Stage.SURVEY_REVIEW)
    monkeypatch.setattr(figures, "cache", down)

    computed, _at = figures.current_figures_by_federation(case.campaign)

    assert computed[case.union.federation_id]["stages"][Stage.SURVEY_REVIEW] == 1
    assert down.get("anything", "default") == "default"
    assert down.set_many({"a": 1}) == ["a"]
    assert not down.clear()
    assert "Redis unreachable" in caplog.text
