"""Excel: the roster template, its import (all or nothing, every bad cell named, idempotent, history
in bulk), the worker and its progress, and exports safe from formula injection."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from django.db import connection
from django.utils import translation
from openpyxl import load_workbook

from inspections import excel, imports, services
from inspections.models import ImportJob, Survey
from inspections.survey import example_survey, flatten
from lib.xlsx import Column, write_workbook
from tests.conftest import WUNING, XUNYANG, make_union
from unions import uscc
from unions.models import Federation, Union
from workflows.models import Case, Event, Stage
from workflows.services import do_create_case, do_transition

TODAY = date(2022, 9, 1)
CODE_A = uscc.make("91360403MA35XK7L0")
CODE_B = uscc.make("91360403MA35XK7L1")
CODE_WUNING = uscc.make("91360423MA35XK7L2")


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr(services, "today", lambda: TODAY)


def union_row(
    name,
    *,
    code="",
    union_type="enterprise",
    ownership="private",
    founded_on="2015-03-01",
    **survey,
):
    row = {
        "union.name": name,
        "union.union_type": union_type,
        "union.ownership": ownership if union_type == "enterprise" else None,
        "union.founded_on": founded_on,
        "union.credit_code": code or None,
        "union.address": "九江市浔阳区长江路1号",
        "union.contact_name": "李娜",
        "union.contact_phone": "0792-8221234",
    }
    row.update(survey)
    return row


def with_survey(row, survey=None):
    return {**row, **flatten(survey if survey is not None else example_survey())}


def import_file(officer, campaign, content, file_name="roster.xlsx"):
    job = imports.do_start_import(
        actor=officer,
        campaign=campaign,
        federation=None,
        file_name=file_name,
        content=content,
        start=False,
    )
    return imports.run_import(job.pk)


def audit_counts():
    return {
        "union_history": Union.history.count(),
        "case_history": Case.history.count(),
        "survey_history": Survey.history.count(),
        "events": Event.objects.count(),
    }


def sheet_of(content, name=excel.SHEET):
    return load_workbook(io.BytesIO(content))[name]


# --- lib/xlsx ------------------------------------------------------------------------------------


def test_it_neutralises_cells_that_excel_would_read_as_formulas():
    hostile = ['=HYPERLINK("http://evil.example","点击")', "+86 0792", "-1+2", "@SUM(A1)", "\t=1"]
    content = write_workbook(
        [{"name": text, "amount": -5} for text in hostile] + [{"name": "浔阳工会", "amount": 3}],
        [Column("name", "名称"), Column("amount", "数量")],
    )

    rows = list(sheet_of(content, "Sheet1").iter_rows(min_row=2))

    for cell, text in zip((row[0] for row in rows), hostile, strict=False):
        assert cell.data_type == "s"
        assert cell.value == "'" + text
    assert rows[-1][0].value == "浔阳工会"
    assert [row[1].value for row in rows] == [-5] * len(hostile) + [3]  # numbers stay numbers
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml


# --- the template --------------------------------------------------------------------------------


def test_it_builds_a_template_with_labels_hidden_keys_dropdowns_and_instructions():
    workbook = load_workbook(io.BytesIO(excel.build_template()))

    assert workbook.sheetnames == [excel.SHEET, excel.INSTRUCTIONS_SHEET]
    sheet = workbook[excel.SHEET]
    labels = [cell.value for cell in sheet[excel.LABEL_ROW]]
    keys = [cell.value for cell in sheet[excel.KEY_ROW]]
    assert labels[:5] == ["工会名称", "工会类型", "企业所有制", "园区级别", "建会日期"]
    assert keys[:9] == [
        "union.name",
        "union.union_type",
        "union.ownership",
        "union.park_level",
        "union.founded_on",
        "union.credit_code",
        "union.address",
        "union.contact_name",
        "union.contact_phone",
    ]
    assert set(keys[9:]) == set(services.FIELDS_BY_PATH)
    assert labels[keys.index("chair.elected_lawfully")] == "工会主席依法选举"
    assert sheet.row_dimensions[excel.KEY_ROW].hidden
    formulas = {dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert '"是,否"' in formulas
    assert any("产业园区（开发区）" in (f or "") for f in formulas)
    ranges = {str(dv.sqref): dv.type for dv in sheet.data_validations.dataValidation}
    letter = excel.get_column_letter(keys.index("home.venue") + 1)
    assert any(r.startswith(f"{letter}3:") and t == "list" for r, t in ranges.items())
    instructions = [
        row[0] for row in workbook[excel.INSTRUCTIONS_SHEET].iter_rows(values_only=True)
    ]
    assert "工会主席依法选举" in instructions


def test_it_reads_back_every_value_it_writes():
    survey = example_survey()
    survey["committee"]["members"].append(
        {"name": "张伟", "is_admin_head": True, "is_partner": None, "is_relative_of_admin": None}
    )
    row = with_survey(union_row("=九江某公司工会", code=CODE_A), survey)
    sheet = imports.read_sheet(excel.build_template([row]), imports.Errors())

    [(number, values)] = sheet.rows
    parsed = imports.parse_row(sheet, number, values, errors := imports.Errors())

    assert not errors
    assert parsed.survey == flatten(survey)
    assert parsed.union["name"] == "=九江某公司工会"
    assert parsed.union["founded_on"] == date(2015, 3, 1)
    assert parsed.union["credit_code"] == CODE_A


# --- import ---------------------------------------------------------------------------------------


def test_it_imports_a_roster_registering_unions_and_opening_cases(
    campaign, xunyang_officer, xunyang_union
):
    content = excel.build_template(
        [
            with_survey(union_row("九江浔阳纺织有限公司工会", code=CODE_A)),
            union_row(xunyang_union.name, employees=88, members=80),  # matched by name
        ]
    )

    job = import_file(xunyang_officer, campaign, content)

    assert job.state == ImportJob.State.DONE, job.errors
    assert job.summary == {
        "rows": 2,
        "unions_created": 1,
        "unions_updated": 1,
        "cases_opened": 2,
        "surveys_created": 2,
        "surveys_updated": 0,
        "rows_unchanged": 0,
        "same_file_as": None,
    }
    new = Union.objects.get(credit_code=CODE_A)
    assert (new.federation.code, new.union_type, new.ownership) == (
        XUNYANG,
        "enterprise",
        "private",
    )
    reason = "Excel 导入: roster.xlsx"
    row = new.history.get()
    assert (row.history_user, row.history_change_reason, row.history_type) == (
        xunyang_officer,
        reason,
        "+",
    )
    updated = xunyang_union.history.latest()
    assert (updated.history_change_reason, updated.address) == (reason, "九江市浔阳区长江路1号")
    case = Case.objects.get(union=new, campaign=campaign)
    assert (case.track, case.stage) == ("six_norms", Stage.SURVEY)
    assert case.history.get().history_change_reason == reason
    event = Event.objects.get(case=case)
    assert (event.action, event.actor, event.comment, event.history_id) == (
        "create",
        xunyang_officer,
        reason,
        case.history.get().history_id,
    )
    assert Survey.objects.get(case=case).data == example_survey()
    matched = Survey.objects.get(case__union=xunyang_union)
    assert matched.data == {"employees": 88, "members": 80}
    assert matched.typed == ["employees", "members"]
    assert matched.history.get().history_user == xunyang_officer


def test_it_changes_nothing_when_the_same_file_is_imported_again(
    campaign, xunyang_officer, xunyang_union
):
    content = excel.build_template(
        [
            with_survey(union_row("九江浔阳纺织有限公司工会", code=CODE_A)),
            with_survey(union_row("九江浔阳船舶配件厂工会", founded_on="2020-04-01")),
            union_row(xunyang_union.name, employees=88, members=80),
        ]
    )
    first = import_file(xunyang_officer, campaign, content)
    assert first.state == ImportJob.State.DONE, first.errors
    before = audit_counts()

    again = import_file(xunyang_officer, campaign, content)

    assert again.state == ImportJob.State.DONE, again.errors
    assert audit_counts() == before
    assert again.summary["rows_unchanged"] == 3
    assert again.summary["same_file_as"] == first.pk
    assert again.summary["unions_created"] == again.summary["surveys_updated"] == 0


def test_it_lists_every_bad_cell_and_saves_nothing(campaign, xunyang_officer, xunyang_union):
    bad_survey = example_survey()
    bad_survey["women_employees"] = 400  # more than the 320 employees
    rows = [
        with_survey(union_row("九江浔阳纺织有限公司工会", code=CODE_A)),
        with_survey(union_row("九江浔阳船舶配件厂工会", code="91360403MA35XK7L0X"), bad_survey),
        union_row("九江浔阳物流有限公司工会", founded_on=None),
        union_row(xunyang_union.name),
    ]
    content = excel.build_template(rows)
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook[excel.SHEET]
    keys = [cell.value for cell in sheet[excel.KEY_ROW]]

    def put(row, key, value):
        sheet.cell(row=row, column=keys.index(key) + 1, value=value)

    put(3, "home.venue", "也许")
    put(3, "chair.elected_on", "2022-02-30")
    put(6, "union.union_type", "合资企业")
    put(6, "employees", -3)
    buffer = io.BytesIO()
    workbook.save(buffer)
    before = audit_counts()
    unions_before = Union.objects.count()

    job = import_file(xunyang_officer, campaign, buffer.getvalue(), "浔阳区名册.xlsx")

    assert job.state == ImportJob.State.FAILED
    listed = [(e["cell"], e["label"]) for e in job.errors]
    found = set(listed)
    assert len(listed) == len(found)  # one error per bad cell here

    def cell(row, key):
        return f"工会及调查!{excel.get_column_letter(keys.index(key) + 1)}{row}"

    assert found == {
        (cell(3, "home.venue"), "有活动场所"),
        (cell(3, "chair.elected_on"), "工会主席选举日期"),
        (cell(4, "union.credit_code"), "统一社会信用代码"),
        (cell(4, "women_employees"), "女职工人数"),
        (cell(5, "union.founded_on"), "建会日期"),
        (cell(6, "union.union_type"), "工会类型"),
        (cell(6, "employees"), "职工人数"),
    }
    assert all(e["sheet"] == "工会及调查" and e["message"] for e in job.errors)
    assert Union.objects.count() == unions_before
    assert audit_counts() == before
    assert not Case.objects.exists()


def test_it_matches_a_union_by_credit_code_before_its_name(campaign, xunyang_officer):
    union = make_union(xunyang_officer, name="九江浔阳纺织厂工会", credit_code=CODE_A)

    job = import_file(
        xunyang_officer,
        campaign,
        excel.build_template([union_row("九江浔阳纺织有限公司工会", code=CODE_A)]),
    )

    assert job.state == ImportJob.State.DONE, job.errors
    union.refresh_from_db()
    assert union.name == "九江浔阳纺织有限公司工会"
    assert Union.objects.filter(credit_code=CODE_A).count() == 1


def test_it_refuses_a_credit_code_registered_in_another_county(
    campaign, xunyang_officer, wuning_officer
):
    make_union(wuning_officer, federation=WUNING, name="武宁县纺织厂工会", credit_code=CODE_WUNING)

    job = import_file(
        xunyang_officer, campaign, excel.build_template([union_row("某工会", code=CODE_WUNING)])
    )

    assert job.state == ImportJob.State.FAILED
    assert [e["label"] for e in job.errors] == ["统一社会信用代码"]


def test_it_refuses_the_same_union_twice_in_one_file(campaign, xunyang_officer):
    content = excel.build_template([union_row("九江浔阳纺织有限公司工会")] * 2)

    job = import_file(xunyang_officer, campaign, content)

    assert job.state == ImportJob.State.FAILED
    assert [e["cell"][-2:] for e in job.errors] == ["A4"]


def test_it_refuses_to_change_a_submitted_survey_but_accepts_it_unchanged(
    campaign, case, reporter, xunyang_officer, xunyang_union
):
    services.do_save_survey(case, example_survey(), actor=reporter)
    do_transition(case.pk, "submit_survey", actor=reporter)
    unchanged = excel.build_template([with_survey(union_row(xunyang_union.name))])

    assert import_file(xunyang_officer, campaign, unchanged).state == ImportJob.State.DONE

    changed = excel.build_template([union_row(xunyang_union.name, employees=330)])
    job = import_file(xunyang_officer, campaign, changed)
    assert job.state == ImportJob.State.FAILED
    assert job.errors[0]["label"] == "职工人数"
    assert Survey.objects.get(case=case).data["employees"] == 320


def test_it_rederives_the_track_when_the_founding_date_changes(campaign, case, xunyang_officer):
    content = excel.build_template([union_row(case.union.name, founded_on="2019-01-01")])

    job = import_file(xunyang_officer, campaign, content)

    assert job.state == ImportJob.State.DONE, job.errors
    case.refresh_from_db()
    assert case.track == "six_haves"
    event = Event.objects.filter(case=case).latest("id")
    assert (event.action, event.comment) == ("update_track", "Excel 导入: roster.xlsx")


def test_it_reports_a_file_that_is_not_a_template(campaign, xunyang_officer):
    job = import_file(xunyang_officer, campaign, b"PK\x03\x04 not really a zip")

    assert job.state == ImportJob.State.FAILED
    assert job.errors[0]["message"]


# --- through the API ------------------------------------------------------------------------------


def upload(api, user, campaign, content, **extra):
    return api.as_user(user).post(
        "/api/v1/imports/",
        {"file": io.BytesIO(content), "campaign": campaign.pk, **extra},
        format="multipart",
    )


@pytest.fixture
def reference_data_kept(django_db_blocker):
    """Requested before ``transactional_db``, so torn down after its flush: puts back what
    ``migrate`` left in the test database (the federations, content types) with the ids it had,
    as ``serialized_rollback`` would before the next such test, because pytest-django runs some
    tests that read them (personas fetched with ``getfixturevalue``) after the transactional ones.
    """
    yield
    with django_db_blocker.unblock():
        connection.creation.deserialize_db_from_string(connection._test_serialized_contents)


def test_it_runs_the_upload_in_a_worker_and_reports_its_progress(
    reference_data_kept,
    django_db_serialized_rollback,
    transactional_db,
    api,
    campaign,
    xunyang_officer,
    wuning_officer,
):
    """The worker is a thread with its own connection: it sees only committed data."""
    rows = [
        with_survey(union_row(f"九江浔阳第{n}织造厂工会", founded_on="2016-01-01"))
        for n in range(30)
    ]
    file = io.BytesIO(excel.build_template(rows))
    file.name = "浔阳区名册.xlsx"

    response = api.as_user(xunyang_officer).post(
        "/api/v1/imports/", {"file": file, "campaign": campaign.pk}, format="multipart"
    )

    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    assert imports.wait_for(job_id, timeout=60)
    status = api.get(f"/api/v1/imports/{job_id}/").json()
    assert (status["state"], status["total"], status["done"]) == ("done", 30, 30)
    assert status["summary"]["unions_created"] == 30
    assert status["file_name"] == "浔阳区名册.xlsx"
    assert Case.objects.filter(campaign=campaign).count() == 30
    assert api.as_user(wuning_officer).get(f"/api/v1/imports/{job_id}/").status_code == 404


def test_it_lets_only_officers_import(api, campaign, reporter, leader, federation_officer):
    content = excel.build_template()

    assert upload(api, reporter, campaign, content).status_code == 403
    assert upload(api, leader, campaign, content).status_code == 403
    refused = upload(api, federation_officer, campaign, content)
    assert refused.status_code == 400 and "federation" in refused.json()["errors"]
    assert not ImportJob.objects.exists()


def test_it_refuses_an_upload_that_is_not_xlsx(api, campaign, xunyang_officer):
    file = io.BytesIO(b"name,type\n")
    file.name = "roster.csv"

    response = api.as_user(xunyang_officer).post(
        "/api/v1/imports/", {"file": file, "campaign": campaign.pk}, format="multipart"
    )

    assert response.status_code == 400
    assert "file" in response.json()["errors"]


def test_it_downloads_the_template_filled_with_the_countys_unions(
    api, campaign, case, wuning_case, reporter, xunyang_officer
):
    services.do_save_survey(case, example_survey(), actor=reporter)
    before = audit_counts()

    response = api.as_user(xunyang_officer).get(
        "/api/v1/imports/template.xlsx", {"campaign": campaign.pk}
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = sheet_of(response.content)
    names = [
        row[0] for row in sheet.iter_rows(min_row=excel.FIRST_DATA_ROW, values_only=True) if row[0]
    ]
    assert names == [case.union.name]  # not Wuning's
    job = import_file(xunyang_officer, campaign, response.content)
    assert job.state == ImportJob.State.DONE, job.errors
    assert audit_counts() == before


def test_it_downloads_a_blank_template(api, xunyang_officer):
    response = api.as_user(xunyang_officer).get("/api/v1/imports/template.xlsx")

    assert response.status_code == 200
    sheet = sheet_of(response.content)
    assert sheet.cell(row=excel.FIRST_DATA_ROW, column=1).value is None


# --- export ---------------------------------------------------------------------------------------


def test_it_exports_the_unions_with_track_stage_score_and_unmet_rules(
    api, campaign, case, wuning_case, reporter, xunyang_officer, federation_officer
):
    survey = example_survey()
    survey["culture_activities_last_year"] = 0
    services.do_save_survey(case, survey, actor=reporter)
    do_transition(case.pk, "submit_survey", actor=reporter)
    do_transition(case.pk, "accept_survey", actor=xunyang_officer)
    hostile = make_union(xunyang_officer, name='=HYPERLINK("http://evil.example","点击")')
    do_create_case(actor=xunyang_officer, campaign=campaign, union_id=hostile.pk)

    response = api.as_user(xunyang_officer).get(
        "/api/v1/unions/export.xlsx", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    rows = list(sheet_of(response.content, "Unions").iter_rows(values_only=True))
    header = rows[0]
    table = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert set(table) == {case.union.name, "'" + hostile.name}  # scope: not Wuning's
    mine = table[case.union.name]
    assert mine["Track"] == "Six norms (六个规范)"
    assert mine["Meets standard"] == "No"
    assert mine["Unmet rules"] == "N3.4"
    assert mine["Score"] == pytest.approx(
        float(Case.objects.get(pk=case.pk).assessments.get().score)
    )
    assert mine["Stage"]
    assert table["'" + hostile.name]["Score"] is None

    everything = api.as_user(federation_officer).get(
        "/api/v1/unions/export.xlsx", {"federation": WUNING}, HTTP_ACCEPT_LANGUAGE="en"
    )
    names = [
        row[0]
        for row in sheet_of(everything.content, "Unions").iter_rows(min_row=2, values_only=True)
    ]
    assert names == [wuning_case.union.name]
    assert Federation.objects.get(code=WUNING).unions.count() == 1


def test_it_exports_with_the_lists_filters(api, campaign, case, wuning_case, federation_officer):
    response = api.as_user(federation_officer).get(
        "/api/v1/unions/export.xlsx",
        {"stage": "survey", "federation": XUNYANG},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    names = [
        row[0]
        for row in sheet_of(response.content, "Unions").iter_rows(min_row=2, values_only=True)
    ]
    assert names == [case.union.name]
    refused = api.get("/api/v1/unions/export.xlsx", {"stage": "nowhere"})
    assert refused.status_code == 400 and "stage" in refused.json()["errors"]


# --- pages ----------------------------------------------------------------------------------------


def test_it_takes_an_upload_on_the_import_page_and_shows_every_bad_cell(
    client, campaign, xunyang_officer
):
    client.force_login(xunyang_officer)
    assert client.get("/imports/").status_code == 200
    rows = [union_row("九江浔阳纺织有限公司工会", founded_on=None)]
    file = io.BytesIO(excel.build_template(rows))
    file.name = "名册.xlsx"

    response = client.post("/imports/", {"campaign": campaign.pk, "file": file})

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/imports/{job.pk}/"
    imports.run_import(job.pk)  # the worker starts on commit; the test's transaction never commits
    page = client.get(f"/imports/{job.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "工会及调查!E3" in text and "建会日期" in text
    assert f"/api/v1/imports/{job.pk}/" in text  # what the page polls


def test_it_hides_an_import_of_another_county(client, campaign, xunyang_officer, wuning_officer):
    job = imports.do_start_import(
        actor=xunyang_officer,
        campaign=campaign,
        federation=None,
        file_name="roster.xlsx",
        content=excel.build_template(),
        start=False,
    )
    client.force_login(wuning_officer)

    assert client.get(f"/imports/{job.pk}/").status_code == 404
    assert f"/imports/{job.pk}/" not in client.get("/imports/").content.decode()


def test_it_serves_the_template_and_the_export_as_pages(client, campaign, case, xunyang_officer):
    client.force_login(xunyang_officer)

    template = client.get(f"/imports/template.xlsx?campaign={campaign.pk}")
    export = client.get("/unions/export.xlsx")

    assert template.status_code == export.status_code == 200
    assert (
        sheet_of(template.content).cell(row=excel.FIRST_DATA_ROW, column=1).value == case.union.name
    )
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_it_refuses_a_row_without_code_named_like_an_earlier_one(campaign, xunyang_officer):
    content = excel.build_template(
        [union_row("九江浔阳纺织有限公司工会", code=CODE_A), union_row("九江浔阳纺织有限公司工会")]
    )

    job = import_file(xunyang_officer, campaign, content)

    assert job.state == ImportJob.State.FAILED
    assert [(e["cell"][-2:], e["label"]) for e in job.errors] == [("A4", "工会名称")]


def test_it_accepts_two_unions_of_one_name_told_apart_by_their_codes(campaign, xunyang_officer):
    content = excel.build_template(
        [
            union_row("九江浔阳纺织有限公司工会", code=CODE_A),
            union_row("九江浔阳纺织有限公司工会", code=CODE_B),
        ]
    )

    job = import_file(xunyang_officer, campaign, content)

    assert job.state == ImportJob.State.DONE, job.errors
    assert Union.objects.filter(name="九江浔阳纺织有限公司工会").count() == 2


def test_it_writes_the_errors_in_the_uploaders_language(campaign, xunyang_officer):
    content = excel.build_template([union_row("九江浔阳纺织有限公司工会", founded_on=None)])
    with translation.override("en"):
        job = imports.do_start_import(
            actor=xunyang_officer,
            campaign=campaign,
            federation=None,
            file_name="roster.xlsx",
            content=content,
            start=False,
        )

    job = imports.run_import(job.pk)  # the worker thread has no request language of its own

    assert job.language == "en"
    assert [e["message"] for e in job.errors] == ["This field is required for a new union."]
