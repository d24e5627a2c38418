"""Walk a case through the real services, step by step, as the people would (tests only).

Each step is the service a person's click calls, so a case built here carries the same events,
history and notifications as one worked by hand. The survey is ``lib.demo_survey.full_survey``
made fresh for today, which meets every rule of a private enterprise's track; pass ``survey`` to
vary it.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone

from inspections.services import do_save_survey
from lib.demo_survey import full_survey
from subsidies.models import SubsidyApplication
from subsidies.services import do_create_subsidy, do_subsidy_transition
from unions.models import User
from workflows.models import Case, Stage
from workflows.services import do_transition

SHANGHAI = ZoneInfo("Asia/Shanghai")
ORDER = [
    Stage.SURVEY,
    Stage.SURVEY_REVIEW,
    Stage.ASSESSMENT,
    Stage.ASSESSMENT_REVIEW,
    Stage.GUIDANCE,
    Stage.SELECTION,
    Stage.SUBSIDY,
]


def freeze_today(monkeypatch, day: date, at: time = time(9)) -> None:
    """Make "now" ``day`` at ``at`` in Asia/Shanghai, a microsecond later on each call so that
    timestamps still order. Patches ``django.utils.timezone.now`` for the test only."""
    start = datetime.combine(day, at, tzinfo=SHANGHAI)
    ticks = itertools.count()
    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(microseconds=next(ticks)))


def fresh_survey(**changes: Any) -> dict[str, Any]:
    """The complete survey, dated for today; ``changes`` replace top-level keys."""
    data = full_survey(on=timezone.localdate())
    data.update(changes)
    return data


def advance(
    case: Case,
    to: str,
    *,
    officer: User,
    approver: User,
    survey: dict[str, Any] | None = None,
) -> Case:
    """Move ``case`` forward to stage ``to``: ``officer`` (a county officer) does the county's
    steps, ``approver`` (a federation officer) the city's."""
    target = ORDER.index(to)
    case.refresh_from_db()
    if ORDER.index(case.stage) == 0 and target > 0:
        do_save_survey(case, survey if survey is not None else fresh_survey(), actor=officer)
    steps = [
        (Stage.SURVEY, "submit_survey", officer),
        (Stage.SURVEY_REVIEW, "accept_survey", officer),
        (Stage.ASSESSMENT, "submit_assessment", officer),
        (Stage.ASSESSMENT_REVIEW, "approve_assessment", approver),
        (Stage.GUIDANCE, "recommend_model", officer),
        (Stage.SELECTION, "select_model", approver),
    ]
    for stage, name, actor in steps:
        case.refresh_from_db()
        if ORDER.index(case.stage) >= target:
            break
        if case.stage == stage:
            do_transition(case.pk, name, actor=actor, comment=f"{name} by {actor.username}")
    case.refresh_from_db()
    assert case.stage == to, f"case {case.pk} stopped at {case.stage}, not {to}"
    return case


def submitted_subsidy(
    case: Case, *, officer: User, approver: User, amount=None
) -> SubsidyApplication:
    """A selected model union's application, submitted by ``officer`` and awaiting sign-off."""
    advance(case, Stage.SUBSIDY, officer=officer, approver=approver)
    application = do_create_subsidy(case.pk, actor=officer, amount=amount)
    return do_subsidy_transition(application.pk, "submit", actor=officer)


def run_at_once(calls: list[Callable[[], object]]) -> list[object]:
    """Run each call in its own thread (so its own database connection and transaction), all
    released at the same moment; return what each returned or raised, in order."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = calls[i]()
        except Exception as exc:  # noqa: BLE001 - handed back to the test to assert on
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results
