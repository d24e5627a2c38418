"""The survey form: sections, every field labelled, 是/否/未知 radio groups, the committee as a
repeatable group, drafts, errors of the validator beside their fields, pre-filled answers
marked, submission through the submit_survey transition."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.utils.html import escape

from inspections.models import Survey
from inspections.services import do_save_survey
from inspections.survey import SECTIONS
from lib.demo_survey import full_survey
from tests.pages.conftest import TODAY, survey_form_data
from workflows.models import Event, Stage
from workflows.services import do_create_campaign, do_create_case


@pytest.fixture(autouse=True)
def _today(frozen_today):
    return frozen_today


class Controls(HTMLParser):
    """The form controls of a page and the ``for`` of its labels."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str]] = []
        self.labelled: set[str] = set()
        self._in_template = 0

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if tag == "template":
            self._in_template += 1
        elif self._in_template:
            return
        elif tag in ("input", "select", "textarea") and attrs.get("type") not in (
            "hidden",
            "submit",
        ):
            self.controls.append(attrs)
        elif tag == "label" and attrs.get("for"):
            self.labelled.add(attrs["for"])

    def handle_endtag(self, tag):
        if tag == "template":
            self._in_template -= 1


def test_it_shows_the_sections_and_labels_every_field(login, case, xunyang_officer):
    page = login(xunyang_officer).get(f"/cases/{case.pk}/survey/").content.decode()

    for title in SECTIONS.values():
        assert escape(str(title)) in page
    parser = Controls()
    parser.feed(page)
    survey_controls = [
        c for c in parser.controls if c.get("name", "") not in ("csrfmiddlewaretoken",)
    ]
    assert len(survey_controls) > 60
    unlabelled = [c.get("name") for c in survey_controls if c.get("id") not in parser.labelled]
    assert unlabelled == []


def test_it_asks_yes_no_questions_as_three_radio_buttons(login, case, xunyang_officer):
    page = login(xunyang_officer).get(f"/cases/{case.pk}/survey/").content.decode()

    radios = re.findall(
        r'<input type="radio" id="[^"]+" name="funds_review_committee" value="([^"]*)"', page
    )
    assert radios == ["true", "false", ""]
    assert '<label for="f-funds_review_committee-unknown">Unknown</label>' in page


def test_it_saves_a_draft(login, case, xunyang_officer):
    data = {
        "action": "save",
        "employees": "80",
        "members": "60",
        "funds_review_committee": "true",
        "chair.name": "王芳",
    }

    response = login(xunyang_officer).post(f"/cases/{case.pk}/survey/", data)

    assert response.status_code == 302
    survey = Survey.objects.get(case=case)
    assert survey.data["employees"] == 80 and survey.data["members"] == 60
    assert survey.data["funds_review_committee"] is True
    assert survey.data["chair"]["name"] == "王芳"
    assert survey.data["women_committee"] is None  # unknown, not false
    assert survey.history.first().history_user == xunyang_officer
    case.refresh_from_db()
    assert case.stage == Stage.SURVEY


