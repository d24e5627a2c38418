"""Delivering one commit's notifications to many users' sockets in a few Redis round trips.

Each user's sockets form one channel-layer group (``user.<id>``): that keeps a socket's
subscription trivially in scope. But channels-redis's ``group_send`` costs four round trips per
group, and each message it stores costs the receiving ASGI process four more to pop: one
group per recipient made 500 recipients cost some four thousand round trips, about 0.4 s on the
benchmark machine (bench/RESULTS.md), before a single frame reached a browser.

``send_to_users`` does what ``group_send`` does, for all the recipients at once:
1. One Lua call per Redis host reads the members of every recipient's group (dropping members
   older than ``group_expiry`` first, as ``group_send`` does).
2. The sockets of one ASGI process share one Redis key (channels-redis's process-local ``!``
   channels). Per key it builds ONE message holding the payloads of every recipient with a
   socket there, addressed to those sockets' channels (``__asgi_channel__``): the envelope
   channels-redis itself uses for a group with many members in one process.
3. One Lua call per Redis host stores the messages, honouring capacity and expiry as
   ``group_send``'s own script does.
The receiving process pops one message and hands it to each addressed consumer, which forwards
only its own user's payloads (``NotificationConsumer.notification_batch``). The payloads of
other users stay inside the server process; they never reach another user's socket.

This leans on channels-redis internals (its key names and message envelope) of the pinned
version (channels-redis 4.3). tests/notifications/test_live.py and bench/bench_push.py run it
against a real Redis and real uvicorn processes. Any other layer (the in-memory one of the
embedded setup) gets one plain ``group_send`` per user, with the same message shape.
"""

from __future__ import annotations

import time
from collections import defaultdict

MESSAGE_TYPE = "notification.batch"
# Users per envelope: bounds the size of one Redis message (a payload is about 400 bytes).
CHUNK = 500

_MEMBERS = """
local cutoff = tonumber(ARGV[1])
local members = {}
for i = 1, #KEYS do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, cutoff)
    members[i] = redis.call('ZRANGE', KEYS[i], 0, -1)
end
return members
"""

_STORE = """
local over_capacity = 0
local now = ARGV[#ARGV - 1]
local expiry = tonumber(ARGV[#ARGV])
local n = #KEYS
for i = 1, n do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, tonumber(now) - expiry)
    if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[n + i]) then
        redis.call('ZADD', KEYS[i], now, ARGV[i])
        redis.call('EXPIRE', KEYS[i], expiry)
    else
        over_capacity = over_capacity + 1
    end
end
return over_capacity
"""


def group_for(user_id: int) -> str:
    """The channel-layer group of one user's sockets: the only group a socket joins."""
    return f"user.{user_id}"


def message_for(notifications: dict[str, list[dict]]) -> dict:
    """The channel-layer message: each addressed consumer takes ``notifications[str(its user)]``."""
    return {"type": MESSAGE_TYPE, "notifications": notifications}


async def send_to_users(layer, payloads: dict[int, list[dict]]) -> int:
    """Deliver each user's payloads (in order) to all their sockets. Returns how many stored
    messages a full channel had to drop (0 normally); raises when the layer is unreachable."""
    try:
        from channels_redis.core import RedisChannelLayer
    except ImportError:  # pragma: no cover - channels-redis is a dependency
        RedisChannelLayer = ()  # noqa: N806
    if not isinstance(layer, RedisChannelLayer):
        for user_id, items in payloads.items():
            await layer.group_send(group_for(user_id), message_for({str(user_id): items}))
        return 0
    dropped = 0
    users = list(payloads)
    for start in range(0, len(users), CHUNK):
        chunk = {user_id: payloads[user_id] for user_id in users[start : start + CHUNK]}
        dropped += await _redis_send(layer, chunk)
    return dropped


async def _redis_send(layer, payloads: dict[int, list[dict]]) -> int:
    now = time.time()
    # 1. Who is in each recipient's group, one call per Redis host.
    groups_by_host: dict[int, list[tuple[int, bytes]]] = defaultdict(list)
    for user_id in payloads:
        group = group_for(user_id)
        groups_by_host[layer.consistent_hash(group)].append((user_id, layer._group_key(group)))
    members: dict[int, list[str]] = {}
    for host, entries in groups_by_host.items():
        keys = [key for _user_id, key in entries]
        cutoff = int(now) - layer.group_expiry
        replies = await layer.connection(host).eval(_MEMBERS, len(keys), *keys, cutoff)
        for (user_id, _key), channels in zip(entries, replies, strict=True):
            members[user_id] = [channel.decode() for channel in channels]
    # 2. One envelope per Redis key: per ASGI process, or per plain channel.
    envelopes: dict[str, dict] = {}
    for user_id, channels in members.items():
        for channel in channels:
            name = layer.non_local_name(channel) if "!" in channel else channel
            key = layer.prefix + name
            envelope = envelopes.get(key)
            if envelope is None:
                envelope = envelopes[key] = {
                    "host": layer.consistent_hash(name),
                    "capacity": layer.get_capacity(channel),
                    "channels": [],
                    "notifications": {},
                }
            envelope["channels"].append(channel)
            envelope["notifications"][str(user_id)] = payloads[user_id]
    # 3. Store them, one Lua call per Redis host.
    by_host: dict[int, list[tuple[str, bytes, int]]] = defaultdict(list)
    for key, envelope in envelopes.items():
        message = message_for(envelope["notifications"])
        message["__asgi_channel__"] = envelope["channels"]
        by_host[envelope["host"]].append((key, layer.serialize(message), envelope["capacity"]))
    dropped = 0
    for host, items in by_host.items():
        keys = [key for key, _, _ in items]
        args = [data for _, data, _ in items] + [capacity for _, _, capacity in items]
        dropped += await layer.connection(host).eval(
            _STORE, len(keys), *keys, *args, repr(now), layer.expiry
        )
    return dropped
