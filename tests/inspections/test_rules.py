"""The rules of NORMS.md at their boundaries, one rule at a time, from the example of NORMS.md.

Every test starts from the example survey (a private enterprise assessed on 2022-09-01 that meets
every six_norms rule) and changes only what the rule under test reads.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from inspections import rules
from inspections.rules import (
    ADVISORY,
    MET,
    NEEDS_REVIEW,
    NOT_APPLICABLE,
    SIX_HAVES,
    SIX_NORMS,
    UNMET,
    Finding,
    assess,
    evaluation_grade,
    summarize,
    track_for,
)
from inspections.survey import EXAMPLE_ASSESSED_ON, EXAMPLE_UNION, example_survey

ON = EXAMPLE_ASSESSED_ON
DROP = object()  # a change that removes the key
PLAN = Path("/work/shared/seed/campaign-plan-zh.txt")


def _set(data: dict, path: str, value: object) -> None:
    *groups, leaf = path.split(".")
    node = data
    for group in groups:
        node = node.setdefault(group, {})
    if value is DROP:
        node.pop(leaf, None)
    else:
        node[leaf] = value


def finding(
    rule_id: str,
    changes: dict[str, object] | None = None,
    *,
    union: dict[str, object] | None = None,
    on: date = ON,
) -> Finding:
    """The finding of one rule, through ``assess``, on the example changed by dotted ``changes``."""
    survey = example_survey()
    for path, value in (changes or {}).items():
        _set(survey, path, value)
    union_record = {**EXAMPLE_UNION, **(union or {})}
    union_record = {key: value for key, value in union_record.items() if value is not DROP}
    track = SIX_HAVES if rule_id.startswith("H") else SIX_NORMS
    (result,) = [f for f in assess(track, union_record, survey, on) if f.rule == rule_id]
    return result


def outcome(rule_id: str, changes: dict[str, object] | None = None, **kwargs: object) -> str:
    return finding(rule_id, changes, **kwargs).outcome  # type: ignore[arg-type]


def days_before(days: int) -> str:
    return (ON - timedelta(days=days)).isoformat()


# --- the example --------------------------------------------------------------------------------


def test_it_finds_the_norms_example_meets_every_six_norms_rule():
    findings = assess(SIX_NORMS, dict(EXAMPLE_UNION), example_survey(), ON)

    assert [f.rule for f in findings] == [r.id for r in rules.RULES_BY_TRACK[SIX_NORMS]]
    assert {f.outcome for f in findings} <= {MET, NOT_APPLICABLE, ADVISORY}
    assert all(f.evidence for f in findings)
    summary = summarize(SIX_NORMS, {f.rule: f.outcome for f in findings})
    assert summary.meets_standard is True
    assert summary.score == Decimal("1.0000")
    assert summary.areas == dict.fromkeys(["N1", "N2", "N3", "N4", "N5", "N6"], True)
    assert summary.needs_review == [] and summary.unmet == []


def test_it_finds_the_norms_example_meets_every_six_haves_rule():
    findings = assess(SIX_HAVES, dict(EXAMPLE_UNION), example_survey(), ON)

    assert [f.rule for f in findings] == ["H1", "H2", "H3", "H4", "H5", "H6"]
    assert {f.outcome for f in findings} == {MET}
    assert summarize(SIX_HAVES, {f.rule: f.outcome for f in findings}).meets_standard


def test_it_names_the_values_it_decided_on_in_the_evidence():
    assert finding("N2.1", {"members": 31, "committee.exists": False}).evidence == (
        "会员 31 人 ≥ 25，未建立工会委员会"
    )
    assert finding("N2.1", {"members": DROP}).evidence == "缺少：会员人数，需人工核实"


# --- track ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("founded_on", "reference_date", "track"),
    [
        (date(2017, 5, 20), date(2022, 5, 20), SIX_NORMS),
        (date(2017, 5, 21), date(2022, 5, 20), SIX_HAVES),
        (date(2010, 1, 1), date(2022, 5, 20), SIX_NORMS),
        (date(2022, 5, 20), date(2022, 5, 20), SIX_HAVES),
        (date(2020, 2, 29), date(2025, 2, 28), SIX_NORMS),
        (date(2020, 2, 29), date(2025, 2, 27), SIX_HAVES),
        (date(2019, 2, 28), date(2024, 2, 28), SIX_NORMS),
        (date(2019, 3, 1), date(2024, 2, 29), SIX_HAVES),
        (date(2023, 2, 28), date(2028, 2, 28), SIX_NORMS),
    ],
)
def test_it_puts_unions_of_five_years_or_more_on_six_norms(founded_on, reference_date, track):
    assert track_for(founded_on, reference_date) == track


# --- member evaluation grade ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ballots", "grade"),
    [
        ((10, 3, 1), "satisfied"),
        ((3, 10, 1), "basically_satisfied"),
        ((3, 1, 10), "unsatisfied"),
        ((5, 5, 1), "basically_satisfied"),  # tie 满意 = 基本满意 → the lower
        ((1, 5, 5), "unsatisfied"),
        ((5, 1, 5), "unsatisfied"),
        ((4, 4, 4), "unsatisfied"),
        ((0, 0, 1), "unsatisfied"),
        ((0, 0, 0), None),
        ((None, 3, 1), None),
        ((3, None, 1), None),
        ((3, 1, None), None),
    ],
)
def test_it_grades_by_plurality_and_gives_ties_to_the_lower_grade(ballots, grade):
    assert evaluation_grade(*ballots) == grade


@pytest.mark.parametrize(
    ("ballots", "grade"),
    [
        ((8, 1, 1), "satisfied"),  # exactly 0.8
        ((7, 2, 1), "basically_satisfied"),
        ((3, 3, 4), "basically_satisfied"),  # exactly 0.6 together
        ((3, 2, 5), "unsatisfied"),
        ((0, 0, 0), None),
    ],
)
def test_it_grades_by_campaign_thresholds_when_given(ballots, grade):
    thresholds = {"satisfied": 0.8, "basically_satisfied": "0.6"}
    assert evaluation_grade(*ballots, thresholds=thresholds) == grade


def test_it_grades_by_plurality_when_a_campaign_sets_no_thresholds():
    assert evaluation_grade(5, 5, 1, thresholds={}) == "basically_satisfied"
    assert evaluation_grade(5, 5, 1, thresholds=None) == "basically_satisfied"


@pytest.mark.parametrize(
    "thresholds",
    [{"satisfied": 0.8}, {"satisfied": 1.2, "basically_satisfied": 0.6}, {"x": 1, "y": 1}],
)
def test_it_rejects_malformed_thresholds(thresholds):
    with pytest.raises(ValueError):
        evaluation_grade(1, 1, 1, thresholds=thresholds)


def test_it_uses_campaign_thresholds_in_the_assessment():
    survey = example_survey()  # 210 / 70 / 5: 满意 by plurality, 73.7 % satisfied
    thresholds = {"satisfied": 0.9, "basically_satisfied": 0.99}
    findings = assess(SIX_NORMS, dict(EXAMPLE_UNION), survey, ON, evaluation_thresholds=thresholds)

    (n6_2,) = [f for f in findings if f.rule == "N6.2"]
    assert n6_2.outcome == UNMET
    assert "评定为不满意" in n6_2.evidence


# --- 六有 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"), [(True, MET), (False, UNMET), (None, NEEDS_REVIEW), (DROP, NEEDS_REVIEW)]
)
def test_it_checks_h1_the_chair_is_lawfully_elected(value, expected):
    assert outcome("H1", {"chair.elected_lawfully": value}) == expected


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"members": 24, "committee.joint": True}, MET),
        ({"members": 25, "committee.joint": True}, UNMET),
        ({"members": 25}, MET),
        ({"committee.exists": False}, UNMET),
        ({"funds_review_committee": False}, UNMET),
        ({"women_employees": 24, "women_committee": False, "women_committee_member": True}, MET),
        ({"women_employees": 25, "women_committee": False, "women_committee_member": True}, UNMET),
        ({"members": DROP}, NEEDS_REVIEW),
        ({"women_employees": None}, NEEDS_REVIEW),
        ({"members": DROP, "funds_review_committee": False}, UNMET),
    ],
)
def test_it_checks_h2_the_organisation(changes, expected):
    assert outcome("H2", changes) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(0, UNMET), (1, MET), (None, NEEDS_REVIEW), ("3", NEEDS_REVIEW)]
)
def test_it_checks_h3_at_least_one_activity(value, expected):
    assert outcome("H3", {"activities_last_year": value}) == expected


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"member_congress.meetings_last_year": 0}, UNMET),
        ({"member_congress.meetings_last_year": 3}, MET),
        ({"finance_system": False}, UNMET),
        ({"funds_review_system": DROP}, NEEDS_REVIEW),
        ({"funds_review_system": DROP, "finance_system": False}, UNMET),
    ],
)
def test_it_checks_h4_the_systems(changes, expected):
    assert outcome("H4", changes) == expected


@pytest.mark.parametrize(("value", "expected"), [(True, MET), (False, UNMET), (DROP, NEEDS_REVIEW)])
def test_it_checks_h5_an_independent_account(value, expected):
    assert outcome("H5", {"funds.independent_account": value}) == expected


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"member_evaluation.held_on": days_before(365)}, MET),
        ({"member_evaluation.held_on": days_before(366)}, UNMET),
        ({"member_evaluation.held_on": days_before(0)}, MET),
        ({"member_evaluation.held_on": days_before(-1)}, NEEDS_REVIEW),
        ({"member_evaluation.held_on": DROP}, NEEDS_REVIEW),
        ({"member_evaluation.held_on": "2022-13-01"}, NEEDS_REVIEW),
        ({"member_evaluation.written": False}, MET),  # 六有 does not ask for a written ballot
        (
            {"member_evaluation.basically_satisfied": 210, "member_evaluation.unsatisfied": 210},
            UNMET,
        ),
        ({"member_evaluation.satisfied": 70}, MET),  # 基本满意 wins
        ({"member_evaluation.satisfied": 0, "member_evaluation.basically_satisfied": 0}, UNMET),
        (
            {
                "member_evaluation.satisfied": 0,
                "member_evaluation.basically_satisfied": 0,
                "member_evaluation.unsatisfied": 0,
            },
            NEEDS_REVIEW,
        ),
        ({"member_evaluation.unsatisfied": None}, NEEDS_REVIEW),
        ({"member_evaluation": DROP}, NEEDS_REVIEW),
    ],
)
def test_it_checks_h6_a_recent_satisfied_evaluation(changes, expected):
    assert outcome("H6", changes) == expected


def test_it_says_why_an_evaluation_cannot_be_graded():
    evidence = finding(
        "H6",
        {
            "member_evaluation.satisfied": 0,
            "member_evaluation.basically_satisfied": 0,
            "member_evaluation.unsatisfied": 0,
        },
    ).evidence
    assert "无法评定等次" in evidence and evidence.endswith("需人工核实")


# --- 队伍建设 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "union", "expected"),
    [
        ({"employees": 199, "chair.is_admin_head": True}, {}, NOT_APPLICABLE),
        ({"employees": 200}, {}, MET),
        ({"employees": 200, "chair.is_admin_head": True}, {}, UNMET),
        ({"chair.is_partner": True}, {}, UNMET),
        ({"chair.is_relative_of_admin": None}, {}, NEEDS_REVIEW),
        ({"committee.members": [{"name": "赵六", "is_admin_head": False}]}, {}, NEEDS_REVIEW),
        ({"committee.members": DROP}, {}, NEEDS_REVIEW),
        ({"committee.members": []}, {}, MET),
        ({"committee.exists": False, "committee.members": DROP}, {}, MET),
        ({"committee.exists": DROP}, {}, NEEDS_REVIEW),
        ({"committee.exists": None, "committee.members": []}, {}, NEEDS_REVIEW),
        ({"committee.exists": None, "chair.is_partner": True}, {}, UNMET),
        ({"employees": DROP}, {}, NEEDS_REVIEW),
        ({}, {"union_type": "institution"}, NOT_APPLICABLE),
        ({}, {"union_type": DROP}, NEEDS_REVIEW),
    ],
)
def test_it_checks_n1_1_no_employer_heads_on_large_enterprise_committees(changes, union, expected):
    assert outcome("N1.1", changes, union=union) == expected


def test_it_names_the_committee_member_who_may_not_serve():
    members = [
        {
            "name": "李强",
            "is_admin_head": False,
            "is_partner": False,
            "is_relative_of_admin": False,
        },
        {"name": "赵六", "is_admin_head": False, "is_partner": True, "is_relative_of_admin": False},
    ]
    result = finding("N1.1", {"committee.members": members})

    assert result.outcome == UNMET
    assert result.evidence == "职工 320 人 ≥ 200，委员赵六为合伙人"


def test_it_does_not_find_n1_1_met_when_it_is_unknown_whether_the_committee_exists():
    """Found by hypothesis: the example without ``committee.exists`` gave met."""
    survey = example_survey()
    del survey["committee"]["exists"]

    (result,) = [f for f in assess(SIX_NORMS, dict(EXAMPLE_UNION), survey, ON) if f.rule == "N1.1"]

    assert result.outcome == NEEDS_REVIEW
    assert result.evidence == "职工 320 人 ≥ 200，缺少：是否建立工会委员会，需人工核实"


def test_it_notes_but_does_not_count_members_of_a_committee_that_may_not_exist():
    """Were there no committee, only the chair would count: a listed member's conflict cannot
    make N1.1 unmet while ``committee.exists`` is unanswered."""
    members = [{"name": "赵六", "is_admin_head": True, "is_partner": False}]
    unknown = finding("N1.1", {"committee.exists": DROP, "committee.members": members})
    absent = finding("N1.1", {"committee.exists": False, "committee.members": members})

    assert unknown.outcome == NEEDS_REVIEW
    assert unknown.evidence == (
        "职工 320 人 ≥ 200，委员赵六为企业行政负责人；"
        "缺少：是否建立工会委员会、委员赵六是否为行政负责人或合伙人的近亲属，需人工核实"
    )
    assert absent.outcome == MET


@pytest.mark.parametrize(
    ("union", "expected"),
    [
        ({"ownership": "state_owned"}, NEEDS_REVIEW),
        ({"ownership": "collective"}, NEEDS_REVIEW),
        ({"ownership": "state_controlled"}, NEEDS_REVIEW),
        ({"ownership": "private"}, NOT_APPLICABLE),
        ({"ownership": "foreign"}, NOT_APPLICABLE),
        ({"ownership": None}, NEEDS_REVIEW),
        ({"ownership": None, "union_type": "social_org"}, NOT_APPLICABLE),
        ({"ownership": None, "union_type": None}, NEEDS_REVIEW),
    ],
)
def test_it_leaves_n1_2_the_chairs_rank_to_an_officer(union, expected):
    assert outcome("N1.2", union=union) == expected


@pytest.mark.parametrize(
    ("union", "changes", "expected"),
    [
        ({}, {}, ADVISORY),
        ({}, {"full_time_staff": DROP}, ADVISORY),
        ({"union_type": None}, {}, ADVISORY),
        ({"union_type": "social_org"}, {}, NOT_APPLICABLE),
    ],
)
def test_it_only_advises_on_n1_3_full_time_staff(union, changes, expected):
    assert outcome("N1.3", changes, union=union) == expected


PARK = {"union_type": "industrial_park", "ownership": None, "park_level": "provincial"}


@pytest.mark.parametrize(
    ("union", "coordinators", "expected"),
    [
        (PARK, 0, UNMET),
        (PARK, 1, MET),
        ({**PARK, "park_level": "below_provincial"}, 1, MET),
        ({**PARK, "park_level": "national"}, 0, NOT_APPLICABLE),
        ({**PARK, "park_level": None}, 1, NEEDS_REVIEW),
        (PARK, None, NEEDS_REVIEW),
        ({}, 0, NOT_APPLICABLE),
        ({"union_type": None}, 0, NEEDS_REVIEW),
    ],
)
def test_it_checks_n1_4_a_coordinator_in_provincial_and_lower_parks(union, coordinators, expected):
    assert outcome("N1.4", {"coordinators": coordinators}, union=union) == expected


@pytest.mark.parametrize(
    ("union_type", "expected"),
    [
        ("township_street", ADVISORY),
        ("county_industry_federation", ADVISORY),
        ("regional_federation", ADVISORY),
        ("enterprise", NOT_APPLICABLE),
        ("industrial_park", NOT_APPLICABLE),
    ],
)
def test_it_only_advises_on_n1_5_coordinators_of_federations(union_type, expected):
    assert outcome("N1.5", {"coordinators": 0}, union={"union_type": union_type}) == expected


@pytest.mark.parametrize(
    ("union_type", "volunteer_team", "expected"),
    [
        ("township_street", True, MET),
        ("township_street", False, UNMET),
        ("industrial_park", None, NEEDS_REVIEW),
        ("enterprise", False, NOT_APPLICABLE),
        ("new_employment", False, NOT_APPLICABLE),
    ],
)
def test_it_checks_n1_6_a_volunteer_team(union_type, volunteer_team, expected):
    changes = {"volunteer_team": volunteer_team}
    assert outcome("N1.6", changes, union={"union_type": union_type}) == expected


# --- 组织机构 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"members": 24, "committee.joint": True}, MET),
        ({"members": 24, "committee.joint": None}, MET),  # a joint one counts: not read
        ({"members": 25, "committee.joint": True}, UNMET),
        ({"members": 25, "committee.joint": False}, MET),
        ({"members": 25, "committee.joint": None}, NEEDS_REVIEW),
        ({"members": 24, "committee.exists": False}, UNMET),
        ({"members": 24, "committee.exists": None}, NEEDS_REVIEW),
        ({"members": None}, NEEDS_REVIEW),
    ],
)
def test_it_checks_n2_1_a_committee_and_when_a_joint_one_counts(changes, expected):
    assert outcome("N2.1", changes) == expected


def test_it_says_a_joint_committee_counts_below_25_members():
    evidence = finding("N2.1", {"members": 24, "committee.joint": True}).evidence
    assert evidence == "会员 24 人 < 25，已建立工会委员会（单独或联合建立均可）"


@pytest.mark.parametrize(("value", "expected"), [(True, MET), (False, UNMET), (None, NEEDS_REVIEW)])
def test_it_checks_n2_2_a_funds_review_committee(value, expected):
    assert outcome("N2.2", {"funds_review_committee": value}) == expected


@pytest.mark.parametrize(
    ("women", "committee", "member", "expected"),
    [
        (25, True, False, MET),
        (25, False, True, UNMET),
        (24, False, True, MET),
        (24, True, False, MET),
        (24, False, False, UNMET),
        (24, True, None, NEEDS_REVIEW),
        (25, True, None, MET),  # the member is not read at 25 or more
        (25, None, True, NEEDS_REVIEW),
        (None, True, True, NEEDS_REVIEW),
    ],
)
def test_it_checks_n2_3_a_womens_committee_or_member(women, committee, member, expected):
    changes = {
        "women_employees": women,
        "women_committee": committee,
        "women_committee_member": member,
    }
    assert outcome("N2.3", changes) == expected


@pytest.mark.parametrize(
    ("members", "committee", "supervisor", "expected"),
    [
        (25, True, False, MET),
        (25, False, True, UNMET),
        (24, False, True, MET),
        (24, False, False, UNMET),
        (24, None, True, NEEDS_REVIEW),
        (None, True, True, NEEDS_REVIEW),
    ],
)
def test_it_checks_n2_4_labour_law_supervision(members, committee, supervisor, expected):
    changes = {
        "members": members,
        "labor_law_supervision_committee": committee,
        "labor_law_supervisor": supervisor,
    }
    assert outcome("N2.4", changes) == expected


@pytest.mark.parametrize(
    ("changes", "union", "expected"),
    [
        ({"production_teams": 0, "union_groups": 0}, {}, NOT_APPLICABLE),
        ({"production_teams": 12, "union_groups": 11}, {}, UNMET),
        ({"production_teams": 12, "union_groups": 13}, {}, MET),
        ({"group_leaders_elected": False}, {}, UNMET),
        ({"union_groups": DROP}, {}, NEEDS_REVIEW),
        ({"production_teams": DROP}, {}, NEEDS_REVIEW),
        ({}, {"union_type": "institution"}, NOT_APPLICABLE),
    ],
)
def test_it_checks_n2_5_union_groups_follow_production_teams(changes, union, expected):
    assert outcome("N2.5", changes, union=union) == expected


# --- 履行职能 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "union", "expected"),
    [
        ({"collective_contract.expires_on": ON.isoformat()}, {}, MET),
        ({"collective_contract.expires_on": days_before(1)}, {}, UNMET),
        ({"collective_contract.expires_on": DROP}, {}, NEEDS_REVIEW),
        ({"collective_contract.signed": False}, {}, UNMET),
        ({"collective_contract.signed": None}, {}, NEEDS_REVIEW),
        (
            {"collective_contract.signed": None, "collective_contract.expires_on": days_before(1)},
            {},
            UNMET,
        ),
        ({}, {"union_type": "institution"}, NOT_APPLICABLE),
        ({}, {"union_type": None}, NEEDS_REVIEW),
    ],
)
def test_it_checks_n3_1_a_collective_contract_in_force(changes, union, expected):
    assert outcome("N3.1", changes, union=union) == expected


@pytest.mark.parametrize(
    ("changes", "union", "expected"),
    [
        ({"has_board": False, "worker_director": False}, {}, MET),
        ({"has_board": True, "worker_director": False}, {}, UNMET),
        ({"has_supervisory_board": True, "worker_supervisor": None}, {}, NEEDS_REVIEW),
        ({"has_supervisory_board": False, "worker_supervisor": None}, {}, MET),
        ({"has_board": None}, {}, NEEDS_REVIEW),
        ({"workers_congress.meetings_last_year": 0}, {}, UNMET),
        ({"open_affairs": False}, {}, UNMET),
        ({}, {"union_type": "institution"}, MET),
        ({}, {"union_type": "social_org"}, NOT_APPLICABLE),
    ],
)
def test_it_checks_n3_2_democratic_management(changes, union, expected):
    assert outcome("N3.2", changes, union=union) == expected


@pytest.mark.parametrize(("rule_id", "path"), [("N3.3", "skills"), ("N3.4", "culture")])
@pytest.mark.parametrize(("count", "expected"), [(0, UNMET), (1, MET), (None, NEEDS_REVIEW)])
def test_it_checks_n3_3_and_n3_4_at_least_one_activity(rule_id, path, count, expected):
    assert outcome(rule_id, {f"{path}_activities_last_year": count}) == expected


# --- 制度机制 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "meetings", "expected"),
    [
        (3, 1, MET),
        (5, 2, MET),
        (4, 1, UNMET),
        (5, 0, UNMET),
        (5, 3, UNMET),
        (None, 1, NEEDS_REVIEW),
        (4, None, UNMET),
    ],
)
def test_it_checks_n4_1_the_members_congress(term, meetings, expected):
    changes = {"member_congress.term_years": term, "member_congress.meetings_last_year": meetings}
    assert outcome("N4.1", changes) == expected


@pytest.mark.parametrize(
    ("changes", "union", "expected"),
    [
        ({"workers_congress.term_years": 3, "workers_congress.meetings_last_year": 4}, {}, MET),
        ({"workers_congress.term_years": 2}, {}, UNMET),
        ({"workers_congress.meetings_last_year": 0}, {}, UNMET),
        ({"workers_congress.combined_with_member_congress": True}, {}, UNMET),
        ({"workers_congress.combined_with_member_congress": None}, {}, NEEDS_REVIEW),
        ({}, {"union_type": "institution"}, MET),
        ({}, {"union_type": "township_street"}, NOT_APPLICABLE),
    ],
)
def test_it_checks_n4_2_the_workers_congress(changes, union, expected):
    assert outcome("N4.2", changes, union=union) == expected


@pytest.mark.parametrize(
    ("value", "union", "expected"),
    [
        (True, {}, MET),
        (False, {}, UNMET),
        (None, {}, NEEDS_REVIEW),
        (False, {"union_type": "institution"}, NOT_APPLICABLE),
    ],
)
def test_it_checks_n4_3_collective_consultation_in_enterprises(value, union, expected):
    assert outcome("N4.3", {"collective_consultation_system": value}, union=union) == expected


@pytest.mark.parametrize(
    ("value", "union", "expected"),
    [(True, {}, MET), (False, {}, UNMET), (True, {"union_type": "social_org"}, MET)],
)
def test_it_checks_n4_4_labour_law_supervision_everywhere(value, union, expected):
    assert outcome("N4.4", {"labor_law_supervision_system": value}, union=union) == expected


# --- 职工之家 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule_id", "path"),
    [
        ("N5.1", "home.signage"),
        ("N5.1", "home.leaders_board"),
        ("N5.3", "home.office"),
        ("N5.3", "home.equipment"),
        ("N5.4", "archives_complete"),
        ("N5.4", "paper_archives"),
        *(
            ("N5.5", f"home.{key}")
            for key in (
                "venue",
                "signage",
                "sports_facilities",
                "library",
                "rules",
                "activity_plan",
                "funds",
                "staff",
            )
        ),
        ("N6.1", "goal_management"),
        ("N6.1", "regular_study"),
        ("N6.1", "work_briefing"),
    ],
)
def test_it_needs_every_flag_of_a_checklist_rule(rule_id, path):
    assert outcome(rule_id, {path: False}) == UNMET
    assert outcome(rule_id, {path: None}) == NEEDS_REVIEW
    assert outcome(rule_id, {path: DROP}) == NEEDS_REVIEW
    assert outcome(rule_id, {path: True}) == MET


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"roster_updated_on": days_before(183)}, MET),
        ({"roster_updated_on": days_before(184)}, UNMET),
        ({"roster_updated_on": days_before(0)}, MET),
        ({"roster_updated_on": days_before(-1)}, NEEDS_REVIEW),
        ({"roster_updated_on": DROP}, NEEDS_REVIEW),
        ({"roster_updated_on": days_before(184), "member_registration_forms": None}, UNMET),
        ({"member_registration_forms": False}, UNMET),
    ],
)
def test_it_checks_n5_2_a_roster_updated_every_half_year(changes, expected):
    assert outcome("N5.2", changes) == expected


def test_it_says_when_a_roster_date_is_after_the_assessment():
    evidence = finding("N5.2", {"roster_updated_on": "2022-09-02"}).evidence
    assert "会员花名册更新日期 2022-09-02 晚于评估日期 2022-09-01" in evidence


# --- 工作绩效 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"member_evaluation.held_on": days_before(365)}, MET),
        ({"member_evaluation.held_on": days_before(366)}, UNMET),
        ({"member_evaluation.held_on": days_before(-1)}, NEEDS_REVIEW),
        ({"member_evaluation.written": False}, UNMET),
        ({"member_evaluation.written": None}, NEEDS_REVIEW),
        ({"member_evaluation.satisfied": 70}, MET),  # tie 满意 = 基本满意: 基本满意
        ({"member_evaluation.unsatisfied": 210}, UNMET),  # tie 满意 = 不满意: 不满意
        (
            {
                "member_evaluation.satisfied": 0,
                "member_evaluation.basically_satisfied": 0,
                "member_evaluation.unsatisfied": 0,
            },
            NEEDS_REVIEW,
        ),
    ],
)
def test_it_checks_n6_2_a_written_recent_satisfied_evaluation(changes, expected):
    assert outcome("N6.2", changes) == expected


def test_it_reads_dates_given_as_date_objects():
    assert outcome("N6.2", {"member_evaluation.held_on": ON - timedelta(days=366)}) == UNMET
    assert outcome("N5.2", {"roster_updated_on": ON - timedelta(days=183)}) == MET


# --- summary -------------------------------------------------------------------------------------


def _outcomes(track: str, **changes: str) -> dict[str, str]:
    base = {rule.id: MET if rule.counted else ADVISORY for rule in rules.RULES_BY_TRACK[track]}
    return {**base, **{key.replace("_", "."): value for key, value in changes.items()}}


def test_it_fails_an_area_when_one_counted_rule_in_it_is_unmet():
    summary = summarize(SIX_NORMS, _outcomes(SIX_NORMS, N2_3=UNMET))

    assert summary.areas["N2"] is False
    assert summary.meets_standard is False
    assert summary.unmet == ["N2.3"]
    assert summary.counted == 24 and summary.met == 23  # 26 rules, 2 of them advisory
    assert summary.score == Decimal("0.9583")


def test_it_never_counts_advisory_rules():
    outcomes = _outcomes(SIX_NORMS, N1_3=UNMET, N1_5=NOT_APPLICABLE)
    summary = summarize(SIX_NORMS, outcomes)

    assert summary.meets_standard is True
    assert summary.counted == 24


def test_it_scores_met_over_applicable_rules():
    outcomes = _outcomes(SIX_NORMS, N1_1=NOT_APPLICABLE, N1_2=NOT_APPLICABLE, N6_2=NEEDS_REVIEW)
    summary = summarize(SIX_NORMS, outcomes)

    assert summary.counted == 22 and summary.met == 21
    assert summary.score == Decimal("0.9545")  # 21 / 22
    assert summary.needs_review == ["N6.2"]
    assert summary.areas["N1"] is True and summary.areas["N6"] is False


def test_it_counts_a_missing_outcome_as_needing_review():
    outcomes = _outcomes(SIX_HAVES)
    del outcomes["H4"]
    summary = summarize(SIX_HAVES, outcomes)

    assert summary.needs_review == ["H4"]
    assert summary.meets_standard is False


def test_it_meets_the_standard_once_an_officer_confirms_the_chairs_rank():
    union = {**EXAMPLE_UNION, "ownership": "state_owned"}
    findings = assess(SIX_NORMS, union, example_survey(), ON)
    outcomes = {f.rule: f.outcome for f in findings}

    assert summarize(SIX_NORMS, outcomes).needs_review == ["N1.2"]
    outcomes["N1.2"] = MET  # the officer's override
    assert summarize(SIX_NORMS, outcomes).meets_standard is True


def test_it_has_no_score_when_nothing_counted_applies():
    outcomes = {rule.id: NOT_APPLICABLE for rule in rules.RULES_BY_TRACK[SIX_HAVES]}
    summary = summarize(SIX_HAVES, outcomes)

    assert summary.score is None and summary.counted == 0
    assert summary.meets_standard is True


def test_it_rejects_an_unknown_track():
    with pytest.raises(ValueError):
        summarize("six_wishes", {})
    with pytest.raises(ValueError):
        assess("six_wishes", {}, {}, ON)


def test_it_turns_findings_and_summaries_into_json_ready_dicts():
    result = finding("H1")
    assert result.as_dict() == {
        "rule": "H1",
        "area": "有依法选举的工会主席",
        "outcome": MET,
        "evidence": result.evidence,
    }
    summary = summarize(SIX_NORMS, _outcomes(SIX_NORMS, N2_3=UNMET)).as_dict()
    assert summary["score"] == "0.9583" and summary["unmet"] == ["N2.3"]


# --- the table of rules --------------------------------------------------------------------------


def test_it_lists_every_rule_id_of_norms_in_order():
    expected = ["H1", "H2", "H3", "H4", "H5", "H6"]
    expected += ["N1.1", "N1.2", "N1.3", "N1.4", "N1.5", "N1.6"]
    expected += ["N2.1", "N2.2", "N2.3", "N2.4", "N2.5", "N3.1", "N3.2", "N3.3", "N3.4"]
    expected += ["N4.1", "N4.2", "N4.3", "N4.4", "N5.1", "N5.2", "N5.3", "N5.4", "N5.5"]
    expected += ["N6.1", "N6.2"]
    assert list(rules.RULES) == expected
    assert [r.id for r in rules.RULES_BY_TRACK[SIX_HAVES]] == expected[:6]
    assert [r.id for r in rules.RULES_BY_TRACK[SIX_NORMS]] == expected[6:]
    assert [r.id for r in rules.RULES.values() if not r.counted] == ["N1.3", "N1.5"]


def test_it_names_each_area_in_chinese():
    areas = {rule.area_code: rule.area for rule in rules.RULES.values()}
    assert areas["N1"] == "队伍建设" and areas["N6"] == "工作绩效"
    assert areas["H1"] == "有依法选举的工会主席"


def test_it_quotes_the_plan_in_every_rule():
    for rule_id, rule in rules.RULES.items():
        function = rules.RULE_FUNCTIONS[rule_id]
        assert rule.clause, rule_id
        assert function.__doc__ and "".join(function.__doc__.split()).startswith(
            "".join(rule.clause.split())
        )
    if not PLAN.exists():
        pytest.skip("the plan's text is not on this machine")
    plan = "".join(PLAN.read_text(encoding="utf-8").split())
    for rule_id, rule in rules.RULES.items():
        assert "".join(rule.clause.split()) in plan, rule_id
