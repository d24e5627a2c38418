"""Django's Redis cache, made safe to clear on a Redis database it shares.

With ``REDIS_URL`` set, the cache and the channel layer live in the same Redis database (one URL
to configure). Django's ``RedisCache.clear()`` is ``FLUSHDB``: it would also drop the channel
layer's groups and the messages in flight to every connected browser. Here ``clear()`` deletes
only the keys under this cache's ``KEY_PREFIX``, so the tests (which clear the cache before each
one) and the benchmarks can clear it while pushes are flowing.
"""

from __future__ import annotations

import re
from itertools import islice

from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured

DELETE_BATCH = 500  # keys per DEL: bounded commands, however many keys the cache holds


class PrefixedRedisCache(RedisCache):
    """``RedisCache`` whose ``clear()`` deletes only its own keys (module docstring)."""

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
