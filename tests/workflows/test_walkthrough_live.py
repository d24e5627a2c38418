"""``scripts/walkthrough.py`` against a real uvicorn process: one union carried from survey to
closed over HTTP, with every refusal checked on the way.

The server runs in another process, so it cannot see pytest's in-memory SQLite database: on
SQLite the test migrates a temporary database file; on PostgreSQL it uses the test database
itself (committed data, hence ``transaction=True``; the flush afterwards restores it). Both are
filled with the demo users by ``load_demo`` in a subprocess, then uvicorn is started as production
runs it (``config.serve``) on a socket the OS picked (handed over with ``--fd``, so no other
process can take the port meanwhile).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from config import serve

ROOT = Path(__file__).resolve().parents[2]


def database_url(tmp_path: Path) -> tuple[str, bool]:
    """The URL the subprocesses use, and whether it still needs ``migrate``."""
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        user = settings.get("USER") or "postgres"
        password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
        host, port = settings.get("HOST") or "127.0.0.1", settings.get("PORT") or 5432
        return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}", False
    return f"sqlite:///{tmp_path / 'walkthrough.sqlite3'}", True


def manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}"


def healthy(port: int) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"http://127.0.0.1:{port}/healthz/", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def server(tmp_path):
    """A uvicorn process serving a database that holds the demo users; yields its base URL."""
    url, needs_migrate = database_url(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings", PYTHONUNBUFFERED="1")
    if needs_migrate:
        manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "load_demo", "--unions", "120")

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    log = tmp_path / "uvicorn.log"
    with log.open("w") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and uvicorn
            serve.command("--fd", str(sock.fileno())),
            cwd=ROOT,
            env=env,
            pass_fds=[sock.fileno()],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while not healthy(port):
            assert process.poll() is None, f"uvicorn exited:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, (
                f"uvicorn did not answer:\n{log.read_text()[-3000:]}"
            )
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        sock.close()
        if process.returncode not in (0, -15):
            print(log.read_text()[-3000:])


# On PostgreSQL the server writes to the test database: flush afterwards and restore the
# federations the migrations loaded.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_walks_a_union_from_survey_to_closed_over_http(server):
    started = time.monotonic()
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "scripts/walkthrough.py", server],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = result.stdout.splitlines()
    failures = [line for line in lines if line.startswith("FAIL") or line.startswith("stopped")]
    assert result.returncode == 0, "\n".join(failures or lines[-20:]) + result.stderr[-2000:]
    assert not failures
    passed = int(lines[-1].split()[0])
    assert passed > 200, lines[-1]  # every step with its refusals, not a shortcut
    for step in (
        "submit_survey",
        "approve_assessment",
        "select_model",
        "subsidy disburse",
        "close",
    ):
        assert any(step in line and line.startswith("ok    200") for line in lines), step
    assert time.monotonic() - started < 60


def test_the_walkthrough_fails_loudly_when_nothing_answers():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "scripts/walkthrough.py", f"http://127.0.0.1:{port}", "--timeout", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "FAIL" in result.stdout
