"""One ASGI application serves pages, API and WebSockets.

WebSockets pass ``notifications.auth.notification_stack``: the Origin check (a browser's Origin
must match ALLOWED_HOSTS; a client without Origin may log in with an API token only), then the
session cookie, then the API token.
"""

import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402
from asgiref.sync import sync_to_async  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402

django.setup(set_prefix=False)


class SyncChainASGIHandler(ASGIHandler):
    """Django's ASGI handler, with the middleware chain and the view run as one synchronous call.

    Every view and middleware of this project is synchronous. Django's own ASGI handler builds
    the chain for async: each ``MiddlewareMixin`` then runs its ``process_request`` and
    ``process_response`` through ``sync_to_async``, a sync-only middleware switches back with
    ``async_to_sync``, and the view is one more switch, about twenty hops between the event
    loop and the request's thread per request. Here the chain is the one Django builds for WSGI,
    entered once from the event loop in the request's thread (each request still has its own,
    ``ThreadSensitiveContext``): the same middleware, in the same order, at one switch.
    """

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


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
