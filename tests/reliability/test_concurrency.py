"""A thousand transitions and sign-offs fired at once from eight connections (PostgreSQL).

Officers press buttons on a case they looked at a moment ago; by the time they press, another
officer may have moved it. The row lock must make each press either the one that wins or a 409:
no event lost or written twice, history rows matching the changes one to one, each case's
events forming one unbroken path, and the subsidy budget never exceeded however many leaders
sign at the same moment.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from inspections.services import do_save_survey
from lib.demo_survey import full_survey
from lib.errors import Conflict
from notifications.models import Notification
from subsidies.models import SubsidyApplication
from subsidies.services import do_subsidy_transition
from tests.conftest import WUNING, XUNYANG, make_union, on_postgres
from unions.models import Federation
from workflows.flows import TRANSITION_NAMES
from workflows.management.commands.verify_audit import verify_all
from workflows.models import Case, Event, Stage
from workflows.services import do_create_case, do_transition, do_update_campaign

from .builders import advance, submitted_subsidy

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not on_postgres(), reason="needs PostgreSQL: eight connections racing on real row locks"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

THREADS = 8
RETURNS_PER_CASE = 4  # survey ⇄ review four times, then accepted: 10 transitions a case


def run_threads(work, count: int = THREADS) -> list[Exception]:
    """Run ``work(index)`` on ``count`` threads, each with its own database connection."""
    errors: list[Exception] = []
    start = threading.Barrier(count)

    def body(index: int) -> None:
        try:
            start.wait()
            work(index)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return errors


def next_transition(stage: str, returned: int) -> str | None:
    if stage == Stage.SURVEY:
        return "submit_survey"
    if stage == Stage.SURVEY_REVIEW:
        return "return_survey" if returned < RETURNS_PER_CASE else "accept_survey"
    return None


def test_it_loses_and_doubles_no_transition_under_concurrent_presses(
    campaign, xunyang_officer, xunyang_officer_2, wuning_officer
):
    today = timezone.localdate()
    officers = {XUNYANG: [xunyang_officer, xunyang_officer_2], WUNING: [wuning_officer]}
    cases = []
    for n in range(100):
        code = XUNYANG if n % 2 else WUNING
        union = make_union(officers[code][0], federation=code, name=f"并发测试企业{n}工会")
        case = do_create_case(actor=officers[code][0], campaign=campaign, union_id=union.pk)
        do_save_survey(case, full_survey(on=today), actor=officers[code][0])
        cases.append((case.pk, officers[code]))
    before = Event.objects.filter(action__in=TRANSITION_NAMES).count()
    won: Counter[int] = Counter()
    lost: Counter[int] = Counter()

    def press(index: int) -> None:
        rng = random.Random(index)
        order = cases[:]
        pending = True
        while pending:
            pending = False
            rng.shuffle(order)
            for case_id, county_officers in order:
                stage, returned = Case.objects.values_list("stage", "returned_count").get(
                    pk=case_id
                )
                name = next_transition(stage, returned)
                if name is None:
                    continue
                pending = True
                try:
                    do_transition(
                        case_id,
                        name,
                        actor=rng.choice(county_officers),
                        comment="请补充" if name == "return_survey" else "",
                    )
                    won[index] += 1
                except Conflict:
                    lost[index] += 1

    started = time.monotonic()
    errors = run_threads(press)
    elapsed = time.monotonic() - started
    assert errors == []

    transitions = Event.objects.filter(subject="case", action__in=TRANSITION_NAMES)
    assert transitions.count() - before == sum(won.values()) == 100 * (2 * RETURNS_PER_CASE + 2)
    assert sum(lost.values()) > 0, "no press ever lost a race: the test did not race"
    print(
        f"{sum(won.values())} transitions, {sum(lost.values())} lost races (409) in {elapsed:.1f}s"
    )

    for case_id, _officers in cases:
        case = Case.objects.get(pk=case_id)
        assert case.stage == Stage.ASSESSMENT
        assert case.returned_count == RETURNS_PER_CASE
        events = list(
            transitions.filter(case_id=case_id).order_by("id").values_list("from_stage", "to_stage")
        )
        assert len(events) == 2 * RETURNS_PER_CASE + 2
        for (_prev_from, prev_to), (this_from, _this_to) in zip(events, events[1:], strict=False):
            assert this_from == prev_to, f"case {case_id}: broken path {events}"
        rows = list(case.history.order_by("history_id").values_list("stage", flat=True))
        stage_changes = sum(1 for old, new in zip(rows, rows[1:], strict=False) if old != new)
        assert stage_changes == len(events) == len(rows) - 1
        assert case.history.filter(history_type="~").count() == len(events)
        assert case.assessments.count() == 1

    pairs = Notification.objects.filter(event__isnull=False).values_list("event_id", "recipient_id")
    assert len(pairs) == len(set(pairs)), "a notification was written twice"
    assert verify_all() == []


def test_it_never_signs_off_past_the_budget_however_many_leaders_sign_at_once(
    campaign,
    federation_officer,
    federation_officer_2,
    xunyang_officer,
    wuning_officer,
    leader,
    leader_2,
):
    amount = campaign.subsidy_six_norms
    do_update_campaign(
        campaign.pk,
        actor=federation_officer,
        data={"subsidy_budget": amount * 10, "model_quota_per_county": 100},
        reason="并发测试",
    )
    # Both leaders follow both counties, so either may sign any application (a leader signs off
    # only for the counties they are linked to).
    for person in (leader, leader_2):
        person.linked_federations.add(*Federation.objects.filter(code__in=[XUNYANG, WUNING]))
    applications = []
    for n in range(24):
        officer, code = (xunyang_officer, XUNYANG) if n % 2 else (wuning_officer, WUNING)
        union = make_union(officer, federation=code, name=f"预算测试企业{n}工会")
        case = do_create_case(actor=officer, campaign=campaign, union_id=union.pk)
        case = advance(case, Stage.SUBSIDY, county=officer, federation=federation_officer)
        applications.append(submitted_subsidy(case, county=officer).pk)
    outcomes: Counter[str] = Counter()

    def sign(index: int) -> None:
        rng = random.Random(1000 + index)
        leaders, officers = [leader, leader_2], [federation_officer, federation_officer_2]
        for _round in range(3):
            for application_id in rng.sample(applications, len(applications)):
                state = SubsidyApplication.objects.values_list("state", flat=True).get(
                    pk=application_id
                )
                if index < 6:
                    name, actor, comment = "sign_off", rng.choice(leaders), ""
                    if state == "submitted" and rng.random() < 0.1:
                        name, comment = "reject", "材料不全"
                else:  # two threads pay out what has been signed off
                    name, actor, comment = "disburse", rng.choice(officers), ""
                try:
                    do_subsidy_transition(application_id, name, actor=actor, comment=comment)
                    outcomes[name] += 1
                except Conflict:
                    outcomes[f"{name} 409"] += 1

    errors = run_threads(sign)
    assert errors == []
    print(dict(outcomes))

    states = Counter(SubsidyApplication.objects.values_list("state", flat=True))
    paid = states["signed_off"] + states["disbursed"]
    committed = sum(
        SubsidyApplication.objects.filter(state__in=["signed_off", "disbursed"]).values_list(
            "amount", flat=True
        ),
        Decimal("0"),
    )
    assert committed <= amount * 10
    assert paid == min(10, 24 - states["rejected"])
    assert outcomes["sign_off 409"] > 0, (
        "no sign-off was ever refused: the budget was never reached"
    )
    for name in ("sign_off", "reject", "disburse"):
        assert Event.objects.filter(subject="subsidy", action=name).count() == outcomes[name]
    history = SubsidyApplication.history.model.objects
    assert history.filter(state="signed_off", history_type="~").count() == outcomes["sign_off"]
    assert history.filter(state="disbursed").count() == outcomes["disburse"] == states["disbursed"]
    assert verify_all() == []
