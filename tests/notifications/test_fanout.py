"""notifications.fanout.send_to_users on the project's channel layer: Redis when REDIS_URL is set
(CI's second run), the in-memory layer otherwise. Sockets are stood in for by process-local
channels of one layer instance, as an ASGI process's consumers are."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

from channels.layers import DEFAULT_CHANNEL_LAYER, InMemoryChannelLayer
from django.conf import settings

from notifications.fanout import MESSAGE_TYPE, group_for, send_to_users


def _layer():
    """A layer instance of its own (as an ASGI process has), configured as the project's; on
    Redis with a prefix of its own, so cleaning up touches no other test's keys."""
    config = settings.CHANNEL_LAYERS[DEFAULT_CHANNEL_LAYER]
    if config["BACKEND"] == "channels_redis.core.RedisChannelLayer":
        from channels_redis.core import RedisChannelLayer

        return RedisChannelLayer(**config["CONFIG"], prefix=f"fanout-test-{uuid.uuid4().hex}")
    return InMemoryChannelLayer()


def run(scenario):
    """Run ``scenario()`` on an event loop of its own thread: these tests touch no database, and
    must not care whether the test thread already has a loop running (Playwright's sync API
    keeps one there while a browser is open)."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, scenario()).result()


def _forwarded(message: dict, user_id: int) -> list[dict]:
    """What NotificationConsumer.notification_batch forwards to its socket."""
    assert message["type"] == MESSAGE_TYPE
    return message["notifications"].get(str(user_id), [])


def test_it_delivers_each_users_payloads_to_all_their_sockets_in_order():
    async def scenario():
        layer = _layer()
        sockets = {  # user id -> that user's sockets in this process
            9001: [await layer.new_channel(), await layer.new_channel()],
            9002: [await layer.new_channel()],
            9003: [await layer.new_channel()],
        }
        for user_id, channels in sockets.items():
            for channel in channels:
                await layer.group_add(group_for(user_id), channel)
        payloads = {
            9001: [{"id": 1, "text": "甲"}, {"id": 3, "text": "丙"}],
            9002: [{"id": 2, "text": "乙"}],
        }

        await send_to_users(layer, payloads)

        got = {}
        for user_id, channels in sockets.items():
            for channel in channels:
                try:
                    message = await asyncio.wait_for(layer.receive(channel), 0.5)
                except TimeoutError:
                    got[channel] = None
                else:
                    got[channel] = _forwarded(message, user_id)
        if not isinstance(layer, InMemoryChannelLayer):
            await layer.flush()
        return sockets, got

    sockets, got = run(scenario)

    for channel in sockets[9001]:
        assert got[channel] == [{"id": 1, "text": "甲"}, {"id": 3, "text": "丙"}]
    assert got[sockets[9002][0]] == [{"id": 2, "text": "乙"}]
    assert got[sockets[9003][0]] is None  # not notified: nothing arrives


def test_it_delivers_to_nobody_when_no_socket_is_open():
    async def scenario():
        layer = _layer()
        dropped = await send_to_users(layer, {9101: [{"id": 1}]})
        if not isinstance(layer, InMemoryChannelLayer):
            await layer.flush()
        return dropped

    assert run(scenario) == 0


def test_it_delivers_to_hundreds_of_users_at_once():
    async def scenario():
        layer = _layer()
        users = range(9200, 9800)  # more than one chunk
        channels = {}
        for user_id in users:
            channels[user_id] = await layer.new_channel()
            await layer.group_add(group_for(user_id), channels[user_id])
        await send_to_users(layer, {user_id: [{"id": user_id}] for user_id in users})
        received = {}
        for user_id in users:
            message = await asyncio.wait_for(layer.receive(channels[user_id]), 5)
            received[user_id] = _forwarded(message, user_id)
        if not isinstance(layer, InMemoryChannelLayer):
            await layer.flush()
        return received

    received = run(scenario)

    assert received == {user_id: [{"id": user_id}] for user_id in range(9200, 9800)}
