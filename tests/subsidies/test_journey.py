"""One union from survey to closed with a disbursed subsidy, through the HTTP API only, each
step in the case's history with who did it and why."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import XUNYANG
from tests.subsidies.journey import freeze_today, fresh_survey


@pytest.fixture(autouse=True)
def _during_the_2022_campaign(monkeypatch):
    freeze_today(monkeypatch, date(2022, 9, 1))


def test_it_carries_a_union_from_survey_to_closed_with_a_disbursed_subsidy(
    api, xunyang_officer, federation_officer, federation_officer_2, leader, auditor
):
    def call(user, method, url, data=None, status=200):
        response = getattr(api.as_user(user), method)(url, data, format="json")
        assert response.status_code == status, (url, response.status_code, response.json())
        return response.json()

    campaign = call(
        federation_officer,
        "post",
        "/api/v1/campaigns/",
        {
            "year": 2022,
            "title": "六有六规范建设",
            "reference_date": "2022-05-20",
            "survey_deadline": "2022-08-31",
            "summary_deadline": "2022-12-15",
            "subsidy_amounts": {"six_haves": "5000.00", "six_norms": "8000.00"},
            "subsidy_budget": "100000.00",
        },
        status=201,
    )
    union = call(
        xunyang_officer,
        "post",
        "/api/v1/unions/",
        {
            "name": "九江浔阳新材料有限公司工会",
            "federation": XUNYANG,
            "union_type": "enterprise",
            "ownership": "private",
            "founded_on": "2015-03-01",
        },
        status=201,
    )
    case = call(
        xunyang_officer,
        "post",
        "/api/v1/cases/",
        {"campaign": campaign["id"], "union": union["id"]},
        status=201,
    )
    assert (case["track"], case["stage"]) == ("six_norms", "survey")
    cid = case["id"]
    call(xunyang_officer, "put", f"/api/v1/cases/{cid}/survey/", fresh_survey())

    steps = [
        (xunyang_officer, "submit_survey", "调查表填报完成", "survey", "survey_review"),
        (xunyang_officer, "accept_survey", "调查表核实无误", "survey_review", "assessment"),
        (
            xunyang_officer,
            "submit_assessment",
            "评估结果报市总审核",
            "assessment",
            "assessment_review",
        ),
        (federation_officer, "approve_assessment", "评估结果属实", "assessment_review", "guidance"),
        (xunyang_officer, "recommend_model", "推荐为示范工会", "guidance", "selection"),
        (federation_officer_2, "select_model", "列为六个规范示范工会", "selection", "subsidy"),
    ]
    for user, name, comment, _from, to in steps:
        body = call(user, "post", f"/api/v1/cases/{cid}/transitions/{name}/", {"comment": comment})
        assert body["stage"] == to
    assert (
        call(xunyang_officer, "get", f"/api/v1/cases/{cid}/guidance/") == []
    )  # it meets its standard

    subsidy = call(xunyang_officer, "post", "/api/v1/subsidies/", {"case": cid}, status=201)
    assert subsidy["amount"] == "8000.00"
    money = [
        (xunyang_officer, "submit", "申请示范工会经费补助", "draft", "submitted"),
        (leader, "sign_off", "同意补助", "submitted", "signed_off"),
        (federation_officer, "disburse", "补助已拨付", "signed_off", "disbursed"),
    ]
    for user, name, comment, _from, to in money:
        body = call(
            user,
            "post",
            f"/api/v1/subsidies/{subsidy['id']}/transitions/{name}/",
            {"comment": comment},
        )
        assert body["state"] == to
    closed = call(
        federation_officer_2,
        "post",
        f"/api/v1/cases/{cid}/transitions/close/",
        {"comment": "建设完成，结案"},
    )
    assert closed["stage"] == "closed"

    history = call(auditor, "get", f"/api/v1/cases/{cid}/history/")
    people = {
        u.username: u for u in (xunyang_officer, federation_officer, federation_officer_2, leader)
    }
    expected = (
        [(u.username, name, comment, fr, to) for u, name, comment, fr, to in steps]
        + [(u.username, f"subsidy.{name}", comment, fr, to) for u, name, comment, fr, to in money]
        + [(federation_officer_2.username, "close", "建设完成，结案", "subsidy", "closed")]
    )
    names = {name for _u, name, *_rest in expected}
    acted = [
        (e["actor"]["username"], e["action"], e["reason"], e["from"], e["to"])
        for e in history
        if e["action"] in names
    ]
    assert acted == expected
    for entry in history:
        if entry["action"] in names:
            assert entry["actor"]["name"] == people[entry["actor"]["username"]].name
            assert entry["at"].startswith("2022-09-01T")
    stage_changes = [
        e["changes"].get("stage")
        for e in history
        if e["action"] in {s[1] for s in steps} | {"close"}
    ]
    assert stage_changes == [[fr, to] for *_x, fr, to in steps] + [["subsidy", "closed"]]
    figures = call(auditor, "get", f"/api/v1/campaigns/{campaign['id']}/figures/")
    assert figures["city"]["subsidies"]["disbursed"]["amount"] == "8000.00"
    assert figures["city"]["model_unions"] == 1
