"""Across processes, as in production: two uvicorn processes on one PostgreSQL database and one
Redis, a transition made through process one's HTTP API, the officer's socket on process two.

These need PostgreSQL (the servers must see the data the test commits, in the test database
pytest-django made) and REDIS_URL set (CI runs them on PG + Redis). They start their own
redis-server on a free port, so stopping it touches nobody else's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import signal
import time

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token
from websockets.asyncio.client import connect
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

from inspections.services import do_save_survey
from lib.demo_survey import full_survey
from notifications.models import Notification
from workflows.models import Stage

from .live import RedisServer, Uvicorn, database_url, http, server_env

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PUSH_WAIT = 5.0  # seconds a push may take from commit to socket, at most
# The pinging server's keepalive (production pings every 20 s and waits 20 s for the pong):
# short, so a test sees several pings, and a missing pong, in a few seconds.
PING_INTERVAL, PING_TIMEOUT = 0.25, 1.5


def _skip_reason() -> str | None:
    if connection.vendor != "postgresql":
        return "cross-process push needs PostgreSQL: the uvicorn processes must share the test database"
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
    logs = tmp_path_factory.mktemp("uvicorn")
    env = server_env(database_url(connection.settings_dict), redis.url)
    started = []
    try:
        for name in ("one", "two"):
            started.append(Uvicorn(env, logs, name))
        yield started
    finally:
        for server in started:
            server.close()


@pytest.fixture(scope="module")
def pinging(servers, redis, tmp_path_factory):
    """A third process on the same database and Redis whose only difference from production is
    its keepalive, shortened on its own command line (``PING_INTERVAL``, ``PING_TIMEOUT``)."""
    env = server_env(database_url(connection.settings_dict), redis.url)
    options = ("--ws-ping-interval", str(PING_INTERVAL), "--ws-ping-timeout", str(PING_TIMEOUT))
    server = Uvicorn(env, tmp_path_factory.mktemp("uvicorn"), "pinging", options)
    yield server
    server.close()


@pytest.fixture(autouse=True)
def redis_running(redis):
    """A test may stop Redis; the next one finds it running again."""
    if not redis.ping():
        redis.start()


def token(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


async def open_socket(server: Uvicorn, key: str, *, deadline: float = 0.0):
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


async def reconnect_catch_up_and_push(one, two, keys, base, cursor):
    """What a browser does when it is back: open a socket on ``two``, read what it missed since
    ``cursor``, and get the next push, a return of the survey made on ``one``. Returns the
    notifications caught up, the return's status and the push."""
    socket = await open_socket(two, keys["xunyang"], deadline=15)
    _, caught_up = await call(two, "GET", f"/api/v1/notifications/?after={cursor}", keys["xunyang"])
    status, _ = await call(
        one, "POST", f"{base}/return_survey/", keys["xunyang2"], {"comment": "请补充花名册"}
    )
    pushed = json.loads(await asyncio.wait_for(socket.recv(), PUSH_WAIT))
    await socket.close()
    return caught_up, status, pushed


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

    caught_up, status, pushed = asyncio.run(
        reconnect_catch_up_and_push(one, two, keys, base, cursor)
    )

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


