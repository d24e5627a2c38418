"""Django's Redis cache, made safe to clear on a Redis database it shares, and to lose.

With ``REDIS_URL`` set, the cache and the channel layer live in the same Redis database (one URL
to configure). Django's ``RedisCache.clear()`` is ``FLUSHDB``: it would also drop the channel
layer's groups and the messages in flight to every connected browser. Here ``clear()`` deletes
only the keys under this cache's ``KEY_PREFIX``, so the tests (which clear the cache before each
one) and the benchmarks can clear it while pushes are flowing.

What the cache keeps can always be computed again (the pages' figures), and Redis being down must
not stop the campaign: transitions commit and notifications wait for catch-up without it
(tests/notifications/test_live.py). So a Redis that cannot be reached is a miss, not an error:
a read gives the default, a write is dropped, and each is logged as a warning.
"""

from __future__ import annotations

import functools
import logging
import re
from itertools import islice

from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)

DELETE_BATCH = 500  # keys per DEL: bounded commands, however many keys the cache holds


def _miss_when_unreachable(method, answer):
    """``method``, answering ``answer(*args, **kwargs)`` when Redis cannot be reached."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except UNREACHABLE as exc:
            logger.warning("cache %s skipped, Redis unreachable: %s", method.__name__, exc)
            return answer(*args, **kwargs)

    return wrapper


def _default(key, default=None, *args, **kwargs):
    return default


def _nothing(*args, **kwargs):
    return {}


def _not_done(*args, **kwargs):
    return False


def _none_done(keys, *args, **kwargs):
    return list(keys)  # set_many's answer: the keys it failed to set


class PrefixedRedisCache(RedisCache):
    """``RedisCache`` whose ``clear()`` deletes only its own keys, and that treats a Redis it
    cannot reach as empty (module docstring)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        if not self.key_prefix:
            raise ImproperlyConfigured(
                "PrefixedRedisCache needs a KEY_PREFIX: clear() deletes the keys under it"
            )

    def clear(self) -> bool:
        """Delete every key of this cache, whatever its version, with SCAN (never KEYS, which
        blocks the server) and DEL in batches; the other keys of the database stay."""
        client = self._cache.get_client(write=True)
        prefix = re.sub(r"([*?\[\]\\])", r"\\\1", self.key_prefix)  # glob-escaped
        keys = client.scan_iter(match=f"{prefix}:*", count=DELETE_BATCH)
        while batch := list(islice(keys, DELETE_BATCH)):
            client.delete(*batch)
        return True


for _name, _answer in {
    "get": _default,
    "get_many": _nothing,
    "has_key": _not_done,
    "set": _not_done,
    "add": _not_done,
    "touch": _not_done,
    "delete": _not_done,
    "set_many": _none_done,
    "delete_many": _not_done,
    "clear": _not_done,
}.items():
    setattr(
        PrefixedRedisCache,
        _name,
        _miss_when_unreachable(getattr(PrefixedRedisCache, _name), _answer),
    )
