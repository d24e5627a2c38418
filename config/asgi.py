"""One ASGI application serves pages, API and WebSockets.

WebSockets pass ``notifications.auth.notification_stack``: the Origin check (a browser's Origin
must match ALLOWED_HOSTS; a client without Origin may log in with an API token only), then the
session cookie, then the API token.
"""

import gc
import os
import threading
from concurrent.futures import ThreadPoolExecutor

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402
from asgiref.sync import ThreadSensitiveContext, sync_to_async  # noqa: E402
from django.core import signals  # noqa: E402
from django.core.exceptions import RequestAborted  # noqa: E402
from django.core.handlers.asgi import ASGIHandler, get_script_prefix  # noqa: E402
from django.http import FileResponse  # noqa: E402
from django.urls import set_script_prefix  # noqa: E402

django.setup(set_prefix=False)


class RequestThread(ThreadPoolExecutor):
    """The one thread a request's synchronous code runs in, kept for later requests.

    ``pending`` counts the calls submitted and not yet finished: a request whose coroutine was
    cancelled (its client went away) may leave its view still running in the thread, and such
    a thread is not given to another request.
    """

    def __init__(self):
        super().__init__(max_workers=1, thread_name_prefix="request")
        self.pending = 0
        self._count = threading.Lock()

    def submit(self, fn, /, *args, **kwargs):
        with self._count:
            self.pending += 1
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _future):
        with self._count:
            self.pending -= 1


class SyncChainASGIHandler(ASGIHandler):
    """Django's ASGI handler, with the middleware chain and the view run as one synchronous call.

    Every view and middleware of this project is synchronous. Django's own ASGI handler builds
    the chain for async: each ``MiddlewareMixin`` then runs its ``process_request`` and
    ``process_response`` through ``sync_to_async``, a sync-only middleware switches back with
    ``async_to_sync``, and the view is one more switch, about twenty hops between the event
    loop and the request's thread per request. Here the chain is the one Django builds for WSGI,
    entered once from the event loop in the request's thread: the same middleware, in the
    same order, at one switch.

    Each request's thread is reused by later requests (one at a time), as a threaded WSGI
    server reuses its threads. Django's own handler gives each request a new executor: a new
    thread to run the request and, when it ends, another to join the first, about 1.3 ms of CPU
    per request measured in-process (bench/bench_http_cpu.py). Nothing a request leaves in its
    thread outlives it: the database connection goes back to the pool on ``request_finished``,
    as under a threaded WSGI server.
    """

    # Threads kept idle between requests: a burst beyond this many concurrent requests gets
    # threads that end with their request, as every request's did before.
    IDLE_THREADS = 32

    def __init__(self):
        super().__init__()
        self._idle: list[RequestThread] = []

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        thread = self._idle.pop() if self._idle else RequestThread()
        try:
            async with ThreadSensitiveContext(executor=thread):
                await self.handle(scope, receive, send)
        finally:
            if thread.pending == 0 and len(self._idle) < self.IDLE_THREADS:
                self._idle.append(thread)
            else:
                thread.shutdown(wait=False)

    async def handle(self, scope, receive, send):
        """Django's ``handle`` with one switch to the request's thread instead of three.

        Django's reaches the thread three times: the ``request_started`` signal, the view, and
        ``response.close()`` (which sends ``request_finished``, returning the database
        connection to the pool). Each switch is a wake-up of the thread and of the event loop,
        under load the largest part of the server's own CPU per request. Here all three run
        in one call; a streaming response is closed once it has been sent, as in Django.

        Django also races the view against a task listening for the client's disconnect, to
        cancel an async view. A synchronous view cannot be cancelled: it runs to its end in
        its thread whatever the client does (as under WSGI), so that task is left out. If the
        server cancels this coroutine, ``__call__`` keeps the still-busy thread from others.
        """
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            response = await sync_to_async(self.respond, thread_sensitive=True)(scope, body_file)
            await self.send_response(response, send)
            if response.streaming:
                await sync_to_async(response.close, thread_sensitive=True)()
        finally:
            body_file.close()

    def respond(self, scope, body_file):
        """In the request's thread: the request's signals, middleware and view; the response."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        if not response.streaming:
            response.close()
        return response


django_asgi_app = SyncChainASGIHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from notifications.auth import notification_stack  # noqa: E402
from notifications.routing import websocket_urlpatterns  # noqa: E402

# Everything loaded so far (Django, the apps, their modules) lives as long as the process.
# Freezing it keeps the garbage collector from walking it again on every full collection, which
# stalls every socket of the process at once: in bench/bench_push.py it cut the p99 from commit
# to 500 sockets from about 300-380 ms to about 220-230 ms (bench/RESULTS.md).
gc.freeze()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": notification_stack(URLRouter(websocket_urlpatterns)),
    }
)
