"""Who may open /ws/notifications/, and as whom.

The stack, outermost first (``notification_stack``):

1. ``OriginCheck``. A browser sends an ``Origin`` header with every WebSocket handshake and sends
   the user's cookies along to any site's socket, so a page elsewhere could otherwise listen
   with the officer's session (cross-site WebSocket hijacking). Hence:
   - ``Origin`` present: it must match ``ALLOWED_HOSTS`` (channels' ``OriginValidator`` does the
     matching), else the handshake is refused with 403.
   - ``Origin`` absent: not a browser (a script, another system). It is let in, but its cookies
     are dropped, so the only way it can log in is an API token.
   channels' ``AllowedHostsOriginValidator`` refuses a missing ``Origin`` outright (unless
   ``ALLOWED_HOSTS`` holds ``*``), which would shut out the token clients API.md promises.
2. channels' ``AuthMiddlewareStack``: the session cookie (pages).
3. ``TokenAuthMiddleware``: an API token in an ``Authorization: Token …`` header or ``?token=``
   replaces the session user; a token that is wrong logs nobody in (no fallback to the cookie).

``scope["credentials"]`` records how the socket logged in, so the consumer can check later that
the session or token still holds.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser


class OriginCheck(OriginValidator):
    def __init__(self, application):
        allowed = list(settings.ALLOWED_HOSTS)
        if settings.DEBUG and not allowed:  # as Django and channels do for an empty list
            allowed = ["localhost", "127.0.0.1", "[::1]"]
        super().__init__(application, allowed)

    async def __call__(self, scope, receive, send):
        headers = scope.get("headers", [])
        if scope["type"] == "websocket" and not any(name == b"origin" for name, _ in headers):
            scope = dict(scope, headers=[(n, v) for n, v in headers if n != b"cookie"])
            return await self.application(scope, receive, send)
        return await super().__call__(scope, receive, send)


def token_from_scope(scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            parts = value.decode("latin-1").split()
            if len(parts) == 2 and parts[0].lower() == "token":
                return parts[1]
            return ""  # another scheme: not a token we know, and not a reason to use the cookie
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if query.get("token"):
        return query["token"][-1]
    return None


@database_sync_to_async
def user_for_token(key: str, user_id: int | None = None):
    from rest_framework.authtoken.models import Token

    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return AnonymousUser()
    if user_id is not None and token.user_id != user_id:
        return AnonymousUser()
    return token.user


class TokenAuthMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        key = token_from_scope(scope)
        if key is None:
            credentials = ("session", None)
        else:
            user = await user_for_token(key) if key else AnonymousUser()
            scope = dict(scope, user=user)
            credentials = ("token", key)
        return await self.inner(dict(scope, credentials=credentials), receive, send)


def notification_stack(inner):
    return OriginCheck(AuthMiddlewareStack(TokenAuthMiddleware(inner)))
