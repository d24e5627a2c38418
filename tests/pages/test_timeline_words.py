"""The case page's timeline speaks the reader's language: a subsidy's state and the case it
belongs to read as words, not as stored codes or Django's default field names."""

from __future__ import annotations

import pytest
from django.utils import translation

from tests.pages.conftest import submitted_subsidy
from workflows.views_common import change_rows, display_value, field_label

pytestmark = pytest.mark.django_db


def test_it_names_subsidy_and_summary_states_and_a_relation_by_its_model():
    with translation.override("zh-hans"):
        assert display_value("state", "signed_off") == "已签批"
        assert display_value("state", "accepted") == "已受理"  # a county summary's
        assert field_label("case") == field_label("case_id") == "案卷"
        assert field_label("amount") == "金额（元）"


def test_it_shows_the_subsidy_steps_in_words_on_the_case_page(
    login, case, xunyang_officer, federation_officer, leader
):
    submitted_subsidy(case, county=xunyang_officer, federation=federation_officer)

    timeline = login(leader).get(f"/cases/{case.pk}/").context["timeline"]

    states = [
        (row["old"], row["new"])
        for entry in timeline
        for row in entry["changes"]
        if row["field"] == "state"
    ]
    assert ("Draft", "Submitted") in states
    assert ("—", "Draft") in states


def test_it_leaves_values_it_does_not_know_as_they_are():
    assert display_value("state", "unheard_of") == "unheard_of"
    assert change_rows({"note": ["", "x"]})[0]["old"] == "—"
