"""The Excel import writes the ``create`` event of every case it opens in bulk: the same events,
chains and heads as one ``record_event`` per case, an audit trail ``verify_audit`` accepts, and a
number of statements that does not grow with the rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from inspections import excel, imports, services
from inspections.models import ImportJob
from inspections.survey import example_survey, flatten
from notifications.models import Notification
from tests.conftest import XUNYANG
from unions import uscc
from unions.models import Union
from unions.services import do_update_union
from workflows.events import record_event
from workflows.management.commands.verify_audit import verify_all
from workflows.models import Case, ChainHead, Event

pytestmark = pytest.mark.django_db

TODAY = date(2022, 9, 1)
NOW = datetime(2022, 9, 1, 2, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr(services, "today", lambda: TODAY)


def roster(count: int, *, first: int = 0, also: list[dict] | None = None) -> bytes:
    rows = [
        {
            "union.name": f"九江浔阳批量测试第{n + 1:04d}号工会",
            "union.union_type": "enterprise",
            "union.ownership": "private",
            "union.founded_on": (
                date(2022, 5, 20) - timedelta(days=30 + 97 * (n % 60))
            ).isoformat(),
            "union.credit_code": uscc.make(f"91{XUNYANG}MC{n:07d}"),
            "union.address": f"九江市浔阳区九华门路{n + 1}号",
            "union.contact_name": "李娜",
            "union.contact_phone": f"0792-84{n:05d}",
            **flatten(example_survey()),
        }
        for n in range(first, first + count)
    ]
    return excel.build_template(rows + (also or []))


def run(officer, campaign, content: bytes) -> ImportJob:
    job = imports.do_start_import(
        actor=officer,
        campaign=campaign,
        federation=None,
        file_name="批量.xlsx",
        content=content,
        start=False,
    )
    job = imports.run_import(job.pk)
    assert job.state == ImportJob.State.DONE, job.errors
    return job


def one_at_a_time(events) -> list[Event]:
    """What the import did before: one ``record_event`` per event."""
    return [
        record_event(
            subject=event.subject,
            subject_id=event.subject_id,
            case=event.case,
            campaign_id=event.campaign_id,
            federation_id=event.federation_id,
            actor=event.actor,
            action=event.action,
            from_stage=event.from_stage,
            to_stage=event.to_stage,
            comment=event.comment,
            data=event.data,
            history_id=event.history_id,
        )
        for event in events
    ]


def events_written(after: int) -> dict[tuple[str, str], dict[str, Any]]:
    """Each new event by its subject and union name, with what depends on the run's ids (the
    subject, its chain and history row, the head) checked against the rows it must name."""
    written = {}
    for event in Event.objects.filter(id__gt=after).order_by("id"):
        if event.subject == Event.Subject.CASE:
            subject = Case.objects.select_related("union").get(pk=event.subject_id)
            union = subject.union
        else:
            subject = union = Union.objects.get(pk=event.subject_id)
        head = ChainHead.objects.get(chain=event.chain)
        written[(event.subject, union.name)] = {
            "action": event.action,
            "stages": (event.from_stage, event.to_stage),
            "case": event.case_id == (subject.pk if event.subject == "case" else None),
            "actor": event.actor_id,
            "comment": event.comment,
            "county": event.federation_id == union.federation_id,
            "campaign": event.campaign_id,
            "data": event.data,
            "at": event.created_at,
            "chain": event.chain == f"{event.subject}:{subject.pk}",
            "first in its chain": event.prev_hash == "",
            "hash": event.hash == event.compute_hash(),
            "its history row": event.history_id == subject.history.latest().history_id,
            "head": (head.last_event_id == event.pk, head.length, head.hash == event.hash),
        }
    return written


def test_it_writes_the_events_the_services_write_one_at_a_time(
    monkeypatch, campaign, xunyang_officer, xunyang_union
):
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)  # the hashes cover the time
    changed = {"union.name": xunyang_union.name, "union.contact_phone": "0792-8888888"}
    content = roster(6, also=[{**changed, "employees": 40}])
    last = Event.objects.order_by("-id").values_list("id", flat=True).first()
    notifications = Notification.objects.count()
    reason = "Excel 导入: 批量.xlsx"

    with transaction.atomic():
        before = transaction.savepoint()
        with monkeypatch.context() as patch:
            patch.setattr(imports, "record_events", one_at_a_time)
            run(xunyang_officer, campaign, content)
        expected = events_written(last)
        transaction.savepoint_rollback(before)
        # What the union's own service writes for the same change.
        before = transaction.savepoint()
        do_update_union(
            xunyang_union.pk,
            actor=xunyang_officer,
            data={"contact_phone": "0792-8888888"},
            reason=reason,
        )
        by_service = events_written(last)
        transaction.savepoint_rollback(before)

    assert not Case.objects.filter(campaign=campaign).exists()
    job = run(xunyang_officer, campaign, content)

    assert (job.summary["unions_created"], job.summary["cases_opened"]) == (6, 7)
    written = events_written(last)
    assert written == expected
    assert len(written) == 6 + 1 + 7
    update = written[("union", xunyang_union.name)]
    assert update == by_service[("union", xunyang_union.name)]
    assert update["data"] == {
        "name": xunyang_union.name,
        "changes": {"contact_phone": [xunyang_union.contact_phone, "0792-8888888"]},
    }
    case_created = {
        "action": "create",
        "stages": ("", "survey"),
        "case": True,
        "actor": xunyang_officer.pk,
        "comment": reason,
        "county": True,
        "campaign": campaign.pk,
        "data": {},
        "at": NOW,
        "chain": True,
        "first in its chain": True,
        "hash": True,
        "its history row": True,
        "head": (True, 1, True),
    }
    union_registered = {
        **case_created,
        "stages": ("", ""),
        "case": True,
        "campaign": None,
    }
    for (subject, name), event in written.items():
        if subject == "case":
            assert event == case_created, name
        elif name != xunyang_union.name:
            assert event == {**union_registered, "data": {"name": name}}, name
    assert Notification.objects.count() == notifications  # nobody is told of either
    assert verify_all() == []


def test_its_statements_do_not_grow_with_the_rows(campaign, xunyang_officer):
    counts = []
    for first, count in ((0, 4), (100, 30)):
        content = roster(count, first=first)
        job = imports.do_start_import(
            actor=xunyang_officer,
            campaign=campaign,
            federation=None,
            file_name=f"{count}.xlsx",
            content=content,
            start=False,
        )
        with CaptureQueriesContext(connection) as queries:
            job = imports.run_import(job.pk)
        assert job.state == ImportJob.State.DONE, job.errors
        assert job.summary["cases_opened"] == count
        counts.append(len(queries))

    assert counts[0] == counts[1], counts
    assert Event.objects.filter(action="create", case__campaign=campaign).count() == 34
    assert Event.objects.filter(action="create", subject="union").count() == 34
    assert verify_all() == []
