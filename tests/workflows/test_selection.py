"""Model-union selection (选树先进典型): who may recommend, the county's quota, the city's
decision, and nobody approving a step they took themselves."""

from __future__ import annotations

from functools import partial

import pytest

from lib.errors import Conflict
from notifications.models import Notification
from subsidies.services import do_create_subsidy, do_subsidy_transition
from tests.conftest import WUNING, make_union, on_postgres
from tests.subsidies.journey import advance, fresh_survey, run_at_once
from unions.models import Role
from workflows.models import Case, Event, Stage
from workflows.services import (
    available_transitions,
    do_create_case,
    do_transition,
    do_update_campaign,
)


def _cases_at(stage, campaign, officer, approver, n, *, federation=None, survey=None):
    cases = []
    for i in range(n):
        extra = {"federation": federation} if federation else {}
        union = make_union(officer, name=f"{officer.username}示范候选{i}工会", **extra)
        case = do_create_case(actor=officer, campaign=campaign, union_id=union.pk)
        cases.append(advance(case, stage, officer=officer, approver=approver, survey=survey))
    return cases


def _quota(campaign, federation_officer, n):
    do_update_campaign(campaign.pk, actor=federation_officer, data={"model_quota_per_county": n})
    campaign.refresh_from_db()


def _post(api, user, case, name, comment=""):
    return api.as_user(user).post(
        f"/api/v1/cases/{case.pk}/transitions/{name}/", {"comment": comment}, format="json"
    )


def test_it_recommends_only_a_union_that_meets_its_standard(
    api, case, xunyang_officer, federation_officer
):
    survey = fresh_survey(culture_activities_last_year=0)  # N3.4 unmet
    advance(
        case, Stage.GUIDANCE, officer=xunyang_officer, approver=federation_officer, survey=survey
    )

    response = _post(api, xunyang_officer, case, "recommend_model")

    assert response.status_code == 409
    assert "N3.4" in response.json()["reason"]
    offered = {t["name"]: t for t in available_transitions(case, xunyang_officer)}
    assert offered["recommend_model"]["allowed"] is False
    assert "N3.4" in offered["recommend_model"]["reason"]


def test_it_counts_recommended_and_selected_unions_against_the_countys_quota(
    api, campaign, xunyang_officer, wuning_officer, federation_officer
):
    _quota(campaign, federation_officer, 2)
    pending, chosen, third = _cases_at(
        Stage.GUIDANCE, campaign, xunyang_officer, federation_officer, 3
    )
    assert _post(api, xunyang_officer, pending, "recommend_model").status_code == 200
    assert _post(api, xunyang_officer, chosen, "recommend_model").status_code == 200
    assert _post(api, federation_officer, chosen, "select_model").status_code == 200

    refused = _post(api, xunyang_officer, third, "recommend_model")

    assert refused.status_code == 409
    assert "2" in refused.json()["reason"]
    # Another county's quota is its own.
    (wuning_case,) = _cases_at(
        Stage.GUIDANCE, campaign, wuning_officer, federation_officer, 1, federation=WUNING
    )
    assert _post(api, wuning_officer, wuning_case, "recommend_model").status_code == 200
    # Declining the pending one gives its place back.
    assert _post(api, federation_officer, pending, "decline_model", "材料不足").status_code == 200
    assert _post(api, xunyang_officer, third, "recommend_model").status_code == 200


def test_it_keeps_counting_a_model_union_after_its_case_is_closed(
    campaign, xunyang_officer, federation_officer, federation_officer_2, leader
):
    _quota(campaign, federation_officer, 1)
    model, other = _cases_at(Stage.GUIDANCE, campaign, xunyang_officer, federation_officer, 2)
    advance(model, Stage.SUBSIDY, officer=xunyang_officer, approver=federation_officer)
    application = do_create_subsidy(model.pk, actor=xunyang_officer)
    do_subsidy_transition(application.pk, "submit", actor=xunyang_officer)
    do_subsidy_transition(application.pk, "sign_off", actor=leader)
    do_subsidy_transition(application.pk, "disburse", actor=federation_officer_2)
    do_transition(model.pk, "close", actor=federation_officer)

    with pytest.raises(Conflict):
        do_transition(other.pk, "recommend_model", actor=xunyang_officer)


def test_it_does_not_count_a_case_closed_without_being_selected(
    campaign, xunyang_officer, federation_officer
):
    _quota(campaign, federation_officer, 1)
    closed, other = _cases_at(Stage.GUIDANCE, campaign, xunyang_officer, federation_officer, 2)
    do_transition(closed.pk, "close", actor=federation_officer, comment="达标，不推荐")

    case = do_transition(other.pk, "recommend_model", actor=xunyang_officer)

    assert case.stage == Stage.SELECTION


