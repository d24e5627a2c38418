"""One ASGI application serves pages, API and WebSockets.

WebSockets pass ``notifications.auth.notification_stack``: the Origin check (a browser's Origin
must match ALLOWED_HOSTS; a client without Origin may log in with an API token only), then the
session cookie, then the API token.
"""

import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

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
