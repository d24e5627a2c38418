"""Every case transition of API.md through ``POST /api/v1/cases/{id}/transitions/{name}/``.

For each: the right role moves the case and leaves exactly one event and one history row naming
the actor and the reason; every other role gets 403, a user outside the case's scope 404, the
wrong stage or an unmet condition 409 ``{"detail", "reason"}``, bad input 400
``{"errors": {field: [...]}}``, and no credentials 401. A refused request changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.conftest import WUNING, make_union
from unions.models import Role
from unions.services import do_create_user
from workflows.models import Case, Event, Stage

# Marked as a database module so pytest-django runs it with the other database tests
# (some personas are only requested inside the test, through getfixturevalue).
pytestmark = pytest.mark.django_db

ROLES = ("reporter", "county", "federation", "leader", "auditor")
PERSONA = {
    "reporter": "reporter",
    "county": "xunyang_officer",
    "federation": "federation_officer",
    "leader": "leader",
    "auditor": "auditor",
}


@dataclass(frozen=True)
class Spec:
    name: str
    source: str
    target: str
    roles: tuple[str, ...]
    needs_comment: bool = False


# API.md, "The case's stages and transitions".
SPECS = [
    Spec("submit_survey", Stage.SURVEY, Stage.SURVEY_REVIEW, ("reporter", "county")),
    Spec("return_survey", Stage.SURVEY_REVIEW, Stage.SURVEY, ("county",), needs_comment=True),
    Spec("accept_survey", Stage.SURVEY_REVIEW, Stage.ASSESSMENT, ("county",)),
    Spec("submit_assessment", Stage.ASSESSMENT, Stage.ASSESSMENT_REVIEW, ("county",)),
    Spec(
        "return_assessment",
        Stage.ASSESSMENT_REVIEW,
        Stage.ASSESSMENT,
        ("federation",),
        needs_comment=True,
    ),
    Spec("approve_assessment", Stage.ASSESSMENT_REVIEW, Stage.GUIDANCE, ("federation",)),
    Spec("reassess", Stage.GUIDANCE, Stage.ASSESSMENT, ("county",)),
    Spec("recommend_model", Stage.GUIDANCE, Stage.SELECTION, ("county",)),
    Spec("decline_model", Stage.SELECTION, Stage.GUIDANCE, ("federation",), needs_comment=True),
    Spec("select_model", Stage.SELECTION, Stage.SUBSIDY, ("federation",)),
    Spec("close", Stage.GUIDANCE, Stage.CLOSED, ("federation",)),
]
BY_NAME = {spec.name: spec for spec in SPECS}
IDS = [spec.name for spec in SPECS]


@pytest.fixture
def personas(
    request, reporter, xunyang_officer, federation_officer, leader, auditor, wuning_officer
):
    return {role: request.getfixturevalue(PERSONA[role]) for role in ROLES}


@pytest.fixture
def stranger_reporter(wuning_officer):
    """A reporter of another union, in another county."""
    union = make_union(wuning_officer, federation=WUNING, name="武宁县电子有限公司工会")
    return do_create_user(
        username="stranger", role=Role.UNION_REPORTER, password="x" * 12, union_id=union.pk
    )


def fire(api, user, case: Case, name: str, **body):
    """POST the transition as ``user`` (anonymous when None), asking for English messages."""
    client = api.as_user(user) if user is not None else api
    return client.post(
        f"/api/v1/cases/{case.pk}/transitions/{name}/",
        body,
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )


def snapshot(case: Case) -> tuple[str, int, int]:
    case.refresh_from_db()
    return case.stage, Event.objects.filter(case=case).count(), case.history.count()


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_it_fires_each_transition_for_the_right_role_with_one_event_and_one_history_row(
    spec, api, walk_case, personas
):
    case = walk_case(spec.source)
    comment = f"意见：{spec.name}"
    for role in spec.roles:
        if role != spec.roles[0]:
            case = _reset(case, spec, walk_case)
        actor = personas[role]
        events_before = set(Event.objects.filter(case=case).values_list("id", flat=True))
        history_before = case.history.count()

        response = fire(api, actor, case, spec.name, comment=comment)

        assert response.status_code == 200, response.data
        assert response.data["stage"] == spec.target
        assert response.data["id"] == case.pk
        names = {t["name"] for t in response.data["available_transitions"]}
        assert spec.name not in names or spec.source == spec.target
        new_events = Event.objects.filter(case=case).exclude(id__in=events_before)
        assert new_events.count() == 1
        event = new_events.get()
        assert (event.action, event.from_stage, event.to_stage) == (
            spec.name,
            spec.source,
            spec.target,
        )
        assert (event.actor, event.comment, event.subject) == (actor, comment, Event.Subject.CASE)
        assert case.history.count() == history_before + 1
        row = case.history.order_by("-history_id").first()
        assert row.stage == spec.target
        assert row.history_user == actor
        assert row.history_change_reason == comment
        assert event.history_id == row.history_id


def _reset(case: Case, spec: Spec, walk_case) -> Case:
    """A second right role needs the case back at the source stage: a fresh case of its own."""
    assert spec.name == "submit_survey"  # the only transition two roles may fire
    from workflows.services import do_transition

    officer = case.union.federation.officers.get(username="xunyang")
    do_transition(case.pk, "return_survey", actor=officer, comment="退回重填")
    case.refresh_from_db()
    return case


def test_it_records_the_transition_name_as_the_reason_when_no_comment_is_given(
    api, walk_case, xunyang_officer
):
    case = walk_case(Stage.SURVEY_REVIEW)
    assert fire(api, xunyang_officer, case, "accept_survey").status_code == 200
    row = case.history.order_by("-history_id").first()
    assert (row.history_user, row.history_change_reason) == (xunyang_officer, "accept_survey")
    event = Event.objects.filter(case=case).latest("id")
    assert (event.action, event.comment, event.actor) == ("accept_survey", "", xunyang_officer)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_it_refuses_every_other_role_with_403_and_changes_nothing(spec, api, walk_case, personas):
    case = walk_case(spec.source)
    before = snapshot(case)
    for role in ROLES:
        if role in spec.roles:
            continue
        response = fire(api, personas[role], case, spec.name, comment="越权")
        assert response.status_code == 403, (role, response.data)
        assert response.data == {"detail": "Your role may not do this."}
    assert snapshot(case) == before


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_it_hides_the_case_from_users_outside_its_scope_with_404(
    spec, api, walk_case, wuning_officer, stranger_reporter
):
    case = walk_case(spec.source)
    before = snapshot(case)
    for outsider in (wuning_officer, stranger_reporter):
        response = fire(api, outsider, case, spec.name, comment="跨县")
        assert response.status_code == 404, (outsider.username, response.data)
        assert response.data == {"detail": "Not found."}
    assert snapshot(case) == before


def test_it_answers_404_for_a_case_that_does_not_exist_and_an_unknown_transition(
    api, case, xunyang_officer
):
    assert (
        api.as_user(xunyang_officer)
        .post("/api/v1/cases/999999/transitions/submit_survey/")
        .status_code
        == 404
    )
    assert fire(api, xunyang_officer, case, "approve_everything").status_code == 404


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_it_answers_409_with_the_reason_when_the_stage_is_wrong(spec, api, walk_case, personas):
    wrong = Stage.SURVEY_REVIEW if spec.source == Stage.SURVEY else Stage.SURVEY
    case = walk_case(wrong)
    before = snapshot(case)
    response = fire(api, personas[spec.roles[-1]], case, spec.name, comment="试一下")
    assert response.status_code == 409, response.data
    assert set(response.data) == {"detail", "reason"}
    assert response.data["detail"] == "This action is not available now."
    assert str(Stage(wrong).label) in response.data["reason"]
    assert snapshot(case) == before


@pytest.mark.parametrize("spec", [s for s in SPECS if s.needs_comment], ids=lambda s: s.name)
def test_it_answers_400_naming_the_comment_when_a_required_comment_is_missing(
    spec, api, walk_case, personas
):
    case = walk_case(spec.source)
    before = snapshot(case)
    actor = personas[spec.roles[0]]
    for body in ({}, {"comment": ""}, {"comment": "   "}):
        response = fire(api, actor, case, spec.name, **body)
        assert response.status_code == 400, response.data
        assert list(response.data) == ["errors"]
        assert list(response.data["errors"]) == ["comment"]
        assert response.data["errors"]["comment"][0]
    assert snapshot(case) == before


def test_it_answers_400_when_the_comment_is_not_text(api, walk_case, xunyang_officer):
    case = walk_case(Stage.SURVEY_REVIEW)
    before = snapshot(case)
    response = fire(api, xunyang_officer, case, "return_survey", comment={"text": "退回"})
    assert response.status_code == 400
    assert list(response.data["errors"]) == ["comment"]
    assert snapshot(case) == before


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_it_answers_401_without_credentials(spec, api, case):
    before = snapshot(case)
    response = fire(api, None, case, spec.name, comment="匿名")
    assert response.status_code == 401
    bad = api.post(
        f"/api/v1/cases/{case.pk}/transitions/{spec.name}/",
        {},
        format="json",
        HTTP_AUTHORIZATION="Token not-a-real-token",
    )
    assert bad.status_code == 401
    assert snapshot(case) == before


# --- Unmet conditions: 409 with the reason in words --------------------------------------------


def test_it_refuses_to_submit_an_incomplete_survey_naming_what_is_missing(
    api, case, xunyang_officer, frozen_today
):
    before = snapshot(case)
    response = fire(api, xunyang_officer, case, "submit_survey")
    assert response.status_code == 409
    assert response.data["reason"].startswith("The survey is not complete")
    assert snapshot(case) == before


def test_it_refuses_to_submit_an_assessment_while_findings_need_review(
    api, campaign, xunyang_officer, federation_officer, frozen_today
):
    from inspections.services import rules_needing_review
    from tests.workflows.conftest import walk
    from workflows.services import do_create_case

    # N1.2: the chair's rank in a state-owned enterprise is always an officer's judgment.
    union = make_union(xunyang_officer, name="九江国有粮油有限公司工会", ownership="state_owned")
    case = do_create_case(actor=xunyang_officer, campaign=campaign, union_id=union.pk)
    walk(case, Stage.ASSESSMENT, county=xunyang_officer, federation=federation_officer)
    assert rules_needing_review(case) == ["N1.2"]
    before = snapshot(case)
    response = fire(api, xunyang_officer, case, "submit_assessment")
    assert response.status_code == 409
    assert response.data["reason"] == "Findings still need review: N1.2"
    assert snapshot(case) == before


def test_it_refuses_to_recommend_a_union_that_does_not_meet_its_standard(
    api, case, xunyang_officer, federation_officer, frozen_today
):
    from inspections.services import do_save_survey
    from lib.demo_survey import full_survey
    from tests.workflows.conftest import settle_reviews
    from workflows.services import do_transition

    survey = full_survey(on=frozen_today)
    survey["home"]["library"] = False  # N5.5: the eight of 职工之家 are not all there
    do_save_survey(case, survey, actor=xunyang_officer)
    do_transition(case.pk, "submit_survey", actor=xunyang_officer)
    do_transition(case.pk, "accept_survey", actor=xunyang_officer)
    settle_reviews(case, xunyang_officer)
    do_transition(case.pk, "submit_assessment", actor=xunyang_officer)
    do_transition(case.pk, "approve_assessment", actor=federation_officer)
    before = snapshot(case)
    response = fire(api, xunyang_officer, case, "recommend_model")
    assert response.status_code == 409
    assert "N5.5" in response.data["reason"]
    assert snapshot(case) == before


def test_it_refuses_to_close_from_subsidy_until_the_subsidy_is_settled(
    api, walk_case, xunyang_officer, federation_officer, leader
):
    from subsidies.services import do_create_subsidy, do_subsidy_transition

    case = walk_case(Stage.SUBSIDY)
    before = snapshot(case)
    response = fire(api, federation_officer, case, "close")
    assert response.status_code == 409
    assert response.data["reason"] == "The subsidy has not been disbursed or rejected yet."
    assert snapshot(case) == before

    application = do_create_subsidy(case.pk, actor=xunyang_officer)
    do_subsidy_transition(application.pk, "submit", actor=xunyang_officer)
    do_subsidy_transition(application.pk, "sign_off", actor=leader)
    assert fire(api, federation_officer, case, "close").status_code == 409
    do_subsidy_transition(application.pk, "disburse", actor=federation_officer)

    response = fire(api, federation_officer, case, "close", comment="补助已拨付")
    assert response.status_code == 200
    assert response.data["stage"] == Stage.CLOSED
    event = Event.objects.filter(case=case, subject=Event.Subject.CASE).latest("id")
    assert (event.action, event.from_stage, event.to_stage) == (
        "close",
        Stage.SUBSIDY,
        Stage.CLOSED,
    )


def test_it_lists_each_transition_with_whether_this_user_may_fire_it_and_why_not(
    api, walk_case, xunyang_officer, federation_officer, leader
):
    case = walk_case(Stage.GUIDANCE)
    by_name = {
        t["name"]: t
        for t in api.as_user(xunyang_officer)
        .get(f"/api/v1/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en")
        .data["available_transitions"]
    }
    assert set(by_name) == {"reassess", "recommend_model", "close"}
    assert by_name["reassess"]["allowed"] and by_name["recommend_model"]["allowed"]
    assert not by_name["close"]["allowed"]
    assert by_name["close"]["reason"] == "Your role may not do this."
    assert all(set(t) == {"name", "label", "allowed", "reason"} for t in by_name.values())
    as_leader = (
        api.as_user(leader)
        .get(f"/api/v1/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en")
        .data["available_transitions"]
    )
    assert not any(t["allowed"] for t in as_leader)
    as_fed = {
        t["name"]: t
        for t in api.as_user(federation_officer)
        .get(f"/api/v1/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en")
        .data["available_transitions"]
    }
    assert as_fed["close"]["allowed"] and not as_fed["reassess"]["allowed"]
