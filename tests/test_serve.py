"""``config/serve.py`` is the one command line of the server: ``make serve`` runs it, and the
README shows the options it adds, so what an operator reads is what runs."""

from __future__ import annotations

import re
from pathlib import Path

from config import serve

ROOT = Path(__file__).resolve().parents[1]


def test_make_serve_runs_config_serve_on_the_loopback():
    recipe = re.search(r"^serve:.*?\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M)
    assert "$(PY) -m config.serve --host 127.0.0.1 --port $(PORT)" in recipe.group(1)


def test_the_readme_shows_the_options_production_runs_with():
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert f"uvicorn {' '.join(serve.OPTIONS)} {serve.APPLICATION}" in readme


def test_uvicorn_reads_productions_options_and_a_later_one_overrides():
    from uvicorn.main import main as uvicorn

    arguments = [*serve.OPTIONS, "--fd", "3", "--ws-ping-interval", "0.25", serve.APPLICATION]
    params = uvicorn.make_context("uvicorn", arguments).params

    assert params["ws_ping_interval"] == 0.25  # the test's, given last
    assert params["ws_ping_timeout"] == 20.0  # production's
    assert params["ws"] == "websockets-sansio" and params["loop"] == "uvloop"
    assert params["proxy_headers"] is False and params["access_log"] is False
    assert params["lifespan"] == "off" and params["timeout_graceful_shutdown"] == 10
    assert params["fd"] == 3 and params["app"] == "config.asgi:application"
