"""The public page of model unions: open to anyone, only selected unions, no personal data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from tests.conftest import WUNING, make_union
from tests.subsidies.journey import advance, freeze_today, fresh_survey
from workflows.models import Stage
from workflows.public import model_unions
from workflows.services import do_create_campaign, do_create_case


@pytest.fixture(autouse=True)
def _during_the_2022_campaign(monkeypatch):
    freeze_today(monkeypatch, date(2022, 9, 1))


def _union(officer, name, **extra):
    return make_union(
        officer,
        name=name,
        contact_name="联系人张三",
        contact_phone="0792-8123456",
        address="浔阳区湓浦路88号",
        **extra,
    )


@pytest.fixture
def selected(campaign, xunyang_officer, wuning_officer, federation_officer):
    """Two model unions in 浔阳区 (one six-haves), one in 武宁县; one recommended only; one in
    guidance."""
    fed, xy, wn = federation_officer, xunyang_officer, wuning_officer
    cases = {}
    for key, officer, name, extra, stage in [
        ("norms", xy, "浔阳示范新材料工会", {}, Stage.SUBSIDY),
        ("haves", xy, "浔阳示范物流工会", {"founded_on": date(2020, 3, 1)}, Stage.SUBSIDY),
        ("wuning", wn, "武宁示范茶业工会", {"federation": WUNING}, Stage.SUBSIDY),
        ("pending", xy, "浔阳待定工会", {}, Stage.SELECTION),
        ("guided", xy, "浔阳指导工会", {}, Stage.GUIDANCE),
    ]:
        case = do_create_case(
            actor=officer, campaign=campaign, union_id=_union(officer, name, **extra).pk
        )
        survey = fresh_survey()
        if key == "haves":
            survey["member_evaluation"].update(satisfied=40, basically_satisfied=60, unsatisfied=3)
        cases[key] = advance(case, stage, officer=officer, approver=fed, survey=survey)
    return cases


def test_it_lists_only_selected_model_unions_with_what_they_achieved(selected, campaign):
    with translation.override("en"):
        unions = {u.name: u for u in model_unions(campaign)}

    assert set(unions) == {"浔阳示范新材料工会", "浔阳示范物流工会", "武宁示范茶业工会"}
    norms = unions["浔阳示范新材料工会"]
    assert (norms.county, norms.track, norms.score) == (
        "浔阳区总工会",
        "six_norms",
        Decimal("1.0000"),
    )
    assert norms.areas_total == 6
    assert norms.areas_met == [
        "队伍建设",
        "组织机构",
        "履行职能",
        "制度机制",
        "职工之家",
        "工作绩效",
    ]
    assert norms.grade == "Satisfied"
    haves = unions["浔阳示范物流工会"]
    assert (haves.track, haves.areas_total, haves.grade) == ("six_haves", 6, "Basically satisfied")


def test_it_shows_the_page_without_login_grouped_by_county_and_track(selected, settings):
    settings.LANGUAGE_CODE = "en"
    response = Client().get("/models/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response.templates[0].name == "public/model_unions.html"
    html = response.content.decode()
    for name in ("浔阳示范新材料工会", "浔阳示范物流工会", "武宁示范茶业工会"):
        assert name in html
    assert "浔阳待定工会" not in html and "浔阳指导工会" not in html
    assert html.index("浔阳区总工会") < html.index("武宁县总工会")
    groups = response.context["groups"]
    assert [g.county for g in groups] == ["浔阳区总工会", "武宁县总工会"]
    assert [len(unions) for _track, unions in groups[0].tracks] == [1, 1]
    assert "100%" in html


def test_it_shows_no_personal_data(selected, xunyang_officer, federation_officer):
    html = Client().get("/models/").content.decode()

    for private in (
        "联系人张三",
        "0792-8123456",
        "湓浦路",
        "王芳",
        "李强",
        xunyang_officer.display_name,
        federation_officer.display_name,
        "xunyang",
    ):
        assert private not in html


def test_it_shows_another_campaign_by_year(selected, federation_officer):
    do_create_campaign(
        actor=federation_officer,
        data={
            "year": 2023,
            "title": "2023年度",
            "reference_date": date(2023, 5, 20),
            "survey_deadline": date(2023, 8, 31),
            "summary_deadline": date(2023, 12, 15),
        },
    )
    client = Client()

    latest = client.get("/models/")
    earlier = client.get("/models/?campaign=2022")

    assert latest.context["campaign"].year == 2023
    assert "浔阳示范新材料工会" not in latest.content.decode()
    assert earlier.context["campaign"].year == 2022
    assert "浔阳示范新材料工会" in earlier.content.decode()
    assert client.get("/models/?campaign=1999").status_code == 404
    assert client.get("/models/?campaign=abc").status_code == 404


def test_it_reads_a_fixed_number_of_queries(selected, campaign, django_assert_num_queries):
    with django_assert_num_queries(3):
        model_unions(campaign)


def test_it_accepts_only_reading(selected):
    assert Client().post("/models/").status_code == 405
