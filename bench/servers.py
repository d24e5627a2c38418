"""The ASGI server processes the HTTP benchmarks talk to, run as production runs them."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import time
from pathlib import Path

import generate  # puts the project on sys.path

from config import serve

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The project's one server; the name the benchmarks' tables print.
SERVER = "uvicorn"


def server_command(port: int) -> list[str]:
    """One server process on ``port``, as production starts it (``config/serve.py``: uvicorn
    with uvloop, httptools, websockets' Sans-I/O, no access log, no lifespan)."""
    return serve.command("--host", "127.0.0.1", "--port", str(port))


def start_servers(database: str, count: int = 2) -> tuple[list[subprocess.Popen], list[int]]:
    """``count`` server processes serving ``database`` with the production settings."""
    env = generate.production_env(database)
    processes, ports = [], []
    for _ in range(count):
        port = free_port()
        processes.append(
            subprocess.Popen(  # noqa: S603 - our own interpreter's server
                server_command(port),
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
    return sum(process_cpu(process.pid) for process in processes)


def process_cpu(pid: int) -> float:
    """User and system CPU seconds process ``pid`` of this machine has used so far: a server
    process, or the PostgreSQL backend serving a connection (``connection.info.backend_pid``)."""
    # Fields after the command name, which is in parentheses and may hold spaces.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