def test_it_shows_the_validators_error_beside_the_field_and_saves_nothing(
    login, case, xunyang_officer
):
    client = login(xunyang_officer)
    before = Survey.objects.get(case=case).data

    response = client.post(
        f"/cases/{case.pk}/survey/",
        {"action": "save", "employees": "100", "women_employees": "140", "members": "abc"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    women = re.search(
        r'<ul class="errorlist" id="f-women_employees-errors">(.*?)</ul>', page, re.S
    ).group(1)
    assert "140 women employees exceed the 100 employees." in women
    members = re.search(
        r'<ul class="errorlist" id="f-members-errors">(.*?)</ul>', page, re.S
    ).group(1)
    assert "Enter a whole number." in members
    assert 'aria-invalid="true"' in page
    assert 'value="140"' in page  # what was typed stays
    assert Survey.objects.get(case=case).data == before


def test_it_keeps_the_committee_members_as_a_repeatable_group(login, case, xunyang_officer):
    data = {
        "action": "save",
        "committee.exists": "true",
        "committee.members.0.name": "李强",
        "committee.members.0.is_admin_head": "false",
        "committee.members.0.is_partner": "",
        "committee.members.1.name": "张敏",
        "committee.members.1.is_relative_of_admin": "true",
        "committee.members.2.name": "",  # the blank row the form offers
    }

    login(xunyang_officer).post(f"/cases/{case.pk}/survey/", data)

    members = Survey.objects.get(case=case).data["committee"]["members"]
    assert members == [
        {"name": "李强", "is_admin_head": False, "is_partner": None, "is_relative_of_admin": None},
        {"name": "张敏", "is_admin_head": None, "is_partner": None, "is_relative_of_admin": True},
    ]
    page = login(xunyang_officer).get(f"/cases/{case.pk}/survey/").content.decode()
    assert 'name="committee.members.1.name" data-name="name" value="张敏"' in page


def test_it_names_a_member_row_without_a_name(login, case, xunyang_officer):
    data = {
        "action": "save",
        "committee.members.0.name": "",
        "committee.members.0.is_partner": "true",
    }

    response = login(xunyang_officer).post(f"/cases/{case.pk}/survey/", data)

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_it_adds_a_member_row_without_script(login, case, xunyang_officer):
    client = login(xunyang_officer)
    page = client.get(f"/cases/{case.pk}/survey/").content.decode()
    assert (
        'name="committee.members.0.name"' in page and 'name="committee.members.1.name"' not in page
    )

    page = client.post(f"/cases/{case.pk}/survey/", {"action": "add_member"}).content.decode()

    assert 'name="committee.members.1.name"' in page
    assert Survey.objects.get(case=case).history.count() == 1  # nothing saved


def test_it_submits_a_complete_survey(login, case, xunyang_officer):
    data = survey_form_data(full_survey(on=TODAY), action="submit")

    response = login(xunyang_officer).post(f"/cases/{case.pk}/survey/", data, follow=True)

    case.refresh_from_db()
    assert case.stage == Stage.SURVEY_REVIEW
    assert Event.objects.filter(case=case, action="submit_survey", actor=xunyang_officer).exists()
    assert "The survey was submitted for review." in response.content.decode()


def test_it_saves_but_does_not_submit_an_incomplete_survey(login, case, xunyang_officer):
    response = login(xunyang_officer).post(
        f"/cases/{case.pk}/survey/", {"action": "submit", "employees": "50", "members": "40"}
    )

    assert response.status_code == 400
    case.refresh_from_db()
    assert case.stage == Stage.SURVEY
    assert Survey.objects.get(case=case).data["employees"] == 50
    page = response.content.decode()
    assert "cannot be submitted yet" in page
    assert re.search(r'id="f-women_employees-errors">\s*<li>This field is required.</li>', page)


def test_it_marks_the_answers_carried_over_from_the_last_campaign(
    login, case, xunyang_officer, federation_officer
):
    do_save_survey(case, full_survey(on=TODAY), actor=xunyang_officer)
    next_year = do_create_campaign(
        actor=federation_officer,
        data={
            "year": 2023,
            "title": "六有六规范建设",
            "reference_date": date(2023, 5, 20),
            "survey_deadline": date(2023, 8, 31),
            "summary_deadline": date(2023, 12, 15),
            "subsidy_six_haves": Decimal("5000.00"),
            "subsidy_six_norms": Decimal("8000.00"),
            "subsidy_budget": Decimal("100000.00"),
        },
    )
    new_case = do_create_case(actor=xunyang_officer, campaign=next_year, union_id=case.union_id)

    page = login(xunyang_officer).get(f"/cases/{new_case.pk}/survey/").content.decode()

    assert re.search(
        r'<label for="f-employees">[^<]*(<span[^>]*>\*</span>)? <span class="flag prefilled">', page
    )
    assert 'name="employees" value="320"' in page and 'class="prefilled"' in page
    # Last year's activity counts are not carried over: they must be answered afresh.
    assert re.search(
        r'<label for="f-skills_activities_last_year">[^<]*<span class="req"[^>]*>\*</span></label>',
        page,
    )


def test_it_lets_only_the_union_and_its_county_change_the_survey(
    login, case, federation_officer, reporter
):
    client = login(federation_officer)
    page = client.get(f"/cases/{case.pk}/survey/").content.decode()
    assert "Save draft" not in page
    assert (
        client.post(f"/cases/{case.pk}/survey/", {"action": "save", "employees": "5"}).status_code
        == 403
    )

    response = login(reporter).post(
        f"/cases/{case.pk}/survey/", {"action": "save", "employees": "5"}
    )
    assert response.status_code == 302
    assert Survey.objects.get(case=case).data["employees"] == 5
