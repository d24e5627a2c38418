"""Strict readers for settings that come from the environment.

A bad value stops the process at start-up with a message naming the variable, instead of
surfacing later as an odd failure (the approach of healthchecks' ``hc/settings.py``).
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of true/false/1/0/yes/no, not {raw!r}")


def env_int(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    too_small = minimum is not None and value < minimum
    too_large = maximum is not None and value > maximum
    if too_small or too_large:
        if minimum is not None and maximum is not None:
            bounds = f"between {minimum} and {maximum}"
        elif minimum is not None:
            bounds = f"at least {minimum}"
        else:
            bounds = f"at most {maximum}"
        raise ImproperlyConfigured(f"{name} must be {bounds}, not {value}")
    return value


def env_choice(name: str, default: str, choices: list[str] | tuple[str, ...]) -> str:
    """One of ``choices`` (compared without regard to case, returned as spelled in ``choices``)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    by_folded = {choice.lower(): choice for choice in choices}
    value = by_folded.get(raw.strip().lower())
    if value is None:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {raw!r}")
    return value


def env_url(name: str, *, schemes: tuple[str, ...]) -> str | None:
    """A URL with one of ``schemes`` and a host or path, or None when unset or empty."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return None
    parts = urlsplit(raw.strip())
    if parts.scheme.lower() not in schemes:
        raise ImproperlyConfigured(
            f"{name} must start with {' or '.join(s + '://' for s in schemes)}, not {raw.split(':', 1)[0]!r}"
        )
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} has a port that is not a number: {redact(raw)!r}"
        ) from None
    if not (parts.hostname or parts.path.strip("/")):
        raise ImproperlyConfigured(f"{name} names no host: {redact(raw)!r}")
    return raw.strip()


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def redact(url: str) -> str:
    """``url`` with its password replaced by ``***``, fit for an error message or a log."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def parse_database_url(url: str, *, base_dir: str) -> dict:
    """Turn ``postgres://user:pw@host:port/name`` or ``sqlite:///path`` into DATABASES['default']."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in {"sqlite", "sqlite3"}:
        path = unquote(parts.path)
        if not path.strip("/"):
            raise ImproperlyConfigured(
                f"DATABASE_URL names no file (sqlite:///path/to/db.sqlite3): {url!r}"
            )
        # sqlite:///relative.db is relative to the project; sqlite:////abs.db is absolute.
        if url.startswith(f"{parts.scheme}:////"):
            path = "/" + path.lstrip("/")
        elif path.startswith("/") and url.startswith(f"{parts.scheme}:///"):
            path = os.path.join(base_dir, path.lstrip("/"))
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path,
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    if scheme in {"postgres", "postgresql", "pgsql"}:
        options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(
                f"DATABASE_URL has a port that is not a number: {redact(url)!r}"
            ) from None
        if not parts.path.strip("/"):
            raise ImproperlyConfigured(
                f"DATABASE_URL names no database (postgres://user@host:port/NAME): {redact(url)!r}"
            )
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL must start with sqlite:/// or postgres://, not {url.split(':', 1)[0]!r}"
    )
