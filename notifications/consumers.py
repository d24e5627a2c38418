"""WebSocket push of notifications: one group per user, only for logged-in users."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import translation

from .dispatch import group_for
from .models import Notification
from .serializers import notification_payload


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.user = user
        self.language = getattr(user, "_language", None) or self.scope.get("language") or "zh-hans"
        self.group = group_for(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        # Clients only listen; catch-up goes through GET /api/v1/notifications/?after=ID.
        return

    async def notification_message(self, message: dict) -> None:
        payload = await self._load(message["notification_id"])
        if payload is not None:
            await self.send_json(payload)

    @database_sync_to_async
    def _load(self, notification_id: int) -> dict | None:
        row = Notification.objects.filter(pk=notification_id, recipient_id=self.user.pk).first()
        if row is None:
            return None
        with translation.override(self.language):
            return notification_payload(row)