def test_it_selects_with_the_citys_comment_and_tells_the_county(
    api, case, xunyang_officer, federation_officer
):
    advance(case, Stage.SELECTION, officer=xunyang_officer, approver=federation_officer)

    response = _post(api, federation_officer, case, "select_model", "成效明显，列为示范")

    assert response.status_code == 200
    assert response.json()["stage"] == "subsidy"
    event = Event.objects.filter(case=case, action="select_model").get()
    assert (event.actor, event.from_stage, event.to_stage, event.comment) == (
        federation_officer,
        "selection",
        "subsidy",
        "成效明显，列为示范",
    )
    history = case.history.order_by("-history_id").first()
    assert (history.history_user, history.history_change_reason) == (
        federation_officer,
        "成效明显，列为示范",
    )
    assert Notification.objects.filter(recipient=xunyang_officer, kind="select_model").exists()


def test_it_needs_a_comment_to_decline_and_sends_the_case_back_to_guidance(
    api, case, xunyang_officer, federation_officer
):
    advance(case, Stage.SELECTION, officer=xunyang_officer, approver=federation_officer)

    bare = _post(api, federation_officer, case, "decline_model")
    assert bare.status_code == 400
    assert "comment" in bare.json()["errors"]

    response = _post(api, federation_officer, case, "decline_model", "职工之家建设需加强")

    assert response.status_code == 200
    assert response.json()["stage"] == "guidance"
    note = Notification.objects.get(recipient=xunyang_officer, kind="decline_model")
    assert note.params["comment"] == "职工之家建设需加强"


@pytest.mark.parametrize("persona", ["xunyang_officer", "leader", "auditor"])
@pytest.mark.parametrize("name", ["select_model", "decline_model"])
def test_it_lets_only_federation_officers_decide(
    api, case, xunyang_officer, federation_officer, persona, name, request
):
    advance(case, Stage.SELECTION, officer=xunyang_officer, approver=federation_officer)

    response = _post(api, request.getfixturevalue(persona), case, name, "意见")

    assert response.status_code == 403
    case.refresh_from_db()
    assert case.stage == Stage.SELECTION


@pytest.mark.parametrize("name", ["select_model", "decline_model"])
def test_it_never_lets_the_recommending_officer_decide_whatever_their_role_becomes(
    api, case, xunyang_officer, federation_officer, name
):
    advance(case, Stage.SELECTION, officer=xunyang_officer, approver=federation_officer)
    xunyang_officer.role = Role.FEDERATION_OFFICER  # moved to the city after recommending
    xunyang_officer.save(update_fields=["role"])

    own = _post(api, xunyang_officer, case, name, "意见")

    assert own.status_code == 409
    assert own.json()["reason"]
    assert _post(api, federation_officer, case, name, "意见").status_code == 200


def test_it_never_lets_the_submitting_officer_approve_the_assessment(
    api, case, xunyang_officer, federation_officer
):
    advance(case, Stage.ASSESSMENT_REVIEW, officer=xunyang_officer, approver=federation_officer)
    xunyang_officer.role = Role.FEDERATION_OFFICER
    xunyang_officer.save(update_fields=["role"])

    own = _post(api, xunyang_officer, case, "approve_assessment")

    assert own.status_code == 409
    offered = {t["name"]: t for t in available_transitions(case, xunyang_officer)}
    assert offered["approve_assessment"]["allowed"] is False
    assert _post(api, federation_officer, case, "approve_assessment").status_code == 200


@pytest.mark.postgres
@pytest.mark.skipif(not on_postgres(), reason="row locks across connections need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_holds_the_quota_when_two_officers_recommend_at_the_same_moment(
    campaign, xunyang_officer, xunyang_officer_2, federation_officer
):
    officers = [xunyang_officer, xunyang_officer_2]
    for round_ in range(4):
        cases = _cases_at(Stage.GUIDANCE, campaign, xunyang_officer, federation_officer, 2)
        taken = Event.objects.filter(case__campaign=campaign, action="recommend_model").count()
        _quota(campaign, federation_officer, taken + 1)
        results = run_at_once(
            [
                partial(do_transition, c.pk, "recommend_model", actor=o, comment=f"第{round_}轮")
                for c, o in zip(cases, officers, strict=True)
            ]
        )

        assert sum(isinstance(r, Case) for r in results) == 1, results
        assert any(isinstance(r, Conflict) for r in results), results
        stages = sorted(
            c.stage for c in type(cases[0]).objects.filter(pk__in=[c.pk for c in cases])
        )
        assert stages == [Stage.GUIDANCE, Stage.SELECTION]
