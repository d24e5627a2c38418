"""Across processes, as in production: two daphne processes on one PostgreSQL database and one
Redis, a transition made through process one's HTTP API, the officer's socket on process two.

These need PostgreSQL (the servers must see the data the test commits, in the test database
pytest-django made) and REDIS_URL set (CI runs them on PG + Redis). They start their own
redis-server on a free port, so stopping it touches nobody else's.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from inspections.services import do_save_survey
from lib.demo_survey import full_survey
from notifications.models import Notification
from workflows.models import Stage

from .live import Daphne, RedisServer, database_url, http, server_env

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PUSH_WAIT = 5.0  # seconds a push may take from commit to socket, at most


def _skip_reason() -> str | None:
    if connection.vendor != "postgresql":
        return (
            "cross-process push needs PostgreSQL: the daphne processes must share the test database"
        )
    if not settings.REDIS_URL:
        return "cross-process push needs REDIS_URL (the Redis channel layer); CI sets it"
    if shutil.which("redis-server") is None:
        return "redis-server is not installed (apt-get install redis-server)"
    return None


@pytest.fixture(scope="module")
def redis(django_db_setup, tmp_path_factory):
    if reason := _skip_reason():
        pytest.skip(reason)
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def servers(redis, django_db_setup, tmp_path_factory):
    logs = tmp_path_factory.mktemp("daphne")
    env = server_env(database_url(connection.settings_dict), redis.url)
    started = []
    try:
        for name in ("one", "two"):
            started.append(Daphne(env, logs, name))
        yield started
    finally:
        for server in started:
            server.close()


@pytest.fixture(autouse=True)
def redis_running(redis):
    """A test may stop Redis; the next one finds it running again."""
    if not redis.ping():
        redis.start()


def token(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


async def open_socket(server: Daphne, key: str, *, deadline: float = 0.0):
    """A token client's socket (no Origin, as a script's). With ``deadline``, keep retrying
    until then, as a client reconnecting with backoff does."""
    stop = time.monotonic() + deadline
    while True:
        try:
            return await connect(
                server.ws_url,
                additional_headers=[("Authorization", f"Token {key}")],
                proxy=None,
                open_timeout=5,
            )
        except (OSError, InvalidHandshake):
            if time.monotonic() >= stop:
                raise
            await asyncio.sleep(0.2)


def call(server, method, path, key, body=None):
    return asyncio.to_thread(http, server, method, path, key, body)


def test_it_pushes_a_transition_made_on_one_process_to_a_socket_on_the_other(
    servers, case, reporter, xunyang_officer, wuning_officer
):
    one, two = servers
    do_save_survey(case, full_survey(on=timezone.localdate()), actor=reporter)
    keys = {user.username: token(user) for user in (reporter, xunyang_officer, wuning_officer)}
    path = f"/api/v1/cases/{case.pk}/transitions/submit_survey/"

    async def scenario():
        xunyang = await open_socket(two, keys["xunyang"])
        wuning = await open_socket(two, keys["wuning"])
        status, _ = await call(one, "POST", path, keys["reporter"], {"comment": ""})
        committed = time.monotonic()
        pushed = json.loads(await asyncio.wait_for(xunyang.recv(), PUSH_WAIT))
        latency = time.monotonic() - committed
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(wuning.recv(), 1.0)
        listed = await call(two, "GET", "/api/v1/notifications/?after=0", keys["xunyang"])
        await xunyang.close()
        await wuning.close()
        return status, pushed, latency, listed

    status, pushed, latency, (list_status, listed) = asyncio.run(scenario())

    assert status == 200, one.log_tail()
    row = Notification.objects.get(recipient=xunyang_officer, kind="submit_survey")
    assert pushed["id"] == row.pk and pushed["case"] == case.pk
    assert latency < PUSH_WAIT
    assert list_status == 200 and listed == [pushed]  # the socket and the API send one object
    assert not Notification.objects.filter(recipient=wuning_officer).exists()


def test_it_commits_while_redis_is_down_and_the_client_catches_up_when_it_returns(
    servers, redis, case, reporter, xunyang_officer, xunyang_officer_2
):
    one, two = servers
    do_save_survey(case, full_survey(on=timezone.localdate()), actor=reporter)
    keys = {user.username: token(user) for user in (reporter, xunyang_officer, xunyang_officer_2)}
    base = f"/api/v1/cases/{case.pk}/transitions"

    async def while_down():
        socket = await open_socket(two, keys["xunyang"])
        _, unread = await call(two, "GET", "/api/v1/notifications/unread/", keys["xunyang"])
        redis.stop()
        with pytest.raises(ConnectionClosed) as closed:  # its channel layer is gone
            await asyncio.wait_for(socket.recv(), 10)
        started = time.monotonic()
        status, body = await call(one, "POST", f"{base}/submit_survey/", keys["reporter"], {})
        return unread["last_id"], closed.value.rcvd.code, status, time.monotonic() - started

    cursor, close_code, status, took = asyncio.run(while_down())

    assert close_code == 4503
    assert status == 200, one.log_tail()
    assert took < 5.0  # a refused connection is given up at once, not waited on
    case.refresh_from_db()
    assert case.stage == Stage.SURVEY_REVIEW
    missed = Notification.objects.get(recipient=xunyang_officer, kind="submit_survey")
    redis.start()

    async def after_return():
        socket = await open_socket(two, keys["xunyang"], deadline=15)
        _, caught_up = await call(
            two, "GET", f"/api/v1/notifications/?after={cursor}", keys["xunyang"]
        )
        status, _ = await call(
            one, "POST", f"{base}/return_survey/", keys["xunyang2"], {"comment": "请补充花名册"}
        )
        pushed = json.loads(await asyncio.wait_for(socket.recv(), PUSH_WAIT))
        await socket.close()
        return caught_up, status, pushed

    caught_up, status, pushed = asyncio.run(after_return())

    assert [n["id"] for n in caught_up] == [missed.pk]
    assert status == 200
    assert pushed["kind"] == "return_survey"
    assert pushed["previous"] == missed.pk  # the chain the client holds has no gap


def test_it_keeps_an_idle_socket_open(servers, case, reporter, xunyang_officer):
    """channels-redis waits for messages with a 5-second BZPOPMIN; redis-py 8 gives up reading
    after its default 5-second socket timeout. Unless the layer's socket timeout is longer,
    every socket idle for 5 seconds is torn down (django/channels_redis#422)."""
    one, two = servers
    do_save_survey(case, full_survey(on=timezone.localdate()), actor=reporter)
    keys = {user.username: token(user) for user in (reporter, xunyang_officer)}

    async def scenario():
        socket = await open_socket(two, keys["xunyang"])
        with pytest.raises(TimeoutError):  # nothing to say for 8 s, and still open after
            await asyncio.wait_for(socket.recv(), 8.0)
        path = f"/api/v1/cases/{case.pk}/transitions/submit_survey/"
        status, _ = await call(one, "POST", path, keys["reporter"], {})
        pushed = json.loads(await asyncio.wait_for(socket.recv(), PUSH_WAIT))
        await socket.close()
        return status, pushed

    status, pushed = asyncio.run(scenario())

    assert status == 200
    assert pushed["kind"] == "submit_survey"
