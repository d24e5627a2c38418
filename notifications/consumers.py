"""WebSocket push of notifications at /ws/notifications/: one group per user, logged-in users only.

The socket only ever sends; clients catch up through ``GET /api/v1/notifications/?after=ID``
(on connecting, and whenever a push's ``previous`` shows a gap). Each message the channel layer
delivers already holds the rendered objects (``notifications.dispatch.push``), so forwarding
them costs no query however many users one commit notifies.

While open, the socket re-checks every ``refresh_seconds`` that:
1. its session or token still logs this user in (logged out, token deleted or user deactivated:
   closed with 4401, and the client stops reconnecting);
2. it is still in its group. channels-redis drops a member after ``group_expiry`` (a day by
   default), and a Redis restarted without persistence forgets every group; joining again
   refreshes both. If the channel layer cannot be reached the socket closes with 4503, so the
   client reconnects and catches up rather than wait on a silent socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import weakref
from importlib import import_module

from channels.auth import get_user
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from .auth import user_for_token
from .fanout import group_for

log = logging.getLogger(__name__)

# redis-py's connection pool (100 connections) raises at once when all are in use, rather than
# wait: a burst of sockets joining their groups together (every browser reconnecting after a
# restart) would fail with 500s. So each process lets this many membership calls run at once
# and queues the rest.
MEMBERSHIP_CALLS_AT_ONCE = 32
_gates: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _gate() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    gate = _gates.get(loop)
    if gate is None:
        gate = _gates[loop] = asyncio.Semaphore(MEMBERSHIP_CALLS_AT_ONCE)
    return gate


CLOSE_LOGGED_OUT = 4401
# Servers may close only with 1000 or 3000-4999: 4503 is "unavailable for now, reconnect".
CLOSE_LAYER_DOWN = 4503


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    refresh_seconds: float = 300.0

    async def __call__(self, scope, receive, send):
        """Run the socket; whatever ends it, stop the refresher with it. When the channel layer
        fails (Redis down: the consumer's receive raises), close with 4503 so the client
        reconnects and catches up, instead of leaving the server a traceback."""
        try:
            await super().__call__(scope, receive, send)
        except Exception as exc:
            if not getattr(self, "accepted", False):
                raise
            log.warning("notification socket of user %s failed: %r", self.user_id, exc)
            with contextlib.suppress(Exception):
                await send({"type": "websocket.close", "code": CLOSE_LAYER_DOWN})
        finally:
            self._stop_refresher()

    def _stop_refresher(self) -> None:
        refresher = getattr(self, "refresher", None)
        if refresher is not None and not refresher.done():
            refresher.cancel()

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close()  # before accept: the handshake is refused (HTTP 403)
            return
        self.user_id = user.pk
        self.group = group_for(user.pk)
        async with _gate():
            await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        self.accepted = True
        self.refresher = asyncio.get_running_loop().create_task(self._refresh_forever())

    async def disconnect(self, code: int) -> None:
        self._stop_refresher()
        if hasattr(self, "group"):
            with contextlib.suppress(Exception):  # the layer may be down; the group expires anyway
                async with _gate():
                    await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        """Clients only listen: whatever they send is ignored, unparsed."""

    async def notification_batch(self, message: dict) -> None:
        """One commit's notifications, possibly for many users whose sockets live in this
        process (``notifications.fanout``): forward this user's, in order, and nothing else."""
        for payload in message["notifications"].get(str(self.user_id), ()):
            await self.send_json(payload)

    async def _refresh_forever(self) -> None:
        while True:
            # Jittered, so sockets opened together do not all check at the same moment.
            await asyncio.sleep(self.refresh_seconds * random.uniform(0.8, 1.2))  # noqa: S311
            if not await self._still_logged_in():
                await self.close(code=CLOSE_LOGGED_OUT)
                return
            try:
                async with _gate():
                    await self.channel_layer.group_add(self.group, self.channel_name)
            except Exception as exc:
                log.warning(
                    "notification socket of user %s lost the channel layer: %r", self.user_id, exc
                )
                await self.close(code=CLOSE_LAYER_DOWN)
                return

    async def _still_logged_in(self) -> bool:
        how, key = self.scope.get("credentials", ("session", None))
        if how == "token":
            user = await user_for_token(key, self.user_id)
        else:
            session = self.scope.get("session")
            session_key = getattr(session, "session_key", None)
            if not session_key:
                return False
            store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
            user = await get_user({"session": store})
        return user.is_authenticated and user.pk == self.user_id and user.is_active
