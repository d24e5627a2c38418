"""``workflows.history.case_timeline``: the case's events merged with the field changes of the
case, its subsidy and its survey, in a fixed number of queries however long the timeline is."""

from __future__ import annotations

import pytest

from workflows.history import case_timeline
from workflows.models import Event, Stage

pytestmark = pytest.mark.django_db

QUERIES = 4  # the case's history rows, its subsidy's, its survey's, its events


@pytest.fixture
def disbursed_case(walk_case, xunyang_officer, federation_officer, leader):
    """The 浔阳区 case walked to the subsidy stage, its subsidy applied for, signed off and
    disbursed, and the case closed."""
    from subsidies.services import do_create_subsidy, do_subsidy_transition
    from workflows.services import do_transition

    case = walk_case(Stage.SUBSIDY)
    application = do_create_subsidy(case.pk, actor=xunyang_officer)
    do_subsidy_transition(application.pk, "submit", actor=xunyang_officer, comment="申请补助")
    do_subsidy_transition(application.pk, "sign_off", actor=leader)
    do_subsidy_transition(application.pk, "disburse", actor=federation_officer, comment="已拨付")
    do_transition(case.pk, "close", actor=federation_officer, comment="本年度结案")
    return case


def test_it_shows_the_subsidys_steps_with_its_own_field_changes(disbursed_case):
    entries = case_timeline(disbursed_case)

    def brief(entry):
        return (
            entry["action"],
            entry["actor"]["username"],
            entry["from"],
            entry["to"],
            entry["changes"],
            entry["reason"],
        )

    assert [brief(e) for e in entries if e["action"].startswith("subsidy.")] == [
        (
            "subsidy.create",
            "xunyang",
            None,
            "draft",
            {
                "case_id": [None, disbursed_case.pk],
                "amount": [None, "8000.00"],
                "state": [None, "draft"],
            },
            "",
        ),
        (
            "subsidy.submit",
            "xunyang",
            "draft",
            "submitted",
            {"state": ["draft", "submitted"]},
            "申请补助",
        ),
        (
            "subsidy.sign_off",
            "leader",
            "submitted",
            "signed_off",
            {"state": ["submitted", "signed_off"]},
            "",
        ),
        (
            "subsidy.disburse",
            "fed",
            "signed_off",
            "disbursed",
            {"state": ["signed_off", "disbursed"]},
            "已拨付",
        ),
    ]
    assert brief(entries[-1]) == (
        "close",
        "fed",
        Stage.SUBSIDY,
        Stage.CLOSED,
        {"stage": [Stage.SUBSIDY, Stage.CLOSED]},
        "本年度结案",
    )
    assert entries[-1]["actor"]["name"] == "市总 刘敏"
    # Every event once, in order, each entry naming its event; nothing else but the survey's saves.
    shown = [e["event"] for e in entries if "event" in e]
    assert shown == list(Event.objects.filter(case=disbursed_case).values_list("id", flat=True))
    assert [e["action"] for e in entries if "event" not in e] == ["survey.create", "survey.update"]


def test_it_shows_a_survey_save_only_when_the_answers_change(walk_case, xunyang_officer, reporter):
    from inspections.services import do_save_survey
    from workflows.services import do_transition

    case = walk_case(Stage.SURVEY_REVIEW)  # submit_survey saved the survey's submitted_at only
    do_transition(case.pk, "return_survey", actor=xunyang_officer, comment="会员人数有误")
    data = dict(case.survey.data)
    do_save_survey(case, data, actor=reporter)  # the same answers again
    do_save_survey(case, {**data, "members": data["members"] + 1}, actor=reporter)
    do_transition(case.pk, "submit_survey", actor=reporter, comment="")

    survey_entries = [e for e in case_timeline(case) if e["action"].startswith("survey.")]

    assert [(e["action"], e["actor"]["username"]) for e in survey_entries] == [
        ("survey.create", "xunyang"),
        ("survey.update", "xunyang"),
        ("survey.update", "reporter"),
    ]
    assert survey_entries[-1]["changes"] == {"members": [data["members"], data["members"] + 1]}
    assert survey_entries[-1]["from"] is survey_entries[-1]["to"] is None


def test_it_reads_a_timeline_in_the_same_queries_however_long(
    wuning_case, disbursed_case, django_assert_num_queries
):
    with django_assert_num_queries(QUERIES):
        assert len(case_timeline(wuning_case)) == 2  # opened, its survey created
    with django_assert_num_queries(QUERIES):
        assert len(case_timeline(disbursed_case)) == 14  # 12 events, 2 survey saves


@pytest.fixture
def long_case(wuning_case, wuning_officer, federation_officer, frozen_today):
    """The 武宁县 case sent back and resubmitted 40 times, as the transition benchmark does to
    its cases: over 80 entries, each a case history row and an event, and a survey row each
    resubmission."""
    from tests.workflows.conftest import walk
    from workflows.services import do_transition

    case = walk(
        wuning_case, Stage.SURVEY_REVIEW, county=wuning_officer, federation=federation_officer
    )
    for _ in range(40):
        do_transition(case.pk, "return_survey", actor=wuning_officer, comment="请补充材料")
        do_transition(case.pk, "submit_survey", actor=wuning_officer, comment="")
    return case


def test_it_reads_the_longest_timelines_in_the_same_queries(
    long_case, case, django_assert_num_queries
):
    with django_assert_num_queries(QUERIES):
        short = case_timeline(case)
    with django_assert_num_queries(QUERIES):
        entries = case_timeline(long_case)

    assert len(short) == 2
    assert len(entries) > 80
    assert [e["action"] for e in entries[-4:]] == ["return_survey", "submit_survey"] * 2
    assert entries[-1]["changes"] == {"stage": [Stage.SURVEY, Stage.SURVEY_REVIEW]}
    assert entries[-2]["changes"] == {
        "stage": [Stage.SURVEY_REVIEW, Stage.SURVEY],
        "returned_count": [39, 40],
    }
    assert entries[-2]["reason"] == "请补充材料"
    assert len([e for e in entries if "event" in e]) == Event.objects.filter(case=long_case).count()


def test_its_compiled_queries_give_the_rows_the_orm_gives_for_every_case(disbursed_case, long_case):
    """The four queries are compiled once with a stand-in id: each case must still get its own
    rows, converted as ``values()`` converts them (the subsidy's decimal amount on SQLite)."""
    from workflows.history import _queries

    for case in (disbursed_case, long_case, disbursed_case):
        for name, (query, _fields) in _queries().items():
            assert query.rows(case.pk) == list(query.build(case.pk)), (name, case.pk)
    subsidy_rows = _queries()["subsidy"][0].rows(disbursed_case.pk)
    assert [str(row["amount"]) for row in subsidy_rows][-1] == "8000.00"
    assert _queries()["subsidy"][0].rows(long_case.pk) == []
