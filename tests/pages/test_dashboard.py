"""The dashboard draws the campaign's progress by county as inline SVG charts on the server."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests.pages.conftest import submitted_subsidy, walk
from workflows.models import Stage
from workflows.templatetags.charts import share_bars, stacked_bars


@pytest.fixture(autouse=True)
def _today(frozen_today):
    return frozen_today


def test_it_draws_the_four_charts_as_inline_svg(
    login, case, wuning_case, xunyang_officer, wuning_officer, federation_officer, leader
):
    walk(case, Stage.GUIDANCE, county=xunyang_officer, federation=federation_officer)
    submitted_subsidy(wuning_case, county=wuning_officer, federation=federation_officer)

    response = login(federation_officer).get("/dashboard/")

    page = response.content.decode()
    assert page.count('<svg class="chart"') >= 4
    assert '<script src="http' not in page
    assert 'class="seg-guidance"' in page and 'class="seg-subsidy"' in page
    city = response.context["city"]
    assert city.cases == 2 and city.assessed == 2 and city.meeting == 2
    assert city.stages[Stage.GUIDANCE] == 1 and city.stages[Stage.SUBSIDY] == 1


def test_it_counts_subsidies_against_the_budget(
    login, wuning_case, wuning_officer, federation_officer, leader
):
    from subsidies.services import do_subsidy_transition

    application = submitted_subsidy(
        wuning_case, county=wuning_officer, federation=federation_officer
    )
    do_subsidy_transition(application.pk, "sign_off", actor=leader)

    context = login(leader).get("/dashboard/").context

    assert context["city"].committed == Decimal("8000.00")
    assert context["budget_left"] == Decimal("92000.00")
    assert context["highlight"] == {"360403"}


def test_stacked_bars_share_one_scale_and_stack_in_order():
    chart = stacked_bars(
        [{"label": "甲", "values": {"a": 30, "b": 10}}, {"label": "乙", "values": {"a": 20}}],
        [("a", "A"), ("b", "B")],
        width=640,
    )

    first, second = chart["bars"]
    widths = [float(s["w"]) for s in first["segments"]]
    assert widths == [pytest.approx(474 * 0.75), pytest.approx(474 * 0.25)]
    assert float(second["segments"][0]["w"]) == pytest.approx(474 * 0.5)
    assert float(first["segments"][1]["x"]) == pytest.approx(96 + 474 * 0.75)
    assert first["total"] == "40"


def test_stacked_bars_can_show_shares_and_a_budget_line():
    shares = stacked_bars(
        [{"label": "甲", "values": {"a": 1, "b": 3}}], [("a", "A"), ("b", "B")], normalise=True
    )
    money = stacked_bars(
        [{"label": "全市", "values": {"a": Decimal("20000.00")}}],
        [("a", "A")],
        kind="yuan",
        marker=Decimal("100000.00"),
    )

    assert [float(s["w"]) for s in shares["bars"][0]["segments"]] == [
        pytest.approx(118.5),
        pytest.approx(355.5),
    ]
    assert float(money["bars"][0]["segments"][0]["w"]) == pytest.approx(474 * 0.2)
    assert float(money["marker_x"]) == pytest.approx(96 + 474)
    assert money["bars"][0]["total"] == "¥20,000.00"


def test_share_bars_colour_by_threshold_and_leave_unknown_empty():
    chart = share_bars(
        [
            {"label": "甲", "share": Decimal("0.9")},
            {"label": "乙", "share": Decimal("0.4")},
            {"label": "丙", "share": None},
        ],
        good=0.8,
        fair=0.5,
    )

    assert [bar["tone"] for bar in chart["bars"]] == ["ok", "bad", "track"]
    assert [bar["text"] for bar in chart["bars"]] == ["90%", "40%", "—"]
    assert chart["bars"][2]["w"] == ""


def test_it_never_writes_a_localised_number_into_the_drawing(
    login, case, xunyang_officer, federation_officer
):
    walk(case, Stage.ASSESSMENT, county=xunyang_officer, federation=federation_officer)
    client = login(federation_officer)
    client.cookies["django_language"] = "zh-hans"

    page = client.get("/dashboard/").content.decode()

    for value in re.findall(r'\b(?:x|y|width|height)="([^"]*)"', page):
        assert re.fullmatch(r"-?\d+(\.\d+)?%?", value), value
