"""On PostgreSQL the application's statements are prepared (config/settings.py): values are bound
on the server, and psycopg prepares a statement once it has run five times on a connection, so
PostgreSQL stops parsing and planning it on every transition. ``DATABASE_PREPARED_STATEMENTS``
turns this off for a pooler that cannot keep prepared statements."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import on_postgres
from workflows.models import Stage
from workflows.services import do_transition

ROOT = Path(__file__).resolve().parents[2]


def database_options(**env: str) -> dict:
    """``DATABASES["default"]["OPTIONS"]`` of a process started with these variables and a
    PostgreSQL URL (nothing connects: settings only)."""
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default']['OPTIONS']))"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": "postgres://app@db.internal:5432/unions",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def test_it_prepares_statements_on_postgresql_unless_told_not_to():
    on = database_options()
    off = database_options(DATABASE_PREPARED_STATEMENTS="false")

    assert on["server_side_binding"] is True
    assert on["prepare_threshold"] == 5
    assert "server_side_binding" not in off
    assert "prepare_threshold" not in off


def prepared() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return {statement for (statement,) in cursor.fetchall()}


@pytest.mark.django_db
@pytest.mark.skipif(not on_postgres(), reason="prepared statements are PostgreSQL's")
def test_a_transition_run_often_runs_prepared_statements(walk_case, xunyang_officer):
    case = walk_case(Stage.SURVEY_REVIEW)
    connection.ensure_connection()
    assert connection.connection.prepare_threshold == 5

    for _ in range(6):  # prepared once run more than five times
        do_transition(case.pk, "return_survey", actor=xunyang_officer, comment="请补充")
        do_transition(case.pk, "submit_survey", actor=xunyang_officer)

    statements = prepared()
    # The case's lock, its update and history row, the chain's head and the event.
    assert any("FOR UPDATE" in s and "workflows_case" in s for s in statements)
    assert any(s.startswith('UPDATE "workflows_case"') for s in statements)
    assert any(s.startswith('INSERT INTO "workflows_event"') for s in statements)
    assert all("$1" in s for s in statements if s.startswith("UPDATE"))
