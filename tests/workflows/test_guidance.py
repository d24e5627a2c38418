"""Guidance plans: made on approval, steps marked done by the county, closed by reassessment."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils.translation import gettext

from inspections import rules
from inspections.guidance import suggested_step
from inspections.services import do_override_finding, do_save_survey
from lib.errors import Conflict, NotInScope, RoleForbidden
from tests.conftest import make_union
from tests.subsidies.journey import advance, freeze_today, fresh_survey
from unions.services import do_update_union
from workflows.guidance import do_mark_guidance_done
from workflows.models import Event, GuidanceAction, Stage
from workflows.services import do_create_case, do_transition


@pytest.fixture(autouse=True)
def _during_the_2022_campaign(monkeypatch):
    freeze_today(monkeypatch, date(2022, 9, 1))


def short_survey(**changes):
    """Meets every rule but N3.4 (no culture activity) and N5.5 (no library)."""
    data = fresh_survey(culture_activities_last_year=0, **changes)
    data["home"]["library"] = False
    return data


@pytest.fixture
def guided(case, xunyang_union, xunyang_officer, federation_officer):
    """浔阳区's union (whose reporter is ``reporter``) in guidance, two rules short."""
    do_update_union(xunyang_union.pk, actor=xunyang_officer, data={"contact_name": "陈小红"})
    return advance(
        case,
        Stage.GUIDANCE,
        officer=xunyang_officer,
        approver=federation_officer,
        survey=short_survey(),
    )


def _actions(case):
    return {a.rule: a for a in GuidanceAction.objects.filter(case=case)}


def _reassess_and_approve(case, officer, approver):
    do_transition(case.pk, "reassess", actor=officer, comment="整改后复评")
    do_transition(case.pk, "submit_assessment", actor=officer)
    do_transition(case.pk, "approve_assessment", actor=approver, comment="同意")


def test_it_makes_one_step_per_unmet_rule_when_the_assessment_is_approved(
    guided, campaign, federation_officer
):
    actions = _actions(guided)

    assert set(actions) == {"N3.4", "N5.5"}
    step = actions["N5.5"]
    assert step.clause == rules.RULES["N5.5"].clause
    assert step.step == suggested_step("N5.5")
    assert (step.owner, step.due_on, step.done_at) == ("陈小红", campaign.summary_deadline, None)
    history = step.history.get()
    assert (history.history_user, history.history_change_reason) == (
        federation_officer,
        gettext("Guidance plan made"),
    )


def test_it_serves_the_plan_to_whoever_sees_the_case(
    api, guided, reporter, wuning_officer, auditor
):
    response = api.as_user(reporter).get(f"/api/v1/cases/{guided.pk}/guidance/")

    assert response.status_code == 200
    assert [
        (a["rule"], a["area"], a["owner"], a["due_on"], a["overdue"]) for a in response.json()
    ] == [
        ("N3.4", "履行职能", "陈小红", "2022-12-15", False),
        ("N5.5", "职工之家", "陈小红", "2022-12-15", False),
    ]
    assert api.as_user(auditor).get(f"/api/v1/cases/{guided.pk}/guidance/").status_code == 200
    assert (
        api.as_user(wuning_officer).get(f"/api/v1/cases/{guided.pk}/guidance/").status_code == 404
    )


