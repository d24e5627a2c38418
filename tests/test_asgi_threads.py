"""config.asgi keeps each request's thread for later requests (issue 7: a new thread per request,
and another to join it, cost about 1.3 ms of CPU each), but never gives a thread still busy with
one request to another; and it reaches that thread once per request, with the request's signals,
middleware, view and response all run there.

The requests are real ASGI calls into the project's application, in this process: an API call
without credentials, which DRF answers 401 before any query, and a streaming view of this
module's own.
"""

from __future__ import annotations

import asyncio
import threading

from django.core import signals
from django.http import StreamingHttpResponse
from django.test import override_settings
from django.urls import path as route

from config.asgi import RequestThread, SyncChainASGIHandler


async def _parts():
    for part in (b"one ", b"two"):
        yield part


def _streaming_view(request):
    return StreamingHttpResponse(_parts())


urlpatterns = [route("stream/", _streaming_view)]


def _scope(path: str = "/api/v1/federations/") -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 10000),
        "server": ("testserver", 80),
    }


async def _request(app, path: str = "/api/v1/federations/", sent: list | None = None) -> int:
    sent = [] if sent is None else sent
    answered = asyncio.Event()

    async def receive():
        if not sent and not answered.is_set():
            answered.set()
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays connected

    async def send(message):
        sent.append(message)

    await app(_scope(path), receive, send)
    return next(m["status"] for m in sent if m["type"] == "http.response.start")


def test_it_serves_requests_one_after_another_in_one_thread():
    app = SyncChainASGIHandler()

    async def three():
        statuses = [await _request(app)]
        first = list(app._idle)
        statuses += [await _request(app), await _request(app)]
        return statuses, first

    statuses, first = asyncio.run(three())

    assert statuses == [401, 401, 401]
    assert len(first) == 1
    assert app._idle == first  # the same thread, kept


def test_it_gives_concurrent_requests_a_thread_each_and_keeps_them():
    app = SyncChainASGIHandler()

    async def together():
        return await asyncio.gather(*(_request(app) for _ in range(4)))

    assert asyncio.run(together()) == [401] * 4
    assert len(app._idle) == 4
    assert len({id(thread) for thread in app._idle}) == 4


def test_it_keeps_no_more_idle_threads_than_its_limit():
    app = SyncChainASGIHandler()
    app.IDLE_THREADS = 2

    async def together():
        return await asyncio.gather(*(_request(app) for _ in range(5)))

    assert asyncio.run(together()) == [401] * 5
    assert len(app._idle) == 2


def test_it_does_not_keep_a_thread_still_running_a_request():
    release = threading.Event()

    class LeavesWorkBehind(SyncChainASGIHandler):
        """A request whose client went away while its view still runs in the thread."""

        async def handle(self, scope, receive, send):
            from asgiref.sync import SyncToAsync

            executor = SyncToAsync.context_to_thread_executor[
                SyncToAsync.thread_sensitive_context.get()
            ]
            executor.submit(release.wait)

    app = LeavesWorkBehind()
    try:
        asyncio.run(app(_scope(), None, None))
        assert app._idle == []
    finally:
        release.set()


def test_it_counts_the_work_a_request_thread_has_not_finished():
    thread = RequestThread()
    release = threading.Event()
    try:
        future = thread.submit(release.wait)
        assert thread.pending == 1
        release.set()
        future.result(timeout=5)
        # The count drops in the future's callback, which runs just after the result is set.
        for _ in range(500):
            if thread.pending == 0:
                break
            threading.Event().wait(0.01)
        assert thread.pending == 0
    finally:
        release.set()
        thread.shutdown()


class CountingThread(RequestThread):
    def __init__(self):
        super().__init__()
        self.calls = 0

    def submit(self, fn, /, *args, **kwargs):
        self.calls += 1
        return super().submit(fn, *args, **kwargs)


class SignalLog:
    """Appends the request signals, as they are sent, to ``into``: ``{"type", "thread"}``."""

    def __init__(self, into: list):
        self.into = into

    def started(self, **kwargs):
        self.into.append({"type": "request_started", "thread": threading.get_ident()})

    def finished(self, **kwargs):
        self.into.append({"type": "request_finished", "thread": threading.get_ident()})

    def __enter__(self):
        signals.request_started.connect(self.started)
        signals.request_finished.connect(self.finished)
        return self

    def __exit__(self, *exc):
        signals.request_started.disconnect(self.started)
        signals.request_finished.disconnect(self.finished)


def _thread_ident(thread: RequestThread) -> int:
    return thread.submit(threading.get_ident).result(timeout=5)


async def _two_in_turn(app) -> list[int]:
    return [await _request(app), await _request(app)]


def test_it_reaches_the_request_thread_once_per_request_and_sends_its_signals_there():
    app = SyncChainASGIHandler()
    thread = CountingThread()
    app._idle.append(thread)
    log: list[dict] = []
    with SignalLog(log):
        statuses = asyncio.run(_two_in_turn(app))

    assert statuses == [401, 401]
    assert thread.calls == 2  # one switch for each request, not three
    ident = _thread_ident(thread)
    started = {"type": "request_started", "thread": ident}
    finished = {"type": "request_finished", "thread": ident}
    assert log == [started, finished] * 2
    thread.shutdown()


@override_settings(ROOT_URLCONF=__name__)
def test_it_closes_a_streaming_response_after_its_body_is_sent():
    app = SyncChainASGIHandler()
    sent: list[dict] = []
    with SignalLog(sent):
        status = asyncio.run(_request(app, "/stream/", sent))

    assert status == 200
    assert [message["type"] for message in sent] == [
        "request_started",
        "http.response.start",
        "http.response.body",
        "http.response.body",
        "http.response.body",
        "request_finished",
    ]
    assert b"".join(message.get("body", b"") for message in sent) == b"one two"
