"""Builders for the page tests: a frozen "today", cases walked through the real services, and
clients logged in as the conftest personas reading the pages in English (the msgids), so the
assertions hold whatever the zh-hans catalogue says."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from inspections.services import do_override_finding, do_save_survey, rules_needing_review
from inspections.survey import flatten
from lib.demo_survey import full_survey
from subsidies.services import do_create_subsidy, do_subsidy_transition
from tests.conftest import PATH, TODAY  # noqa: F401 - re-exported for the tests here
from workflows.models import Case, Stage
from workflows.services import do_transition


@contextlib.contextmanager
def moment(when: datetime) -> Iterator[None]:
    """Everything saved inside happens at ``when`` (history rows and events take
    ``timezone.now()``), so the audit explorer can be asked about earlier days."""
    real_now = timezone.now
    timezone.now = lambda: when
    try:
        yield
    finally:
        timezone.now = real_now


def walk(case: Case, to: str, *, county, federation, survey: dict | None = None) -> Case:
    """Fill the survey (complete, meeting every rule) and carry the case to stage ``to``."""
    actors = {"county": county, "federation": federation}
    do_save_survey(case, survey or full_survey(on=timezone.localdate()), actor=county)
    for _stage, name, who in PATH:
        case.refresh_from_db()
        if Stage.values.index(case.stage) >= Stage.values.index(to):
            break
        if name == "submit_assessment":
            for rule in rules_needing_review(case):
                do_override_finding(case.pk, rule, "met", "已现场核实", actor=county)
        do_transition(case.pk, name, actor=actors[who], comment="")
    case.refresh_from_db()
    assert case.stage == to, f"stopped at {case.stage}"
    return case


def submitted_subsidy(case: Case, *, county, federation):
    walk(case, Stage.SUBSIDY, county=county, federation=federation)
    application = do_create_subsidy(case.pk, actor=county)
    return do_subsidy_transition(application.pk, "submit", actor=county)


def survey_form_data(survey: dict[str, Any], action: str = "save") -> dict[str, str]:
    """A nested survey as the survey form posts it: dotted names, true/false, empty for null."""
    data: dict[str, str] = {"action": action}
    for path, value in flatten(survey).items():
        if path == "committee.members":
            for index, member in enumerate(value or []):
                for key, item in member.items():
                    data[f"{path}.{index}.{key}"] = _form_value(item)
            continue
        data[path] = _form_value(value)
    return data


def _form_value(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


@pytest.fixture
def login(db):
    """``login(user)``: a test client logged in as ``user``, reading English."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        client.cookies["django_language"] = "en"
        return client

    return make