class _Pongs(logging.Handler):
    """Counts the pongs a ``websockets`` client sends (it logs each frame at DEBUG)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("> PONG"):
            self.count += 1


def test_it_keeps_a_socket_open_through_pings_its_client_answers(
    servers, pinging, case, reporter, xunyang_officer
):
    """Eight pings answered span two seconds, longer than one ping's wait for its pong
    (``PING_TIMEOUT``): a server that did not take the pongs would have closed the socket."""
    one, _ = servers
    do_save_survey(case, full_survey(on=timezone.localdate()), actor=reporter)
    keys = {user.username: token(user) for user in (reporter, xunyang_officer)}
    pongs = _Pongs()
    logger = logging.getLogger("tests.notifications.pings")
    logger.propagate, logger.level = False, logging.DEBUG
    logger.addHandler(pongs)

    async def scenario():
        socket = await connect(
            pinging.ws_url,
            additional_headers=[("Authorization", f"Token {keys['xunyang']}")],
            proxy=None,
            open_timeout=5,
            ping_interval=None,  # only the server pings
            logger=logger,
        )
        stop = time.monotonic() + 30
        while pongs.count < 8 and time.monotonic() < stop:
            await asyncio.sleep(0.05)
        answered = pongs.count
        path = f"/api/v1/cases/{case.pk}/transitions/submit_survey/"
        status, _ = await call(one, "POST", path, keys["reporter"], {})
        pushed = json.loads(await asyncio.wait_for(socket.recv(), PUSH_WAIT))
        await socket.close()
        return answered, status, pushed

    try:
        answered, status, pushed = asyncio.run(scenario())
    finally:
        logger.removeHandler(pongs)

    assert answered >= 8, pinging.log_tail()
    assert status == 200
    assert pushed["kind"] == "submit_survey"


def test_it_closes_a_socket_whose_client_does_not_answer_pings(pinging, xunyang_officer):
    """A client that vanished without closing (it answers nothing) loses its socket after one
    ping and ``PING_TIMEOUT``, with 1011. The client here is ``websockets``' Sans-I/O protocol
    on a plain TCP connection, whose pongs are never sent."""
    key = token(xunyang_officer)

    async def scenario():
        protocol = ClientProtocol(parse_uri(pinging.ws_url))
        request = protocol.connect()
        request.headers["Authorization"] = f"Token {key}"
        protocol.send_request(request)
        reader, writer = await asyncio.open_connection("127.0.0.1", pinging.port)
        writer.write(b"".join(protocol.data_to_send()))
        await writer.drain()
        handshake, pings = None, 0
        while protocol.close_rcvd is None:
            data = await asyncio.wait_for(reader.read(65536), 30)
            if not data:
                break
            protocol.receive_data(data)
            for event in protocol.events_received():
                if isinstance(event, Response):
                    handshake = event.status_code
                elif isinstance(event, Frame) and event.opcode is Opcode.PING:
                    pings += 1
            protocol.data_to_send()  # the pongs it wrote are dropped, never sent
        writer.close()
        return handshake, pings, protocol.close_rcvd

    handshake, pings, close = asyncio.run(scenario())

    assert handshake == 101
    assert pings == 1  # the next ping waits for the pong that never comes
    assert close is not None and close.code == 1011


def test_it_closes_sockets_on_a_graceful_stop_and_the_client_reconnects_and_catches_up(
    servers, case, reporter, xunyang_officer, xunyang_officer_2
):
    """SIGTERM, as systemd stops a process for a release: uvicorn closes each socket with 1012
    (service restart) and exits by itself; the client reconnects to the restarted process,
    fetches what it missed after its cursor, and receives pushes again."""
    one, two = servers
    do_save_survey(case, full_survey(on=timezone.localdate()), actor=reporter)
    keys = {user.username: token(user) for user in (reporter, xunyang_officer, xunyang_officer_2)}
    base = f"/api/v1/cases/{case.pk}/transitions"

    async def stopping():
        socket = await open_socket(two, keys["xunyang"])
        _, unread = await call(two, "GET", "/api/v1/notifications/unread/", keys["xunyang"])
        await asyncio.to_thread(two.stop)
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 10)
        status, _ = await call(one, "POST", f"{base}/submit_survey/", keys["reporter"], {})
        return unread["last_id"], closed.value.rcvd, two.process.returncode, status

    try:
        cursor, close, exit_code, status = asyncio.run(stopping())
    finally:
        two.start()

    assert close is not None and close.code == 1012
    # It stopped by itself: after its graceful shutdown uvicorn re-raises the signal it stopped
    # for (SIGTERM); a process killed after 20 s would show SIGKILL.
    assert exit_code == -signal.SIGTERM, two.log_tail()
    assert "Finished server process" in two.log_tail()
    assert status == 200, one.log_tail()
    missed = Notification.objects.get(recipient=xunyang_officer, kind="submit_survey")

    caught_up, status, pushed = asyncio.run(
        reconnect_catch_up_and_push(one, two, keys, base, cursor)
    )

    assert [n["id"] for n in caught_up] == [missed.pk]
    assert status == 200
    assert pushed["kind"] == "return_survey"
    assert pushed["previous"] == missed.pk
