"""The survey through the API: who may write it, how bad input is reported, submission, and the
pre-fill from the union's previous campaign (NORMS.md, API.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from inspections import services
from inspections.models import MemberEvaluation, Survey
from inspections.survey import NOT_CARRIED_OVER, example_survey, flatten
from workflows.models import Case, Event, Stage
from workflows.services import do_create_campaign, do_create_case, do_transition

TODAY = date(2022, 9, 1)


def said(msgid: str) -> set[str]:
    """A message as the services store it: its msgid, or its zh-hans translation (the default
    language of requests and of calls outside one)."""
    with translation.override("zh-hans"):
        return {msgid, translation.gettext(msgid)}


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr(services, "today", lambda: TODAY)


def survey_url(case) -> str:
    return f"/api/v1/cases/{case.pk}/survey/"


def submit_url(case) -> str:
    return f"/api/v1/cases/{case.pk}/transitions/submit_survey/"


def test_it_lets_the_reporter_save_an_incomplete_draft(api, case, reporter):
    response = api.as_user(reporter).put(
        survey_url(case), {"employees": 40, "chair": {"name": "王芳"}}, format="json"
    )

    assert response.status_code == 200, response.content
    assert api.get(survey_url(case)).json() == {"employees": 40, "chair": {"name": "王芳"}}
    row = Survey.objects.get(case=case).history.latest()
    assert row.history_user == reporter
    assert row.history_change_reason in said("Survey saved")


def test_it_lets_the_county_officer_save_the_survey(api, case, xunyang_officer):
    response = api.as_user(xunyang_officer).put(survey_url(case), {"members": 12}, format="json")

    assert response.status_code == 200
    assert Survey.objects.get(case=case).data == {"members": 12}


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("wuning_officer", 404),
        ("federation_officer", 403),
        ("leader", 403),
        ("auditor", 403),
    ],
)
def test_it_keeps_everyone_else_from_writing_the_survey(api, case, request, persona, status):
    user = request.getfixturevalue(persona)

    response = api.as_user(user).put(survey_url(case), {"members": 12}, format="json")

    assert response.status_code == status
    assert Survey.objects.get(case=case).data == {}


def test_it_hides_another_unions_survey_from_a_reporter(api, case, wuning_case, reporter):
    api.as_user(reporter)

    assert api.get(survey_url(wuning_case)).status_code == 404
    assert api.put(survey_url(wuning_case), {"members": 1}, format="json").status_code == 404


def test_it_names_every_bad_field_by_its_dotted_path_and_saves_nothing(api, case, reporter):
    api.as_user(reporter).put(survey_url(case), {"employees": 40}, format="json")

    response = api.put(
        survey_url(case),
        {
            "employees": -1,
            "members": "many",
            "chair": {"elected_on": "2022-13-01", "elected_lawfully": "yes"},
            "home": {"venue": 1},
            "committee": {"members": [{"name": ""}]},
            "member_evaluation": {"held_on": "2030-01-01"},
            "bogus": True,
        },
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {
        "employees",
        "members",
        "chair.elected_on",
        "chair.elected_lawfully",
        "home.venue",
        "committee.members.0.name",
        "member_evaluation.held_on",
        "bogus",
    }
    assert Survey.objects.get(case=case).data == {"employees": 40}


def test_it_refuses_a_survey_that_is_not_an_object(api, case, reporter):
    response = api.as_user(reporter).put(survey_url(case), [1, 2], format="json")

    assert response.status_code == 400
    assert "errors" in response.json()


def test_it_refuses_to_submit_an_incomplete_survey_naming_the_missing_fields_in_chinese(
    api, case, reporter
):
    api.as_user(reporter).put(survey_url(case), {"employees": 40}, format="json")

    response = api.post(submit_url(case), {}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 409
    reason = response.json()["reason"]
    assert "会员人数" in reason and "经费审查委员会" in reason
    assert "职工人数、" not in reason.replace("女职工人数、", "")  # answered
    assert "members" not in reason and "chair." not in reason  # labels, not paths
    case.refresh_from_db()
    assert case.stage == Stage.SURVEY


def test_it_names_the_missing_fields_in_english_when_english_is_chosen(api, case, reporter):
    response = api.as_user(reporter).post(
        submit_url(case), {}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 409
    assert "Funds review committee" in response.json()["reason"]


def test_it_lists_what_keeps_the_survey_from_being_submitted_in_survey_order(case, reporter):
    data = example_survey()
    del data["members"], data["home"]["library"], data["chair"]["name"]
    services.do_save_survey(case, data, actor=reporter)

    with translation.override("zh-hans"):
        problems = services.survey_problems(Case.objects.get(pk=case.pk))

    assert problems == ["会员人数", "工会主席姓名", "有职工书屋"]


def test_it_submits_a_complete_survey_and_records_who_did(api, case, reporter):
    api.as_user(reporter).put(survey_url(case), example_survey(), format="json")

    response = api.post(submit_url(case), {"comment": ""}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["stage"] == Stage.SURVEY_REVIEW
    survey = Survey.objects.get(case=case)
    assert survey.submitted_at is not None
    assert survey.history.latest().history_user == reporter
    event = Event.objects.filter(case=case).latest("id")
    assert (event.action, event.actor, event.to_stage) == (
        "submit_survey",
        reporter,
        "survey_review",
    )


def test_it_refuses_to_change_the_survey_once_submitted(api, case, reporter):
    api.as_user(reporter).put(survey_url(case), example_survey(), format="json")
    api.post(submit_url(case), {}, format="json")

    response = api.put(survey_url(case), {"employees": 1}, format="json")

    assert response.status_code == 409
    assert Survey.objects.get(case=case).data["employees"] == 320


def test_it_writes_no_history_when_the_same_answers_are_saved_again(api, case, reporter):
    api.as_user(reporter).put(survey_url(case), example_survey(), format="json")
    rows = Survey.objects.get(case=case).history.count()

    response = api.put(survey_url(case), example_survey(), format="json")

    assert response.status_code == 200
    assert Survey.objects.get(case=case).history.count() == rows


def test_it_prefills_the_next_campaigns_survey_from_the_previous_one(
    api, case, campaign, federation_officer, xunyang_officer, reporter
):
    api.as_user(reporter).put(survey_url(case), example_survey(), format="json")
    do_transition(case.pk, "submit_survey", actor=reporter)
    campaign_2023 = do_create_campaign(
        actor=federation_officer,
        data={
            "year": 2023,
            "title": "六有六规范建设（2023）",
            "reference_date": date(2023, 5, 20),
            "survey_deadline": date(2023, 8, 31),
            "summary_deadline": date(2023, 12, 15),
            "subsidy_six_haves": Decimal("5000.00"),
            "subsidy_six_norms": Decimal("8000.00"),
            "subsidy_budget": Decimal("100000.00"),
        },
    )

    new_case = do_create_case(actor=xunyang_officer, campaign=campaign_2023, union_id=case.union_id)

    prefilled = api.get(survey_url(new_case)).json()
    carried = {p: v for p, v in flatten(example_survey()).items() if p not in NOT_CARRIED_OVER}
    assert flatten(prefilled) == carried
    assert "activities_last_year" not in prefilled and "member_evaluation" not in prefilled
    survey = Survey.objects.get(case=new_case)
    assert survey.prefilled == sorted(carried)
    assert survey.typed == []
    assert survey.history.get().history_change_reason in said(
        "Pre-filled from the previous campaign"
    )

    # Only what changed is typed; the rest stays counted as pre-filled.
    prefilled["employees"] = 330
    prefilled["activities_last_year"] = 4
    assert api.put(survey_url(new_case), prefilled, format="json").status_code == 200
    survey.refresh_from_db()
    assert survey.typed == ["activities_last_year", "employees"]
    assert "employees" not in survey.prefilled and "members" in survey.prefilled
    # The old campaign's survey is untouched.
    assert Survey.objects.get(case=case).data == example_survey()
    assert MemberEvaluation.objects.filter(union=case.union).count() == 1
