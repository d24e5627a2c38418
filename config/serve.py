"""The project's ASGI server: uvicorn, with the options production runs it with, written once.

    python -m config.serve --host 127.0.0.1 --port 8000     # what `make serve` runs
    python -m config.serve --fd 3                           # a socket already listening

Every process that serves the project starts here: ``make serve``, production (README), the live
tests (``tests/notifications/live.py``) and the benchmarks (``bench/servers.py``). Arguments are
passed on to uvicorn after :data:`OPTIONS`, so a later one wins (the live tests shorten the ping
interval that way; production keeps these).

1. ``--loop uvloop --http httptools``: the fast event loop and HTTP parser (bench_http_cpu).
2. ``--ws websockets-sansio``: uvicorn's implementation on the ``websockets`` package's
   Sans-I/O core. Its older ``--ws websockets`` runs on ``websockets.legacy``, which the
   ``websockets`` package has deprecated, and uvicorn warns at every start that it is deprecated
   too; ``--ws auto`` picks Sans-I/O already, but named here it cannot change under us.
3. ``--ws-ping-interval 20 --ws-ping-timeout 20``: a ping to every idle socket every 20 s, and a
   socket whose client has not answered in 20 s more is closed. Pings every 20 s keep an idle
   socket open through a reverse proxy that drops quiet connections (nginx's
   ``proxy_read_timeout`` is 60 s by default), and a client that vanished without closing (a
   laptop lid shut, a NAT that forgot it) frees its socket and group membership within 40 s.
   These are uvicorn's defaults, stated so a new release cannot change them unnoticed.
4. ``--timeout-graceful-shutdown 10``: on SIGTERM uvicorn closes every socket with 1012 (the
   clients reconnect and catch up) and waits for the requests in flight; after 10 s it cancels
   what is left and exits. Without a bound it waits for ever on an application task that does
   not end, and there is one: when Redis goes away under open sockets, a consumer's
   channel-layer ``receive()`` may lose the cancellation its consumer sends it (seen with
   channels-redis 4.3.0 on redis-py 8.1.0: the cancelled task goes on reconnecting and polling
   with BZPOPMIN), and the consumer waiting for it never ends. After such an outage every later
   stop would otherwise be left to the supervisor's SIGKILL.
5. ``--lifespan off``: channels' ``ProtocolTypeRouter`` has no lifespan protocol.
6. ``--no-proxy-headers``: uvicorn would otherwise take X-Forwarded-For and X-Forwarded-Proto
   from any client at 127.0.0.1 (its default ``--forwarded-allow-ips``). Whether a request came
   over https is Django's to decide, through ``SECURE_PROXY_SSL_HEADER`` (set when ``DEBUG`` is
   off, for the intranet reverse proxy); the client's address is used by nothing. So the scope
   says what the connection was, and trust in the proxy lives in one place, the settings.
7. ``--no-access-log``: the reverse proxy keeps the access log.
"""

from __future__ import annotations

import sys

APPLICATION = "config.asgi:application"

OPTIONS: tuple[str, ...] = (
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--ws",
    "websockets-sansio",
    "--ws-ping-interval",
    "20",
    "--ws-ping-timeout",
    "20",
    "--timeout-graceful-shutdown",
    "10",
    "--lifespan",
    "off",
    "--no-proxy-headers",
    "--no-access-log",
)


def command(*arguments: str) -> list[str]:
    """The command line of one server process: this interpreter, these options, ``arguments``
    (where to listen, and whatever a test overrides)."""
    return [sys.executable, "-m", "config.serve", *arguments]


def main(arguments: list[str]) -> None:
    from uvicorn.main import main as uvicorn

    uvicorn([*OPTIONS, *arguments, APPLICATION], prog_name="uvicorn")


if __name__ == "__main__":
    main(sys.argv[1:])
