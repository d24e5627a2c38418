"""The paper archive: the assessment report and the county summary print from the browser and
download as PDFs made on the server by WeasyPrint with the CJK fonts; nothing is fetched from
outside the site's static files."""

from __future__ import annotations

import re

import pytest
from django.test import RequestFactory

from inspections.models import CountySummary
from inspections.pdf import render_pdf, static_only_fetcher
from inspections.services import do_override_finding
from inspections.summaries import do_create_summary, do_summary_transition, do_update_summary
from tests.inspections.test_override_carry_over import REASON, assessed, reassessed, survey_with
from tests.pages.conftest import walk
from workflows.models import Event, Stage
from workflows.views_reports import _report_context


@pytest.fixture(autouse=True)
def _today(frozen_today):
    return frozen_today


def test_it_prints_the_assessment_report_with_clauses_and_evidence(
    login, case, xunyang_officer, federation_officer
):
    walk(case, Stage.ASSESSMENT, county=xunyang_officer, federation=federation_officer)

    page = login(xunyang_officer).get(f"/cases/{case.pk}/report/").content.decode()

    assert "Assessment report" in page
    assert case.union.name in page
    assert "有依法选举的工会主席" not in page  # a six-norms union: its areas, not six haves'
    assert "队伍建设" in page and "N5.5" in page
    assert 'href="/static/css/report.css"' in page
    assert "County federation (seal)" in page


def reports_around_a_rerun(login, case, officers, rule, reason, survey=None) -> tuple[str, ...]:
    """The assessment report of run 1 with ``rule`` overridden (English), then of the rerun on
    ``survey`` (or the same survey) in English and in Chinese."""
    county, _city = officers
    assessed(case, officers)
    do_override_finding(case.pk, rule, "unmet", reason, actor=county)
    client = login(county)
    url = f"/cases/{case.pk}/report/"
    run_1 = client.get(url).content.decode()
    reassessed(case, officers, survey)
    english = client.get(url).content.decode()
    client.cookies["django_language"] = "zh-hans"
    return run_1, english, client.get(url).content.decode()


def test_it_notes_an_override_carried_over_from_the_previous_run(
    login, case, xunyang_officer, federation_officer
):
    run_1, english, chinese = reports_around_a_rerun(
        login, case, (xunyang_officer, federation_officer), "N3.3", REASON
    )

    assert REASON in run_1 and "carried over" not in run_1
    assert "(carried over from run 1, the facts being the same)" in english
    assert "（情况未变，沿用第 1 轮的调整）" in chinese


def test_it_lists_the_overrides_that_lapsed_on_the_report(
    login, case, xunyang_officer, federation_officer
):
    run_1, english, chinese = reports_around_a_rerun(
        login,
        case,
        (xunyang_officer, federation_officer),
        "N3.4",
        "文体活动记录不全",
        survey_with(culture_activities_last_year=0),
    )

    assert "Overrides that no longer hold" not in run_1
    assert "Overrides that no longer hold" in english
    assert "文体活动记录不全" in english
    assert "The rules now decide Unmet (before: Met)." in english
    assert 'href="#rule-' not in english  # the paper has no anchors to link to
    assert "不再沿用的人工调整" in chinese


def test_it_has_no_report_before_the_assessment(login, case, xunyang_officer):
    assert login(xunyang_officer).get(f"/cases/{case.pk}/report/").status_code == 404


