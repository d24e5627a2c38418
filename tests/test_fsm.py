"""``Machine.run``: the lock, the checks, the save with history and the event that cases,
subsidies and county summaries share, on a machine of the test's own over a real model (a
county summary), so each step can be made to refuse on its own.

A refusal, whichever check makes it, saves nothing and writes no event; a failure after the
save (the event's) takes the save back with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from viewflow.fsm import State

from inspections.models import CountySummary
from inspections.summaries import do_create_summary
from lib.errors import Conflict, InvalidInput, NotInScope, RoleForbidden
from lib.fsm import Machine
from unions.models import Role, User
from workflows.events import record_event
from workflows.models import Event

pytestmark = pytest.mark.django_db

S = CountySummary.State


def _role(role: str):
    def permission(flow: DeskFlow, user: User) -> bool:
        return user.role == role

    return permission


def has_text(flow: DeskFlow) -> State.CONDITION:
    return State.CONDITION(bool(flow.summary.text), "还没有写总结。")


@dataclass
class DeskFlow:
    summary: CountySummary
    user: User | None = None

    state = State(S, default=S.DRAFT)

    @state.getter()
    def _get_state(self) -> str:
        return self.summary.state

    @state.setter()
    def _set_state(self, value: str) -> None:
        self.summary.state = value

    @state.transition(
        source=S.DRAFT,
        target=S.SUBMITTED,
        label="报送",
        permission=_role(Role.COUNTY_OFFICER),
        conditions=[has_text],
    )
    def file(self) -> None:
        self.summary.late = True  # a body may change more than the state: that is saved too

    @state.transition(
        source=S.SUBMITTED,
        target=S.RETURNED,
        label="退回",
        permission=_role(Role.FEDERATION_OFFICER),
        custom={"requires_comment": True},
    )
    def send_back(self) -> None:
        pass


DESK = Machine(
    flow_class=DeskFlow,
    methods={"submit": "file", "return": "send_back"},
    state_label=lambda state: S(state).label,
    unavailable="“%(action)s”在“%(state)s”时不可用。",
)


def record(summary: CountySummary, **event) -> Event:
    return record_event(
        subject=Event.Subject.SUMMARY,
        subject_id=summary.pk,
        federation_id=summary.federation_id,
        campaign_id=summary.campaign_id,
        **event,
    )


@pytest.fixture
def summary(campaign, xunyang_officer):
    return do_create_summary(actor=xunyang_officer, campaign=campaign, text="总结正文")


def run(summary: CountySummary, name: str, actor: User, **kwargs) -> CountySummary:
    kwargs.setdefault("record", record)
    return DESK.run(
        name,
        lock=lambda: CountySummary.objects.select_for_update().get(pk=summary.pk),
        actor=actor,
        **kwargs,
    )


def written(summary: CountySummary) -> tuple[str, int, int]:
    """What the database holds of the summary: its state, history rows and events."""
    return (
        CountySummary.objects.get(pk=summary.pk).state,
        summary.history.count(),
        Event.objects.filter(subject=Event.Subject.SUMMARY, subject_id=summary.pk).count(),
    )


def test_it_fires_saves_what_changed_with_history_and_records_the_linked_event(
    summary, xunyang_officer
):
    with CaptureQueriesContext(connection) as captured:
        fired = run(summary, "submit", xunyang_officer, comment="  已核对  ")

    assert fired.state == S.SUBMITTED
    saved = CountySummary.objects.get(pk=summary.pk)
    assert (saved.state, saved.late) == (S.SUBMITTED, True)
    history = summary.history.latest("history_id")
    assert history.history_user == xunyang_officer
    assert history.history_change_reason == "已核对"
    assert (history.state, history.late) == (S.SUBMITTED, True)
    event = Event.objects.filter(subject=Event.Subject.SUMMARY, subject_id=summary.pk).latest("id")
    assert (event.action, event.from_stage, event.to_stage) == ("submit", S.DRAFT, S.SUBMITTED)
    assert (event.actor, event.comment, event.history_id) == (
        xunyang_officer,
        "已核对",
        history.history_id,
    )
    table = CountySummary._meta.db_table
    [update] = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("UPDATE") and table in q["sql"].split(" SET ")[0]
    ]
    columns = update.split(" SET ")[1].split(" WHERE ")[0]
    assert "state" in columns and "late" in columns
    assert "text" not in columns and "figures" not in columns  # nothing it did not change


def test_without_a_comment_the_history_gives_the_transitions_name_as_the_reason(
    summary, xunyang_officer
):
    run(summary, "submit", xunyang_officer)

    assert summary.history.latest("history_id").history_change_reason == "submit"


def test_it_answers_an_unknown_transition_404_before_locking_anything(summary, xunyang_officer):
    def lock():
        raise AssertionError("locked for an unknown transition")

    with pytest.raises(NotInScope):
        DESK.run("publish", lock=lock, actor=xunyang_officer, record=record)


def test_the_services_lock_answers_for_the_scope(summary, wuning_officer):
    def out_of_scope():
        raise NotInScope()

    before = written(summary)
    with pytest.raises(NotInScope):
        DESK.run("submit", lock=out_of_scope, actor=wuning_officer, record=record)
    assert written(summary) == before


@pytest.mark.parametrize(
    ("name", "who", "comment", "may_act", "error"),
    [
        ("submit", "federation_officer", "", None, RoleForbidden),  # the role may not
        ("submit", "xunyang_officer", "", lambda user, obj: False, RoleForbidden),  # not theirs
        ("return", "federation_officer", "请补充", None, Conflict),  # not from a draft
    ],
)
def test_a_refused_transition_saves_nothing_and_writes_no_event(
    request, summary, name, who, comment, may_act, error
):
    before = written(summary)

    with pytest.raises(error):
        run(summary, name, request.getfixturevalue(who), comment=comment, may_act=may_act)

    assert written(summary) == before


def test_an_unmet_condition_is_refused_with_its_reason_and_nothing_written(
    summary, xunyang_officer
):
    CountySummary.objects.filter(pk=summary.pk).update(text="")
    before = written(summary)

    with pytest.raises(Conflict, match="还没有写总结"):
        run(summary, "submit", xunyang_officer)

    assert written(summary) == before


def test_a_missing_comment_is_refused_naming_the_field_and_nothing_written(
    summary, xunyang_officer, federation_officer
):
    run(summary, "submit", xunyang_officer)
    before = written(summary)

    with pytest.raises(InvalidInput) as refused:
        run(summary, "return", federation_officer, comment="   ")

    assert list(refused.value.errors) == ["comment"]
    assert written(summary) == before


def test_a_failure_after_the_save_takes_the_save_back(summary, xunyang_officer):
    def failing_record(obj, **event):
        record(obj, **event)
        raise RuntimeError("the event's subscriber failed")

    before = written(summary)

    with pytest.raises(RuntimeError):
        run(summary, "submit", xunyang_officer, record=failing_record)

    assert written(summary) == before
