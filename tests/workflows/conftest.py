"""Builders for the case tests: a frozen "today" and a case walked to any stage through the real
services, so every step leaves the events and history a person would."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from django.utils import timezone

from lib.demo_survey import full_survey
from tests.conftest import PATH, TODAY  # noqa: F401 - re-exported for the tests here
from workflows.models import Case, Stage


def settle_reviews(case: Case, officer) -> None:
    """Decide every finding the rules left ``needs_review``, as a county officer would."""
    from inspections.services import do_override_finding, rules_needing_review

    for rule in rules_needing_review(case):
        do_override_finding(case.pk, rule, "met", "已现场核实", actor=officer)


def walk(case: Case, to: str, *, county, federation) -> Case:
    """Fill the survey of ``case`` (complete, meeting every rule) and carry it from the survey
    stage to stage ``to`` through ``do_transition``."""
    from inspections.services import do_save_survey
    from workflows.services import do_transition

    actors = {"county": county, "federation": federation}
    do_save_survey(case, full_survey(on=timezone.localdate()), actor=county)
    if to == Stage.SURVEY:
        return case
    for stage, name, who in PATH:
        if name == "submit_assessment":
            settle_reviews(case, county)
        do_transition(case.pk, name, actor=actors[who], comment="")
        if stage == to:
            break
    case.refresh_from_db()
    assert case.stage == to, f"walked to {case.stage}, not {to}"
    return case


@pytest.fixture
def walk_case(case, xunyang_officer, federation_officer, frozen_today):
    """``walk_case(stage)``: the 浔阳区 case with its survey filled, walked to that stage."""

    def _walk(to: str) -> Case:
        return walk(case, to, county=xunyang_officer, federation=federation_officer)

    return _walk


@pytest.fixture(scope="module")
def generate():
    """``bench/generate.py``, the benchmark generator, loaded as a module (bench/ is no package)."""
    path = Path(__file__).resolve().parents[2] / "bench" / "generate.py"
    spec = importlib.util.spec_from_file_location("bench_generate", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
