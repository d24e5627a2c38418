"""Settings come from the environment through strict helpers (``lib/env.py``): a bad value stops
the process at start-up with a message naming the variable, and never echoes a password."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from lib.env import env_bool, env_choice, env_int, env_list, env_url, parse_database_url, redact

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1", True),
        ("true", True),
        ("Yes", True),
        (" on ", True),
        ("0", False),
        ("FALSE", False),
        ("no", False),
        ("off", False),
        ("", False),
    ],
)
def test_it_reads_booleans(monkeypatch, raw, value):
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG", not value) is value


def test_it_uses_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("FLAG", raising=False)
    monkeypatch.delenv("NUMBER", raising=False)
    assert env_bool("FLAG", True) is True
    assert env_int("NUMBER", 7) == 7
    assert env_list("HOSTS", ["a"]) == ["a"]
    assert env_url("CACHE", schemes=("redis",)) is None


@pytest.mark.parametrize("raw", ["maybe", "2", "enabled"])
def test_it_refuses_a_boolean_it_cannot_read(monkeypatch, raw):
    monkeypatch.setenv("FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match=rf"FLAG must be one of .* not '{raw}'"):
        env_bool("FLAG", True)


def test_it_reads_whole_numbers_within_bounds(monkeypatch):
    monkeypatch.setenv("NUMBER", "8080")
    assert env_int("NUMBER", 1, minimum=1, maximum=65535) == 8080
    monkeypatch.setenv("NUMBER", "")
    assert env_int("NUMBER", 5) == 5


@pytest.mark.parametrize(
    ("raw", "kwargs", "message"),
    [
        ("eighty", {}, "NUMBER must be a whole number, not 'eighty'"),
        ("1.5", {}, "NUMBER must be a whole number"),
        ("0", {"minimum": 1, "maximum": 65535}, "NUMBER must be between 1 and 65535, not 0"),
        (
            "70000",
            {"minimum": 1, "maximum": 65535},
            "NUMBER must be between 1 and 65535, not 70000",
        ),
        ("100", {"minimum": 1024}, "NUMBER must be at least 1024, not 100"),
        ("-1", {"maximum": -5}, "NUMBER must be at most -5, not -1"),
    ],
)
def test_it_refuses_numbers_it_cannot_use(monkeypatch, raw, kwargs, message):
    monkeypatch.setenv("NUMBER", raw)
    with pytest.raises(ImproperlyConfigured) as excinfo:
        env_int("NUMBER", 1, **kwargs)
    assert message in str(excinfo.value)


def test_it_reads_lists_without_blanks(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.example , ,b.example,")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]


def test_it_reads_a_choice_in_any_case(monkeypatch):
    monkeypatch.setenv("LEVEL", "warning")
    assert env_choice("LEVEL", "INFO", ("INFO", "WARNING")) == "WARNING"
    monkeypatch.setenv("LEVEL", "LOUD")
    with pytest.raises(
        ImproperlyConfigured, match="LEVEL must be one of INFO, WARNING, not 'LOUD'"
    ):
        env_choice("LEVEL", "INFO", ("INFO", "WARNING"))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("http://127.0.0.1:6379/0", "CACHE must start with redis:// or rediss://, not 'http'"),
        ("redis://:s3cret@127.0.0.1:port/0", "CACHE has a port that is not a number"),
        ("redis://", "CACHE names no host"),
    ],
)
def test_it_refuses_urls_it_cannot_use_without_showing_the_password(monkeypatch, raw, message):
    monkeypatch.setenv("CACHE", raw)
    with pytest.raises(ImproperlyConfigured) as excinfo:
        env_url("CACHE", schemes=("redis", "rediss"))
    assert message in str(excinfo.value)
    assert "s3cret" not in str(excinfo.value)


def test_it_reads_sqlite_urls_relative_to_the_project_or_absolute():
    assert (
        parse_database_url("sqlite:///var/db.sqlite3", base_dir="/srv/app")["NAME"]
        == "/srv/app/var/db.sqlite3"
    )
    absolute = parse_database_url("sqlite:////srv/data/x.sqlite3", base_dir="/srv/app")
    assert absolute["NAME"] == "/srv/data/x.sqlite3"
    assert absolute["ENGINE"] == "django.db.backends.sqlite3"


def test_it_reads_postgres_urls():
    config = parse_database_url(
        "postgres://liuyou:p%40ss@db.internal:5433/liuyou?sslmode=require", base_dir="/srv/app"
    )
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == ("liuyou", "liuyou", "p@ss")
    assert (config["HOST"], config["PORT"]) == ("db.internal", "5433")
    assert config["OPTIONS"] == {"sslmode": "require"}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u@h/db", "DATABASE_URL must start with sqlite:/// or postgres://, not 'mysql'"),
        ("postgres://u:s3cret@db.internal:fivefourthreetwo/liuyou", "port that is not a number"),
        ("postgres://u:s3cret@db.internal:5432/", "names no database"),
        ("sqlite:///", "names no file"),
    ],
)
def test_it_refuses_database_urls_it_cannot_use_without_showing_the_password(url, message):
    with pytest.raises(ImproperlyConfigured) as excinfo:
        parse_database_url(url, base_dir="/srv/app")
    assert message in str(excinfo.value)
    assert "s3cret" not in str(excinfo.value)


def test_it_redacts_only_the_password():
    assert redact("postgres://u:s3cret@h:5432/db") == "postgres://u:***@h:5432/db"
    assert redact("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def start(**env: str) -> subprocess.CompletedProcess:
    """Start Django (``manage.py check``) with these variables on top of a clean environment."""
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG", "PORT")
    }
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "perhaps"}, "DEBUG must be one of true/false/1/0/yes/no, not 'perhaps'"),
        ({"DEBUG": "false", "SECRET_KEY": ""}, "SECRET_KEY must be set when DEBUG is off"),
        ({"PORT": "eighty"}, "PORT must be a whole number, not 'eighty'"),
        (
            {"DATABASE_URL": "mysql://u:s3cret@h/db"},
            "DATABASE_URL must start with sqlite:/// or postgres://",
        ),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL must start with redis://"),
        ({"LOG_LEVEL": "chatty"}, "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ],
    ids=["debug", "secret-key", "port", "database-url", "redis-url", "log-level"],
)
def test_it_stops_at_start_up_with_a_message_naming_the_variable(env, message):
    result = start(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr
    assert "s3cret" not in result.stderr


def test_it_starts_with_the_embedded_defaults():
    result = start()
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
