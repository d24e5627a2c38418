"""One ASGI application serves pages, API and WebSockets.

WebSockets pass ``notifications.auth.notification_stack``: the Origin check (a browser's Origin
must match ALLOWED_HOSTS; a client without Origin may log in with an API token only), then the
session cookie, then the API token.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from notifications.auth import notification_stack  # noqa: E402
from notifications.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": notification_stack(URLRouter(websocket_urlpatterns)),
    }
)
