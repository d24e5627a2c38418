"""The ASGI server processes the HTTP benchmarks talk to, run as production runs them."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import generate

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVERS = ("daphne", "uvicorn")


def server_command(server: str, port: int) -> list[str]:
    """How production would start one process of ``server`` on ``port``.

    uvicorn runs one worker in its own process (no supervisor), with uvloop and httptools,
    WebSockets through the ``websockets`` package, no access log (daphne writes none either)
    and no lifespan (Django's ASGI handler does not speak it)."""
    executable = str(Path(sys.executable).with_name(server))
    if server == "daphne":
        return [executable, "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]
    if server == "uvicorn":
        return [
            executable,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--ws",
            "websockets",
            "--lifespan",
            "off",
            "--no-access-log",
            "config.asgi:application",
        ]
    raise ValueError(f"unknown server {server!r}; one of {SERVERS}")


def start_servers(
    database: str, count: int = 2, server: str = "daphne"
) -> tuple[list[subprocess.Popen], list[int]]:
    """``count`` processes of ``server`` (daphne or uvicorn) serving ``database`` with the
    production settings."""
    env = generate.production_env(database)
    processes, ports = [], []
    for _ in range(count):
        port = free_port()
        processes.append(
            subprocess.Popen(  # noqa: S603 - our own interpreter's server
                server_command(server, port),
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        ports.append(port)
    deadline = time.monotonic() + 60
    for port in ports:
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz/")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server on port {port} did not start")
            time.sleep(0.2)
    return processes, ports


def stop_servers(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(20)


def cpu_seconds(processes: list[subprocess.Popen]) -> float:
    """User and system CPU seconds the server processes have used so far (Linux ``/proc``):
    divided by the requests served, a cost per request that other work on a shared machine
    does not inflate the way it inflates wall time."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for process in processes:
        # Fields after the command name, which is in parentheses and may hold spaces.
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / ticks
