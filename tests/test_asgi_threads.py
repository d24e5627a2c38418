"""config.asgi keeps each request's thread for later requests (issue 7: a new thread per request,
and another to join it, cost about 1.3 ms of CPU each), but never gives a thread still busy with
one request to another.

The requests are real ASGI calls into the project's application, in this process: an API call
without credentials, which DRF answers 401 before any query.
"""

from __future__ import annotations

import asyncio
import threading

from config.asgi import RequestThread, SyncChainASGIHandler


def _scope() -> dict:
    path = "/api/v1/federations/"
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


async def _request(app) -> int:
    sent: list[dict] = []
    answered = asyncio.Event()

    async def receive():
        if not sent and not answered.is_set():
            answered.set()
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays connected

    async def send(message):
        sent.append(message)

    await app(_scope(), receive, send)
    return sent[0]["status"]


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
