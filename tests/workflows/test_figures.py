"""Campaign figures per county and city-wide, from the records, in a fixed number of queries."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from openpyxl import load_workbook

from inspections.models import Survey
from subsidies.services import do_create_subsidy, do_subsidy_transition
from tests.conftest import WUNING, XUNYANG, make_union
from tests.subsidies.journey import advance, freeze_today, fresh_survey, submitted_subsidy
from unions.models import Federation
from workflows.figures import campaign_figures, figures_by_federation
from workflows.models import Stage
from workflows.services import do_create_campaign, do_create_case, do_transition


@pytest.fixture(autouse=True)
def _during_the_2022_campaign(monkeypatch):
    freeze_today(monkeypatch, date(2022, 9, 1))


def _case(officer, campaign, name, federation=XUNYANG, **union):
    union = make_union(officer, federation=federation, name=name, **union)
    return do_create_case(actor=officer, campaign=campaign, union_id=union.pk)


@pytest.fixture
def records(
    campaign, xunyang_officer, wuning_officer, federation_officer, federation_officer_2, leader
):
    """浔阳区: one case not surveyed, one in review, one in guidance short of its standard, one
    recommended, one model union paid and closed. 武宁县: a six-haves case being assessed and a
    model union whose subsidy awaits sign-off."""
    fed, xy, wn = federation_officer, xunyang_officer, wuning_officer
    _case(xy, campaign, "浔阳未填报工会")
    advance(_case(xy, campaign, "浔阳审核中工会"), Stage.SURVEY_REVIEW, officer=xy, approver=fed)
    unhappy = fresh_survey(culture_activities_last_year=0)
    unhappy["member_evaluation"].update(satisfied=5, basically_satisfied=10, unsatisfied=40)
    advance(
        _case(xy, campaign, "浔阳指导中工会"),
        Stage.GUIDANCE,
        officer=xy,
        approver=fed,
        survey=unhappy,
    )
    advance(_case(xy, campaign, "浔阳推荐工会"), Stage.SELECTION, officer=xy, approver=fed)
    paid = _case(xy, campaign, "浔阳示范工会")
    application = submitted_subsidy(paid, officer=xy, approver=fed)
    do_subsidy_transition(application.pk, "sign_off", actor=leader)
    do_subsidy_transition(application.pk, "disburse", actor=federation_officer_2)
    do_transition(paid.pk, "close", actor=fed)

    young = _case(wn, campaign, "武宁新建工会", federation=WUNING, founded_on=date(2020, 1, 1))
    advance(young, Stage.ASSESSMENT, officer=wn, approver=fed)
    waiting = _case(wn, campaign, "武宁示范工会", federation=WUNING)
    submitted_subsidy(waiting, officer=wn, approver=fed)


def test_it_counts_each_countys_cases_from_the_records(records, campaign):
    by_code = {c["federation"]["code"]: c for c in campaign_figures(campaign)["counties"]}
    xunyang, wuning = by_code[XUNYANG], by_code[WUNING]

    assert xunyang["cases"] == 5
    assert xunyang["stages"] == {
        "survey": 1,
        "survey_review": 1,
        "assessment": 0,
        "assessment_review": 0,
        "guidance": 1,
        "selection": 1,
        "subsidy": 0,
        "closed": 1,
    }
    assert xunyang["tracks"] == {"six_haves": 0, "six_norms": 5}
    assert xunyang["surveyed"] == 4
    assert xunyang["assessed"] == 3
    assert xunyang["meeting_standard"] == 2
    assert xunyang["meeting_share"] == Decimal("0.6667")
    assert xunyang["grades"] == {
        "satisfied": 3,
        "basically_satisfied": 0,
        "unsatisfied": 1,
        "none": 0,
    }
    assert xunyang["model_unions"] == 1
    assert xunyang["subsidies"] == {
        "requested": {"count": 1, "amount": Decimal("8000.00")},
        "signed": {"count": 1, "amount": Decimal("8000.00")},
        "disbursed": {"count": 1, "amount": Decimal("8000.00")},
    }

    assert wuning["cases"] == 2
    assert wuning["tracks"] == {"six_haves": 1, "six_norms": 1}
    assert wuning["surveyed_by_track"] == {"six_haves": 1, "six_norms": 1}
    assert wuning["assessed"] == 1
    assert wuning["model_unions"] == 1
    assert wuning["subsidies"]["requested"] == {"count": 1, "amount": Decimal("8000.00")}
    assert wuning["subsidies"]["signed"] == {"count": 0, "amount": Decimal("0.00")}


def test_it_sums_the_city_and_sets_commitments_against_the_budget(records, campaign):
    figures = campaign_figures(campaign)
    city = figures["city"]

    assert len(figures["counties"]) == Federation.objects.count()
    assert city["cases"] == 7
    assert city["surveyed"] == 6
    assert city["model_unions"] == 2
    assert city["meeting_standard"] == 3
    assert city["subsidies"]["requested"]["amount"] == Decimal("16000.00")
    assert city["budget"] == {
        "budget": Decimal("100000.00"),
        "committed": Decimal("8000.00"),
        "remaining": Decimal("92000.00"),
    }


def test_it_gives_every_county_zeros_rather_than_leaving_it_out(campaign):
    figures = campaign_figures(campaign)

    assert all(c["cases"] == 0 and c["meeting_share"] is None for c in figures["counties"])
    assert figures["city"]["budget"]["remaining"] == Decimal("100000.00")


def test_it_costs_the_same_few_queries_however_many_cases(
    records, campaign, xunyang_officer, django_assert_num_queries
):
    queries = 4 if connection.vendor == "postgresql" else 3  # PostgreSQL: SET LOCAL jit = off
    with django_assert_num_queries(queries):
        campaign_figures(campaign)
    for n in range(5):
        _case(xunyang_officer, campaign, f"浔阳新增{n}工会")
    with django_assert_num_queries(queries):
        figures = campaign_figures(campaign)
    assert figures["city"]["cases"] == 12
    xunyang = Federation.objects.get(code=XUNYANG)
    with django_assert_num_queries(queries):
        figures_by_federation(campaign, [xunyang.pk])


def test_it_serves_the_figures_with_money_as_decimal_strings(api, records, campaign, leader):
    response = api.as_user(leader).get(f"/api/v1/campaigns/{campaign.pk}/figures/")

    assert response.status_code == 200
    body = response.json()
    assert body["campaign"]["year"] == 2022
    assert body["city"]["budget"] == {
        "budget": "100000.00",
        "committed": "8000.00",
        "remaining": "92000.00",
    }
    xunyang = next(c for c in body["counties"] if c["federation"]["code"] == XUNYANG)
    assert xunyang["meeting_share"] == "0.6667"
    assert xunyang["subsidies"]["disbursed"]["amount"] == "8000.00"


def test_it_shows_a_county_officer_only_their_own_county(api, records, campaign, wuning_officer):
    body = api.as_user(wuning_officer).get(f"/api/v1/campaigns/{campaign.pk}/figures/").json()

    assert [c["federation"]["code"] for c in body["counties"]] == [WUNING]
    assert body["city"] is None


def test_it_refuses_the_figures_to_a_union_reporter(api, campaign, reporter):
    assert api.as_user(reporter).get(f"/api/v1/campaigns/{campaign.pk}/figures/").status_code == 403


def test_it_answers_an_unknown_campaign_with_404(api, campaign, auditor):
    assert (
        api.as_user(auditor).get(f"/api/v1/campaigns/{campaign.pk + 99}/figures/").status_code
        == 404
    )


def test_it_exports_the_figures_to_a_spreadsheet(api, records, campaign, federation_officer):
    response = api.as_user(federation_officer).get(
        f"/api/v1/campaigns/{campaign.pk}/figures.xlsx",
        HTTP_ACCEPT="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="figures-2022.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert len(rows) == 1 + Federation.objects.count() + 1
    xunyang = dict(zip(header, next(r for r in rows if r[0] == XUNYANG), strict=True))
    assert xunyang["Cases"] == 5
    assert xunyang["Model unions"] == 1
    assert xunyang["Disbursed (yuan)"] == 8000
    city = dict(zip(header, rows[-1], strict=True))
    assert (city["Federation"], city["Cases"], city["Requested (yuan)"]) == ("City-wide", 7, 16000)


def test_it_gives_a_leader_their_linked_counties_and_what_waits_for_them(
    api, records, campaign, leader
):
    body = api.as_user(leader).get("/api/v1/leader/home/").json()

    assert body["campaign"]["id"] == campaign.pk
    assert [c["federation"]["code"] for c in body["counties"]] == [XUNYANG]
    assert body["counties"][0]["model_unions"] == 1
    assert [(s["union_name"], s["state"], s["linked"]) for s in body["waiting"]] == [
        ("武宁示范工会", "submitted", False)
    ]


def test_it_puts_a_linked_countys_waiting_subsidy_first(
    api, records, campaign, leader, xunyang_officer, federation_officer
):
    submitted_subsidy(
        _case(xunyang_officer, campaign, "浔阳第二示范工会"),
        officer=xunyang_officer,
        approver=federation_officer,
    )

    waiting = api.as_user(leader).get("/api/v1/leader/home/").json()["waiting"]

    assert [(s["union_name"], s["linked"]) for s in waiting] == [
        ("浔阳第二示范工会", True),
        ("武宁示范工会", False),
    ]


def test_it_keeps_the_leaders_home_for_leaders(api, campaign, federation_officer):
    assert api.as_user(federation_officer).get("/api/v1/leader/home/").status_code == 403


def test_it_counts_a_rejected_subsidy_as_requested_but_not_signed(
    campaign, xunyang_officer, federation_officer, leader
):
    application = submitted_subsidy(
        _case(xunyang_officer, campaign, "浔阳被退回工会"),
        officer=xunyang_officer,
        approver=federation_officer,
    )
    do_subsidy_transition(application.pk, "reject", actor=leader, comment="材料不全")
    draft_case = advance(
        _case(xunyang_officer, campaign, "浔阳草稿工会"),
        Stage.SUBSIDY,
        officer=xunyang_officer,
        approver=federation_officer,
    )
    do_create_subsidy(draft_case.pk, actor=xunyang_officer)

    xunyang = campaign_figures(campaign)["counties"]
    xunyang = next(c for c in xunyang if c["federation"]["code"] == XUNYANG)

    assert xunyang["subsidies"]["requested"] == {"count": 1, "amount": Decimal("8000.00")}
    assert xunyang["subsidies"]["signed"]["count"] == 0
    assert xunyang["model_unions"] == 2


def test_it_takes_each_cases_grade_from_the_evaluation_its_own_survey_reported(
    campaign, xunyang_union, xunyang_officer, federation_officer, monkeypatch
):
    # A late survey of the 2022 campaign: its member evaluation was held in January 2023.
    freeze_today(monkeypatch, date(2023, 3, 15))
    first = do_create_case(actor=xunyang_officer, campaign=campaign, union_id=xunyang_union.pk)
    advance(first, Stage.SURVEY_REVIEW, officer=xunyang_officer, approver=federation_officer)
    assert Survey.objects.get(case=first).data["member_evaluation"]["held_on"].startswith("2023-01")
    freeze_today(monkeypatch, date(2024, 9, 1))
    later = do_create_campaign(
        actor=federation_officer,
        data={
            "year": 2024,
            "title": "2024年度",
            "reference_date": date(2024, 5, 20),
            "survey_deadline": date(2024, 8, 31),
            "summary_deadline": date(2024, 12, 15),
        },
    )
    unhappy = fresh_survey()
    unhappy["member_evaluation"].update(satisfied=3, basically_satisfied=4, unsatisfied=90)
    second = do_create_case(actor=xunyang_officer, campaign=later, union_id=xunyang_union.pk)
    advance(
        second,
        Stage.SURVEY_REVIEW,
        officer=xunyang_officer,
        approver=federation_officer,
        survey=unhappy,
    )

    def grades(c):
        return next(
            x for x in campaign_figures(c)["counties"] if x["federation"]["code"] == XUNYANG
        )["grades"]

    assert grades(campaign) == {
        "satisfied": 1,
        "basically_satisfied": 0,
        "unsatisfied": 0,
        "none": 0,
    }
    assert grades(later) == {"satisfied": 0, "basically_satisfied": 0, "unsatisfied": 1, "none": 0}
