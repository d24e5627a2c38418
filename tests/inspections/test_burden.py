"""The burden meter (减负): typed, pre-filled and derived fields and times sent back, per case and
summed per county within the user's scope."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from inspections import services
from inspections.survey import example_survey, flatten
from workflows.services import do_create_campaign, do_create_case, do_transition

TODAY = date(2022, 9, 1)
FACTS = ["union_type", "ownership", "founded_on"]  # a private enterprise: no park level


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr(services, "today", lambda: TODAY)


def burden(api, user, case):
    response = api.as_user(user).get(f"/api/v1/cases/{case.pk}/burden/")
    assert response.status_code == 200, response.content
    return response.json()


def test_it_counts_only_derived_values_on_a_fresh_case(api, case, xunyang_officer):
    meter = burden(api, xunyang_officer, case)

    assert meter == {
        "case": case.pk,
        "typed": 0,
        "prefilled": 0,
        "derived": 4,
        "returned": 0,
        "typed_fields": [],
        "prefilled_fields": [],
        "derived_fields": ["track", *FACTS],
    }


def test_it_counts_what_the_reporter_typed_and_the_grade_it_derived(api, case, reporter):
    api.as_user(reporter).put(f"/api/v1/cases/{case.pk}/survey/", example_survey(), format="json")

    meter = burden(api, reporter, case)

    assert meter["typed"] == len(flatten(example_survey()))
    assert meter["typed_fields"] == sorted(flatten(example_survey()))
    assert meter["derived_fields"] == ["track", "member_evaluation.grade", *FACTS]


def test_it_counts_the_times_a_case_was_sent_back(api, case, reporter, xunyang_officer):
    services.do_save_survey(case, example_survey(), actor=reporter)
    for comment in ("职工人数有误", "会员评家票数有误"):
        do_transition(case.pk, "submit_survey", actor=reporter)
        do_transition(case.pk, "return_survey", actor=xunyang_officer, comment=comment)

    assert burden(api, xunyang_officer, case)["returned"] == 2


def test_it_counts_what_the_previous_campaign_prefilled(
    api, case, reporter, xunyang_officer, federation_officer
):
    services.do_save_survey(case, example_survey(), actor=reporter)
    next_year = do_create_campaign(
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
    new_case = do_create_case(actor=xunyang_officer, campaign=next_year, union_id=case.union_id)
    carried = services.survey_of(new_case).data
    carried["employees"] = 330

    services.do_save_survey(new_case, carried, actor=reporter)

    meter = burden(api, reporter, new_case)
    assert meter["typed_fields"] == ["employees"]
    assert meter["prefilled"] == len(flatten(carried)) - 1
    assert "employees" not in meter["prefilled_fields"]


def test_it_sums_the_meter_per_county_within_the_users_scope(
    api, campaign, case, wuning_case, reporter, xunyang_officer, wuning_officer, federation_officer
):
    services.do_save_survey(case, example_survey(), actor=reporter)
    do_transition(case.pk, "submit_survey", actor=reporter)
    do_transition(case.pk, "return_survey", actor=xunyang_officer, comment="请补充")
    services.do_save_survey(wuning_case, {"employees": 12, "members": 10}, actor=wuning_officer)
    url = f"/api/v1/campaigns/{campaign.pk}/burden/"

    everything = api.as_user(federation_officer).get(url).json()

    typed = len(flatten(example_survey()))
    assert everything["campaign"] == campaign.pk
    assert everything["counties"] == [
        {
            "federation": "360403",
            "name": "浔阳区总工会",
            "cases": 1,
            "typed": typed,
            "prefilled": 0,
            "derived": 5,
            "returned": 1,
        },
        {
            "federation": "360423",
            "name": "武宁县总工会",
            "cases": 1,
            "typed": 2,
            "prefilled": 0,
            "derived": 4,
            "returned": 0,
        },
    ]
    assert everything["total"] == {
        "cases": 2,
        "typed": typed + 2,
        "prefilled": 0,
        "derived": 9,
        "returned": 1,
    }
    own = api.as_user(xunyang_officer).get(url).json()
    assert [county["federation"] for county in own["counties"]] == ["360403"]
    assert own["total"]["cases"] == 1
    mine = api.as_user(reporter).get(url).json()
    assert mine["total"]["cases"] == 1


def test_it_hides_the_meter_outside_the_scope(api, campaign, case, wuning_officer):
    api.as_user(wuning_officer)

    assert api.get(f"/api/v1/cases/{case.pk}/burden/").status_code == 404
    assert api.get(f"/api/v1/campaigns/{campaign.pk + 99}/burden/").status_code == 404
    county = api.get(f"/api/v1/campaigns/{campaign.pk}/burden/").json()
    assert county["counties"] == [] and county["total"]["cases"] == 0
