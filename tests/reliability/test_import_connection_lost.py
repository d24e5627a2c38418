"""The database connection dropped in the middle of an Excel import (PostgreSQL): the backend
writing the import is killed with ``pg_terminate_backend`` from a second connection while its
transaction is open. Nothing may be half-saved, and the same import, run again, must go through
whole with an intact audit trail (inspections/imports.py: all or nothing)."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta

import pytest
from django.db import connection, connections

from inspections import excel
from inspections.imports import do_start_import, run_import
from inspections.models import ImportJob, Survey
from inspections.survey import flatten
from lib.demo_survey import full_survey
from tests.conftest import XUNYANG, on_postgres
from unions import uscc
from unions.models import Union
from workflows.management.commands.verify_audit import verify_all
from workflows.models import Case, Event

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not on_postgres(),
        reason="needs PostgreSQL: kills the importing backend from another connection",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

UNIONS = 1500


def roster(count: int) -> bytes:
    rows = []
    for n in range(count):
        row = {
            "union.name": f"九江浔阳断线测试第{n + 1:05d}号工会",
            "union.union_type": "enterprise",
            "union.ownership": "private",
            "union.founded_on": date(2022, 5, 20) - timedelta(days=300 + n),
            "union.credit_code": uscc.make(f"91{XUNYANG}MB{n:07d}"),
            "union.address": f"九江市浔阳区庐山路{n + 1}号",
            "union.contact_name": "李娜",
            "union.contact_phone": f"0792-83{n:05d}",
        }
        row.update(flatten(full_survey(on=date(2022, 8, 1))))
        rows.append(row)
    return excel.build_template(rows)


def audit_counts() -> dict[str, int]:
    return {
        "unions": Union.objects.count(),
        "cases": Case.objects.count(),
        "surveys": Survey.objects.count(),
        "events": Event.objects.count(),
        "union history": Union.history.count(),
        "case history": Case.history.count(),
        "survey history": Survey.history.count(),
    }


def _backend(pid: int) -> tuple[str, str, bool] | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT state, query, xact_start IS NOT NULL FROM pg_stat_activity WHERE pid = %s",
            [pid],
        )
        return cursor.fetchone()


def test_it_saves_nothing_when_the_connection_drops_mid_import_and_imports_whole_on_retry(
    campaign, xunyang_officer
):
    content = roster(UNIONS)
    job = do_start_import(
        actor=xunyang_officer,
        campaign=campaign,
        federation=None,
        file_name="断线.xlsx",
        content=content,
        start=False,
    )
    before = audit_counts()
    worker: dict[str, object] = {}

    def importing() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                worker["pid"] = cursor.fetchone()[0]
            run_import(job.pk)
        except Exception as exc:  # noqa: BLE001 - the dropped connection, expected
            worker["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=importing)
    thread.start()
    deadline = time.monotonic() + 120
    killed_during = None
    while time.monotonic() < deadline and thread.is_alive():
        pid = worker.get("pid")
        row = _backend(pid) if pid else None
        saving = ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.SAVING).exists()
        if row and saving and row[2] and row[1].lstrip().upper().startswith("INSERT"):
            killed_during = row[1][:80]
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            break
        time.sleep(0.005)
    thread.join(120)
    assert killed_during, "the import finished before its writing transaction could be cut"
    assert "error" in worker or ImportJob.objects.get(pk=job.pk).state != ImportJob.State.DONE

    assert audit_counts() == before, (
        f"half-saved after the connection dropped during {killed_during!r}"
    )
    assert ImportJob.objects.get(pk=job.pk).state != ImportJob.State.DONE

    # Run it again on a fresh connection: a job cut off mid-save runs afresh; a failed one is
    # uploaded again.
    job.refresh_from_db()
    if job.state == ImportJob.State.FAILED:
        job = do_start_import(
            actor=xunyang_officer,
            campaign=campaign,
            federation=None,
            file_name="断线.xlsx",
            content=content,
            start=False,
        )
    finished = run_import(job.pk)
    assert finished.state == ImportJob.State.DONE, finished.errors[:3]
    after = audit_counts()
    for name in ("unions", "cases", "surveys", "union history", "case history", "survey history"):
        assert after[name] - before[name] == UNIONS, name
    assert after["events"] - before["events"] >= UNIONS  # one "create" per case opened
    assert verify_all() == []