def test_it_downloads_the_report_as_a_pdf(login, case, xunyang_officer, federation_officer):
    walk(case, Stage.ASSESSMENT, county=xunyang_officer, federation=federation_officer)

    response = login(xunyang_officer).get(f"/cases/{case.pk}/report.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "filename*=UTF-8''" in response["Content-Disposition"]


def test_it_sets_the_pdf_in_the_cjk_font(case, xunyang_officer, federation_officer):
    walk(case, Stage.ASSESSMENT, county=xunyang_officer, federation=federation_officer)
    request = RequestFactory().get(f"/cases/{case.pk}/report.pdf")
    request.user = xunyang_officer

    data = render_pdf(
        "reports/assessment.html", _report_context(request, case), request, uncompressed_pdf=True
    )

    fonts = set(re.findall(rb"/BaseFont\s*/[A-Z]{6}\+([A-Za-z0-9-]+)", data))
    assert any(b"CJK" in font for font in fonts), fonts


def test_its_pdfs_fetch_only_the_sites_static_files():
    fetcher = static_only_fetcher()

    css = fetcher("http://testserver/static/css/report.css")
    assert b"Noto Sans CJK SC" in css.read()
    for url in (
        "https://cdn.example.com/x.css",
        "file:///etc/passwd",
        "http://testserver/static/../../manage.py",
    ):
        with pytest.raises(ValueError):
            fetcher(url)


def test_a_county_officer_writes_submits_and_prints_the_summary(
    login, campaign, case, xunyang_officer, federation_officer
):
    walk(case, Stage.GUIDANCE, county=xunyang_officer, federation=federation_officer)
    client = login(xunyang_officer)

    response = client.post("/summaries/new/", {"campaign": campaign.pk})
    summary = CountySummary.objects.get(campaign=campaign, federation=xunyang_officer.federation)
    assert response["Location"] == f"/summaries/{summary.pk}/"

    client.post(
        f"/summaries/{summary.pk}/edit/", {"text": "本县共有基层工会1个……", "stated.cases": "3"}
    )
    page = client.get(f"/summaries/{summary.pk}/").content.decode()
    assert "differs" in page  # 3 stated, 1 in the records

    client.post(f"/summaries/{summary.pk}/transitions/submit/")
    summary.refresh_from_db()
    assert summary.state == CountySummary.State.SUBMITTED
    assert summary.figures["cases"] == 1 and summary.stated_figures == {"cases": 3}
    assert Event.objects.filter(
        subject="summary", subject_id=summary.pk, action="submit", actor=xunyang_officer
    ).exists()

    printed = client.get(f"/summaries/{summary.pk}/print/").content.decode()
    assert "本县共有基层工会1个" in printed and "Unions in the campaign" in printed
    pdf = client.get(f"/summaries/{summary.pk}/summary.pdf")
    assert pdf.content.startswith(b"%PDF-")


def test_a_federation_officer_returns_a_summary_with_a_comment(
    login, campaign, xunyang_officer, federation_officer
):
    summary = do_create_summary(actor=xunyang_officer, campaign=campaign)
    do_update_summary(summary.pk, actor=xunyang_officer, text="总结")
    do_summary_transition(summary.pk, "submit", actor=xunyang_officer)
    client = login(federation_officer)

    refused = client.post(f"/summaries/{summary.pk}/transitions/return/", follow=True)
    assert "A comment is required" in refused.content.decode()
    client.post(f"/summaries/{summary.pk}/transitions/return/", {"comment": "请补充数据来源"})

    summary.refresh_from_db()
    assert summary.state == CountySummary.State.RETURNED
    page = login(xunyang_officer).get(f"/summaries/{summary.pk}/").content.decode()
    assert "请补充数据来源" in page
    assert 'name="text"' in page  # back in the county's hands


def test_another_county_cannot_see_a_summary(
    login, campaign, xunyang_officer, wuning_officer, reporter
):
    summary = do_create_summary(actor=xunyang_officer, campaign=campaign)

    assert login(wuning_officer).get(f"/summaries/{summary.pk}/").status_code == 404
    assert login(wuning_officer).get(f"/summaries/{summary.pk}/summary.pdf").status_code == 404
    assert login(reporter).get("/summaries/").status_code == 403


def test_the_summary_list_offers_to_start_and_shows_who_has_not(
    login, campaign, xunyang_officer, federation_officer
):
    page = login(xunyang_officer).get("/summaries/").content.decode()
    assert 'action="/summaries/new/"' in page

    summary = do_create_summary(actor=xunyang_officer, campaign=campaign)
    page = login(xunyang_officer).get("/summaries/").content.decode()
    assert 'action="/summaries/new/"' not in page and f'href="/summaries/{summary.pk}/"' in page

    board = login(federation_officer).get("/summaries/").context["board"]
    missing = {row["federation"]["code"] for row in board}
    assert "360423" in missing and "360403" not in missing
