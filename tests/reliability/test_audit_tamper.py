"""``manage.py verify_audit`` catches every kind of tampering done around the application: a row
changed, removed (in the middle or at the end of its chain), inserted, and a stage changed
without its event. Tampering is raw SQL here, as an intruder's would be."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from inspections.services import do_save_survey
from lib.demo_survey import full_survey
from workflows.management.commands.verify_audit import verify_all
from workflows.models import ChainHead, Event
from workflows.services import do_transition


def run_verify() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("verify_audit", stdout=out)
    except CommandError as exc:
        return 1, out.getvalue() + str(exc)
    return 0, out.getvalue()


def sql(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def kinds(chain: str) -> set[str]:
    return {f.kind for f in verify_all() if f.chain == chain}


@pytest.fixture
def busy_cases(case, wuning_case, xunyang_officer, wuning_officer):
    """Two cases whose events interleave: case 浔阳 has gaps in its event ids."""
    today = timezone.localdate()
    do_save_survey(case, full_survey(on=today), actor=xunyang_officer)
    do_save_survey(wuning_case, full_survey(on=today), actor=wuning_officer)
    for _round in range(2):
        do_transition(case.pk, "submit_survey", actor=xunyang_officer)
        do_transition(wuning_case.pk, "submit_survey", actor=wuning_officer)
        do_transition(case.pk, "return_survey", actor=xunyang_officer, comment="请补充材料")
        do_transition(wuning_case.pk, "return_survey", actor=wuning_officer, comment="请补充材料")
    return case, wuning_case


def chain_events(case) -> list[Event]:
    return list(Event.objects.filter(chain=f"case:{case.pk}").order_by("id"))


def test_it_passes_an_untouched_audit_trail(busy_cases):
    status, output = run_verify()
    assert status == 0, output
    assert "Audit trail intact" in output
    head = ChainHead.objects.get(chain=f"case:{busy_cases[0].pk}")
    events = chain_events(busy_cases[0])
    assert (head.length, head.last_event_id, head.hash) == (
        len(events),
        events[-1].pk,
        events[-1].hash,
    )


def test_it_reports_a_changed_comment(busy_cases):
    case = busy_cases[0]
    target = chain_events(case)[2]
    sql("UPDATE workflows_event SET comment = %s WHERE id = %s", ["材料齐全", target.pk])
    status, output = run_verify()
    assert status == 1
    assert f"changed          case:{case.pk} event {target.pk}" in output


def test_it_reports_a_changed_actor(busy_cases, federation_officer):
    case = busy_cases[0]
    target = chain_events(case)[1]
    sql(
        "UPDATE workflows_event SET actor_id = %s WHERE id = %s", [federation_officer.pk, target.pk]
    )
    assert kinds(f"case:{case.pk}") == {"changed"}


def test_it_reports_a_removed_middle_event(busy_cases):
    case = busy_cases[0]
    events = chain_events(case)
    sql("DELETE FROM notifications_notification WHERE event_id = %s", [events[2].pk])
    sql("DELETE FROM workflows_event WHERE id = %s", [events[2].pk])
    findings = [f for f in verify_all() if f.chain == f"case:{case.pk}"]
    assert [(f.kind, f.event_id) for f in findings] == [
        ("removed", events[3].pk),
        ("removed", events[-1].pk),
    ]


def test_it_reports_the_last_event_removed_which_the_chain_alone_cannot_show(busy_cases):
    case = busy_cases[0]
    events = chain_events(case)
    sql("DELETE FROM notifications_notification WHERE event_id = %s", [events[-1].pk])
    sql("DELETE FROM workflows_event WHERE id = %s", [events[-1].pk])
    findings = [f for f in verify_all() if f.chain == f"case:{case.pk}"]
    # The stage check notices too: the case says "survey", its last remaining event says review.
    assert ("removed", events[-1].pk) in [(f.kind, f.event_id) for f in findings]
    status, _output = run_verify()
    assert status == 1


def test_it_reports_a_whole_chain_removed(busy_cases):
    case = busy_cases[0]
    sql("DELETE FROM notifications_notification WHERE case_id = %s", [case.pk])
    sql("DELETE FROM workflows_event WHERE case_id = %s", [case.pk])
    assert kinds(f"case:{case.pk}") == {"removed", "no_events"}


def _forge(case, *, id: int, prev: Event) -> Event:
    """A well-formed event with a correct hash and link: all an intruder without the head can do."""
    forged = Event(
        id=id,
        subject="case",
        subject_id=case.pk,
        case_id=case.pk,
        campaign_id=case.campaign_id,
        federation_id=prev.federation_id,
        actor_id=prev.actor_id,
        action="return_survey",
        from_stage="survey_review",
        to_stage="survey",
        comment="伪造",
        data={},
        created_at=prev.created_at,
        chain=prev.chain,
        prev_hash=prev.hash,
    )
    forged.hash = forged.compute_hash()
    return forged


def test_it_reports_an_event_inserted_between_two_others(busy_cases):
    case, other = busy_cases
    events = chain_events(case)
    # Free an id that lies between two of this chain's events, then slot a forged event into it.
    free_id = next(e.pk for e in chain_events(other) if events[1].pk < e.pk < events[2].pk)
    sql("DELETE FROM notifications_notification WHERE event_id = %s", [free_id])
    sql("DELETE FROM workflows_event WHERE id = %s", [free_id])
    Event.objects.bulk_create([_forge(case, id=free_id, prev=events[1])])
    findings = [(f.kind, f.event_id) for f in verify_all() if f.chain == f"case:{case.pk}"]
    # The row itself, and the head: the chain is one event longer than the application wrote.
    assert findings == [("inserted", free_id), ("inserted", events[-1].pk)]


def test_it_reports_an_event_appended_past_the_head(busy_cases):
    case = busy_cases[0]
    events = chain_events(case)
    last_id = Event.objects.order_by("-id").values_list("id", flat=True).first()
    Event.objects.bulk_create([_forge(case, id=last_id + 10, prev=events[-1])])
    findings = [(f.kind, f.event_id) for f in verify_all() if f.chain == f"case:{case.pk}"]
    assert findings == [("inserted", last_id + 10)]


def test_it_reports_a_stage_changed_without_its_event(busy_cases):
    case = busy_cases[0]
    sql("UPDATE workflows_case SET stage = %s WHERE id = %s", ["guidance", case.pk])
    assert kinds(f"case:{case.pk}") == {"state_mismatch", "history_mismatch"}
    status, output = run_verify()
    assert status == 1
    assert "stage is “guidance” but its last event left it at “survey”" in output


def test_it_reports_a_deleted_head(busy_cases):
    case = busy_cases[0]
    sql("DELETE FROM workflows_chainhead WHERE chain = %s", [f"case:{case.pk}"])
    assert kinds(f"case:{case.pk}") == {"no_head"}


def test_it_keeps_heads_in_step_with_the_chains_it_writes(busy_cases):
    heads = dict(ChainHead.objects.values_list("chain", "length"))
    for chain, length in heads.items():
        assert Event.objects.filter(chain=chain).count() == length
    assert set(heads) == set(Event.objects.values_list("chain", flat=True))