def test_it_marks_a_step_done_with_the_officer_the_note_an_event_and_history(
    api, guided, xunyang_officer
):
    action = _actions(guided)["N5.5"]

    response = api.as_user(xunyang_officer).post(
        f"/api/v1/cases/{guided.pk}/guidance/{action.pk}/done/",
        {"note": "已建成职工书屋"},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["done_by"] == {"username": "xunyang", "name": "浔阳区 王磊"}
    assert body["done_note"] == "已建成职工书屋"
    assert body["done_at"].startswith("2022-09-01")
    event = Event.objects.get(case=guided, action="guidance_done")
    assert (event.actor, event.comment, event.data) == (
        xunyang_officer,
        "已建成职工书屋",
        {"rule": "N5.5", "guidance_action": action.pk},
    )
    assert (event.from_stage, event.to_stage) == ("guidance", "guidance")
    latest = action.history.order_by("-history_id").first()
    assert (latest.history_user, latest.history_change_reason) == (
        xunyang_officer,
        "已建成职工书屋",
    )
    history = api.get(f"/api/v1/cases/{guided.pk}/history/").json()
    assert history[-1]["action"] == "guidance_done" and history[-1]["reason"] == "已建成职工书屋"


def test_it_refuses_to_mark_a_step_done_twice(guided, xunyang_officer):
    action = _actions(guided)["N3.4"]
    do_mark_guidance_done(guided.pk, action.pk, actor=xunyang_officer, note="已组织文体活动")

    with pytest.raises(Conflict):
        do_mark_guidance_done(guided.pk, action.pk, actor=xunyang_officer, note="again")
    assert Event.objects.filter(case=guided, action="guidance_done").count() == 1


@pytest.mark.parametrize("persona", ["federation_officer", "leader", "auditor", "reporter"])
def test_it_lets_only_county_officers_mark_steps_done(api, guided, persona, request):
    action = _actions(guided)["N3.4"]

    response = api.as_user(request.getfixturevalue(persona)).post(
        f"/api/v1/cases/{guided.pk}/guidance/{action.pk}/done/", {}, format="json"
    )

    assert response.status_code == 403
    action.refresh_from_db()
    assert action.done_at is None


def test_it_treats_another_countys_or_another_cases_step_as_unknown(
    guided, wuning_officer, xunyang_officer, campaign, federation_officer
):
    action = _actions(guided)["N3.4"]
    with pytest.raises(NotInScope):
        do_mark_guidance_done(guided.pk, action.pk, actor=wuning_officer)

    other = do_create_case(
        actor=xunyang_officer,
        campaign=campaign,
        union_id=make_union(xunyang_officer, name="浔阳另一工会").pk,
    )
    advance(
        other,
        Stage.GUIDANCE,
        officer=xunyang_officer,
        approver=federation_officer,
        survey=short_survey(),
    )
    with pytest.raises(NotInScope):
        do_mark_guidance_done(other.pk, action.pk, actor=xunyang_officer)


def test_it_marks_steps_done_only_during_guidance(guided, xunyang_officer):
    action = _actions(guided)["N3.4"]
    do_transition(guided.pk, "reassess", actor=xunyang_officer)

    with pytest.raises(Conflict):
        do_mark_guidance_done(guided.pk, action.pk, actor=xunyang_officer)


def test_it_closes_the_steps_whose_rule_is_met_on_reassessment(
    guided, xunyang_officer, federation_officer
):
    fixed = fresh_survey()
    fixed["home"]["library"] = False  # the culture activity was held; the library is still missing
    do_save_survey(guided, fixed, actor=xunyang_officer)

    do_transition(guided.pk, "reassess", actor=xunyang_officer, comment="整改后复评")

    actions = _actions(guided)
    assert actions["N3.4"].closed_by_reassessment is True
    assert actions["N3.4"].done_at is not None
    assert actions["N5.5"].done_at is None
    closing = actions["N3.4"].history.order_by("-history_id").first()
    assert (closing.history_user, closing.history_change_reason) == (
        xunyang_officer,
        gettext("Rule met on reassessment"),
    )

    do_transition(guided.pk, "submit_assessment", actor=xunyang_officer)
    do_transition(guided.pk, "approve_assessment", actor=federation_officer)
    after = _actions(guided)
    assert after["N3.4"].done_at is not None
    assert after["N5.5"].done_at is None


def test_it_reopens_a_step_marked_done_when_its_rule_is_still_unmet(
    guided, xunyang_officer, federation_officer
):
    action = _actions(guided)["N5.5"]
    do_mark_guidance_done(guided.pk, action.pk, actor=xunyang_officer, note="书屋已建")

    _reassess_and_approve(guided, xunyang_officer, federation_officer)

    action.refresh_from_db()
    assert (action.done_at, action.done_by) == (None, None)
    reopened = action.history.order_by("-history_id").first()
    assert (reopened.history_user, reopened.history_change_reason) == (
        federation_officer,
        gettext("Rule unmet again"),
    )


def test_it_closes_a_step_met_by_an_override_after_the_rerun(
    guided, xunyang_officer, federation_officer
):
    do_transition(guided.pk, "reassess", actor=xunyang_officer)
    do_override_finding(
        guided.pk, "N5.5", rules.MET, "现场检查：职工书屋已建成", actor=xunyang_officer
    )
    do_transition(guided.pk, "submit_assessment", actor=xunyang_officer)

    do_transition(guided.pk, "approve_assessment", actor=federation_officer)

    action = _actions(guided)["N5.5"]
    assert action.done_at is not None and action.closed_by_reassessment is True
    assert _actions(guided)["N3.4"].done_at is None


def test_it_lets_the_survey_be_brought_up_to_date_in_guidance_but_not_after(
    api, guided, xunyang_officer, reporter
):
    url = f"/api/v1/cases/{guided.pk}/survey/"
    assert api.as_user(reporter).put(url, fresh_survey(), format="json").status_code == 200

    guided.refresh_from_db()
    do_transition(guided.pk, "reassess", actor=xunyang_officer)
    assert api.as_user(xunyang_officer).put(url, fresh_survey(), format="json").status_code == 409


def test_it_flags_an_open_step_past_its_due_date(api, guided, reporter, monkeypatch):
    freeze_today(monkeypatch, date(2022, 12, 16))

    plan = api.as_user(reporter).get(f"/api/v1/cases/{guided.pk}/guidance/").json()

    assert [a["overdue"] for a in plan] == [True, True]


def test_it_replays_a_retried_done_instead_of_failing(api, guided, xunyang_officer):
    action = _actions(guided)["N3.4"]
    client = api.as_user(xunyang_officer)
    url = f"/api/v1/cases/{guided.pk}/guidance/{action.pk}/done/"

    first = client.post(url, {"note": "已办"}, format="json", HTTP_IDEMPOTENCY_KEY="done-1")
    retry = client.post(url, {"note": "已办"}, format="json", HTTP_IDEMPOTENCY_KEY="done-1")

    assert first.status_code == retry.status_code == 200
    assert Event.objects.filter(case=guided, action="guidance_done").count() == 1


def test_it_needs_a_county_officer_not_just_any_role(guided, federation_officer):
    with pytest.raises(RoleForbidden):
        do_mark_guidance_done(guided.pk, _actions(guided)["N3.4"].pk, actor=federation_officer)
