"""Real servers for the cross-process tests and the benchmark: redis-server and uvicorn processes.

Every server listens on a port the OS picked. uvicorn is handed an already-listening socket
(``--fd``), so there is no window in which another process could take its port; redis-server
takes no socket, so its port is picked free and then bound by it (a small window, checked).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from config import serve

BASE_DIR = Path(__file__).resolve().parents[2]
# Talk to 127.0.0.1 directly even when the environment names an HTTP proxy.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(check, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f}s")


class RedisServer:
    """A private, throwaway redis-server (no persistence) that a test may stop and restart."""

    def __init__(self, log_dir: Path):
        self.executable = shutil.which("redis-server")
        self.port = free_port()
        self.log = log_dir / f"redis-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        command = [self.executable, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--logfile", str(self.log)]
        self.process = subprocess.Popen(  # noqa: S603 - our own fixed command line
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait(self.ping, f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None
        _wait(lambda: not self.ping(), f"redis-server on port {self.port} stopping")


class Uvicorn:
    """One ASGI server process of the project, as production runs it (``config.serve``).

    ``options`` are added after production's, so they override them: a test may shorten the
    WebSocket ping interval this way, on its own process only.

    The listening socket belongs to this object, not to the process: ``stop()`` then ``start()``
    restarts the server on the same port (connections made meanwhile wait in the backlog, as
    with systemd socket activation).
    """

    def __init__(
        self, env: dict[str, str], log_dir: Path, name: str, options: tuple[str, ...] = ()
    ):
        self.env, self.name, self.options = env, name, options
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1024)
        self.port = self.sock.getsockname()[1]
        self.log = log_dir / f"uvicorn-{name}-{self.port}.log"
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        fd = self.sock.fileno()
        with self.log.open("a") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own fixed command line
                serve.command("--fd", str(fd), *self.options),
                cwd=BASE_DIR,
                env=self.env,
                pass_fds=[fd],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        _wait(self._healthy, f"uvicorn {self.name} on port {self.port}")

    def _healthy(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"uvicorn exited: {self.log_tail()}")
        try:
            return http(self, "GET", "/healthz/", timeout=2)[0] == 200
        except OSError:
            return False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/notifications/"

    def stop(self) -> None:
        """A graceful stop (SIGTERM), as systemd's: uvicorn closes its sockets with 1012 and
        finishes the requests in flight within its ``--timeout-graceful-shutdown``; killed if it
        has not exited 20 seconds after the signal."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def close(self) -> None:
        self.stop()
        self.sock.close()

    def log_tail(self, size: int = 3000) -> str:
        return self.log.read_text()[-size:]


def server_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def database_url(settings_dict: dict) -> str:
    user = settings_dict.get("USER") or "postgres"
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{password}" if password else user
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{settings_dict['NAME']}"


def http(
    server: Uvicorn, method: str, path: str, token: str | None = None, body=None, timeout=10.0
):
    """``(status, parsed JSON or None)`` of one request to ``server``."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}{path}", data=data, method=method
    )
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Token {token}")
    try:
        with _opener.open(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, None
