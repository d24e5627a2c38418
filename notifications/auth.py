"""Authenticate a WebSocket by the session cookie (pages) or an API token (other clients:
``Authorization: Token …`` header or ``?token=``)."""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser


@database_sync_to_async
def _user_for_token(key: str):
    from rest_framework.authtoken.models import Token

    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return AnonymousUser()
    return token.user


class TokenAuthMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        key = None
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                parts = value.decode("latin-1").split()
                if len(parts) == 2 and parts[0].lower() == "token":
                    key = parts[1]
        if key is None:
            query = parse_qs(scope.get("query_string", b"").decode())
            if query.get("token"):
                key = query["token"][-1]
        if key is not None:
            scope = dict(scope, user=await _user_for_token(key))
        language = None
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                for part in value.decode("latin-1").split(";"):
                    k, _, v = part.strip().partition("=")
                    if k == "django_language":
                        language = v
        scope = dict(scope, language=language)
        return await self.inner(scope, receive, send)


def NotificationAuthStack(inner):  # noqa: N802 - mirrors channels' AuthMiddlewareStack
    """Session auth first; a token, when given, replaces it."""
    return AuthMiddlewareStack(TokenAuthMiddleware(inner))
