"""The home page of each role shows what waits on that person, and only what they may see."""

from __future__ import annotations

import pytest

from tests.conftest import WUNING, make_union
from tests.pages.conftest import submitted_subsidy, walk
from workflows.models import Stage
from workflows.services import do_create_case, do_transition


@pytest.fixture(autouse=True)
def _today(frozen_today):
    return frozen_today


def test_it_shows_a_county_officer_the_surveys_to_review_of_their_county_only(
    login, case, wuning_case, xunyang_officer, wuning_officer, federation_officer
):
    walk(case, Stage.SURVEY_REVIEW, county=xunyang_officer, federation=federation_officer)
    walk(wuning_case, Stage.SURVEY_REVIEW, county=wuning_officer, federation=federation_officer)

    page = login(xunyang_officer).get("/").content.decode()

    assert "Surveys to review" in page
    assert case.union.name in page
    assert wuning_case.union.name not in page
    assert f'href="/cases/{case.pk}/"' in page


def test_it_counts_the_county_cases_by_stage_and_track(
    login, case, xunyang_officer, federation_officer
):
    walk(case, Stage.ASSESSMENT, county=xunyang_officer, federation=federation_officer)

    response = login(xunyang_officer).get("/")

    matrix = {row["stage"]: row for row in response.context["matrix"]["rows"]}
    assert matrix[Stage.ASSESSMENT]["tracks"][case.track] == 1
    assert response.context["matrix"]["total"] == 1
    assert response.context["assessments_to_submit"]["count"] == 1


def test_it_gives_the_federation_officer_the_approval_queue_and_progress_by_county(
    login, case, wuning_case, xunyang_officer, wuning_officer, federation_officer
):
    walk(case, Stage.ASSESSMENT_REVIEW, county=xunyang_officer, federation=federation_officer)
    walk(wuning_case, Stage.SELECTION, county=wuning_officer, federation=federation_officer)

    response = login(federation_officer).get("/")
    page = response.content.decode()

    assert response.context["assessments"]["count"] == 1
    assert response.context["recommendations"]["count"] == 1
    assert case.union.name in page and wuning_case.union.name in page
    progress = {row.federation["code"]: row for row in response.context["progress"]}
    assert progress[WUNING].stages[Stage.SELECTION] == 1
    assert "浔阳区总工会" in page and "武宁县总工会" in page


def test_it_lists_subsidies_waiting_for_the_leader_linked_counties_first(
    login, campaign, xunyang_officer, wuning_officer, federation_officer, leader
):
    # The Wuning application is submitted first; the leader follows Xunyang (联系挂点).
    wuning = do_create_case(
        actor=wuning_officer,
        campaign=campaign,
        union_id=make_union(wuning_officer, federation=WUNING, name="武宁县茶业合作社工会").pk,
    )
    xunyang = do_create_case(
        actor=xunyang_officer, campaign=campaign, union_id=make_union(xunyang_officer).pk
    )
    submitted_subsidy(wuning, county=wuning_officer, federation=federation_officer)
    submitted_subsidy(xunyang, county=xunyang_officer, federation=federation_officer)

    response = login(leader).get("/")

    rows = response.context["waiting"]["rows"]
    assert [row.case_id for row in rows] == [xunyang.pk, wuning.pk]
    assert response.context["waiting"]["count"] == 2
    assert "linked" in response.content.decode()


def test_it_shows_the_reporter_their_survey_and_what_was_sent_back(
    login, case, reporter, xunyang_officer, federation_officer
):
    walk(case, Stage.SURVEY_REVIEW, county=xunyang_officer, federation=federation_officer)
    do_transition(case.pk, "return_survey", actor=xunyang_officer, comment="请补充女职工委员会材料")

    page = login(reporter).get("/").content.decode()

    assert case.union.name in page
    assert "Sent back to you" in page
    assert "请补充女职工委员会材料" in page
    assert f'href="/cases/{case.pk}/survey/"' in page


def test_it_sends_the_auditor_to_the_audit_explorer(login, auditor):
    response = login(auditor).get("/")

    assert response.status_code == 302
    assert response["Location"] == "/audit/"


def test_it_asks_for_a_login_first(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
