"""Lists of unions, cases, subsidies, summaries and audit events: filter, sort, page, export to
.xlsx; the number of queries a page makes does not grow with its rows."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from tests.conftest import WUNING, make_union
from tests.pages.conftest import submitted_subsidy, walk
from workflows.models import Stage
from workflows.services import do_create_case, do_transition


@pytest.fixture(autouse=True)
def _today(frozen_today):
    return frozen_today


def add_cases(campaign, officer, count: int, *, start: int = 0) -> list:
    return [
        do_create_case(
            actor=officer,
            campaign=campaign,
            union_id=make_union(officer, name=f"浔阳第{start + n:03d}工会").pk,
        )
        for n in range(count)
    ]


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


LISTS = ["/cases/", "/cases/?sort=-score", "/unions/", "/unions/?sort=stage", "/audit/"]


def test_the_lists_query_counts_do_not_grow_from_10_to_100_rows(
    login, campaign, xunyang_officer, federation_officer, django_assert_max_num_queries
):
    cases = add_cases(campaign, xunyang_officer, 10)
    walk(cases[0], Stage.ASSESSMENT, county=xunyang_officer, federation=federation_officer)
    client = login(federation_officer)
    client.get("/")  # warm what is not per row (the session, content types)
    with_10 = {url: queries(client, url) for url in LISTS}

    more = add_cases(campaign, xunyang_officer, 90, start=10)
    walk(more[0], Stage.SURVEY_REVIEW, county=xunyang_officer, federation=federation_officer)

    for url in LISTS:
        with django_assert_max_num_queries(with_10[url]):
            response = client.get(url)
        assert len(response.context["page"].object_list) == 50, url


def test_the_subsidy_list_query_count_does_not_grow_with_its_rows(
    login,
    campaign,
    xunyang_officer,
    wuning_officer,
    federation_officer,
    django_assert_max_num_queries,
):
    first = add_cases(campaign, xunyang_officer, 1)[0]
    submitted_subsidy(first, county=xunyang_officer, federation=federation_officer)
    client = login(federation_officer)
    client.get("/subsidies/")
    with_1 = queries(client, "/subsidies/")

    for n in range(4):
        union = make_union(wuning_officer, federation=WUNING, name=f"武宁第{n}工会")
        case = do_create_case(actor=wuning_officer, campaign=campaign, union_id=union.pk)
        submitted_subsidy(case, county=wuning_officer, federation=federation_officer)

    with django_assert_max_num_queries(with_1):
        response = client.get("/subsidies/")
    assert len(response.context["page"].object_list) == 5


def test_it_filters_sorts_and_pages_the_cases(login, campaign, xunyang_officer, federation_officer):
    cases = add_cases(campaign, xunyang_officer, 60)
    walk(cases[5], Stage.SURVEY_REVIEW, county=xunyang_officer, federation=federation_officer)
    client = login(federation_officer)

    filtered = client.get("/cases/?stage=survey_review").context["page"]
    assert [c.pk for c in filtered.object_list] == [cases[5].pk]

    by_name = client.get("/cases/?q=第005").context["page"]
    assert [c.pk for c in by_name.object_list] == [cases[5].pk]

    first = client.get("/cases/?sort=-union").context["page"]
    assert first.object_list[0].union.name == "浔阳第059工会"
    assert first.paginator.count == 60 and len(first.object_list) == 50

    second = client.get("/cases/?sort=-union&page=2").context["page"]
    assert [c.union.name for c in second.object_list][-1] == "浔阳第000工会"


def test_it_shows_a_county_officer_only_their_county(login, case, wuning_case, wuning_officer):
    client = login(wuning_officer)

    for url in ("/cases/", "/unions/"):
        page = client.get(url).content.decode()
        assert wuning_case.union.name in page
        assert case.union.name not in page
    assert (
        client.get(f"/cases/?federation={case.union.federation.code}")
        .context["page"]
        .paginator.count
        == 1
    )


def test_it_answers_htmx_with_the_table_alone(login, case, xunyang_officer):
    response = login(xunyang_officer).get("/cases/?stage=survey", HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert page.lstrip().startswith('<div id="results"')
    assert "<html" not in page
    assert case.union.name in page


def test_it_exports_the_filtered_cases_to_xlsx_with_formulas_neutralised(
    login, campaign, xunyang_officer, federation_officer
):
    do_create_case(
        actor=xunyang_officer,
        campaign=campaign,
        union_id=make_union(xunyang_officer, name='=HYPERLINK("x")').pk,
    )
    other = add_cases(campaign, xunyang_officer, 2)
    walk(other[0], Stage.SURVEY_REVIEW, county=xunyang_officer, federation=federation_officer)
    client = login(federation_officer)

    everything = load_workbook(io.BytesIO(client.get("/cases/export/").content)).active
    only_review = load_workbook(
        io.BytesIO(client.get("/cases/export/?stage=survey_review").content)
    ).active

    assert [cell.value for cell in everything[1]][:3] == ["Case", "Union", "County"]
    assert everything.max_row == 4
    names = [row[1].value for row in everything.iter_rows(min_row=2)]
    assert '\'=HYPERLINK("x")' in names
    assert only_review.max_row == 2 and only_review["B2"].value == other[0].union.name


@pytest.mark.parametrize(
    "url", ["/unions/export/", "/subsidies/export/", "/summaries/export/", "/audit/export/"]
)
def test_every_list_exports_to_xlsx(url, login, case, federation_officer):
    response = login(federation_officer).get(url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row >= 1


def test_it_reflects_a_transition_made_elsewhere_on_the_next_refresh(
    login, case, xunyang_officer, federation_officer
):
    walk(case, Stage.SURVEY_REVIEW, county=xunyang_officer, federation=federation_officer)
    client = login(federation_officer)
    assert client.get("/cases/?stage=assessment").context["page"].paginator.count == 0
    dashboard = client.get("/dashboard/").context["city"]
    assert dashboard.stages[Stage.ASSESSMENT] == 0

    do_transition(case.pk, "accept_survey", actor=xunyang_officer)  # elsewhere: another officer

    assert client.get("/cases/?stage=assessment").context["page"].paginator.count == 1
    assert client.get("/dashboard/").context["city"].stages[Stage.ASSESSMENT] == 1
    progress = {row.federation["code"]: row for row in client.get("/").context["progress"]}
    assert progress[case.union.federation.code].stages[Stage.ASSESSMENT] == 1


@pytest.mark.parametrize(
    "url", ["/", "/cases/", "/unions/", "/subsidies/", "/summaries/", "/dashboard/", "/audit/"]
)
def test_no_cache_keeps_an_old_copy_of_a_working_page(url, login, case, federation_officer):
    response = login(federation_officer).get(url)

    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
