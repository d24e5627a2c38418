"""Properties of the rules over generated surveys: what must hold whatever the data.

Surveys are drawn field by field (every field of ``inspections.survey.FIELDS``, with values around
the boundaries of NORMS.md), then some answers are taken away. The rules run on the survey with
answers missing ("partial") and on the full one (a completion of the partial one).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from inspections import rules
from inspections.rules import (
    ADVISORY,
    MET,
    NEEDS_REVIEW,
    NOT_APPLICABLE,
    OUTCOMES,
    SIX_HAVES,
    SIX_NORMS,
    TRACKS,
    UNMET,
    assess,
    evaluation_grade,
    summarize,
)
from inspections.survey import EXAMPLE_UNION, FIELDS, example_survey, flatten, unflatten

ON = date(2022, 9, 1)
UNION_FIELDS = ("union_type", "ownership", "park_level")
# The example of NORMS.md (assessed on ON), union and survey as one flat dict; its park_level is
# None (an enterprise has none), so a case drawn near it keeps a drawn park_level.
EXAMPLE = {
    **{key: value for key, value in EXAMPLE_UNION.items() if value is not None},
    **flatten(example_survey()),
}

counts = st.one_of(st.integers(0, 3), st.integers(23, 26), st.integers(198, 202))
dates = st.integers(-3, 800).map(lambda days: (ON - timedelta(days=days)).isoformat())
members = st.lists(
    st.fixed_dictionaries(
        {"name": st.sampled_from(["李强", "赵六", ""])},
        optional={
            key: st.one_of(st.none(), st.booleans())
            for key in ("is_admin_head", "is_partner", "is_relative_of_admin")
        },
    ),
    max_size=3,
)
VALUES = {
    "int": counts,
    "bool": st.booleans(),
    "date": dates,
    "str": st.just("王芳"),
    "list": members,
}
SPECIAL = {
    "member_congress.term_years": st.integers(2, 6),
    "workers_congress.term_years": st.integers(2, 6),
}


@st.composite
def cases(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(full union, full survey, partial union, partial survey); the partial ones lack some keys
    or have them null, and agree with the full ones on every answer they have.

    Half the cases start from the example of NORMS.md, which meets every rule, with up to three
    answers changed: surveys drawn field by field seldom meet a rule that reads many inputs (N1.1
    reads eight), so a rule that finds met while one of them is missing would seldom be caught.
    """
    union = {
        "union_type": draw(st.sampled_from(sorted(rules.UNION_TYPE_NAMES))),
        "ownership": draw(st.sampled_from(sorted(rules.OWNERSHIP_NAMES))),
        "park_level": draw(st.sampled_from(sorted(rules.PARK_LEVEL_NAMES))),
    }
    flat = {spec.path: draw(SPECIAL.get(spec.path, VALUES[spec.kind])) for spec in FIELDS}
    if draw(st.booleans()):
        changed = draw(st.sets(st.sampled_from([*UNION_FIELDS, *flat]), max_size=3))
        union.update(
            (key, value) for key, value in EXAMPLE.items() if key in union and key not in changed
        )
        flat.update(
            (key, value) for key, value in EXAMPLE.items() if key in flat and key not in changed
        )
    missing = draw(st.sets(st.sampled_from([*UNION_FIELDS, *flat]), max_size=12))
    blank = draw(st.booleans())  # null rather than absent
    partial_union = {key: value for key, value in union.items() if key not in missing}
    partial_flat = {path: value for path, value in flat.items() if path not in missing}
    if blank:
        partial_union.update(dict.fromkeys(set(UNION_FIELDS) & missing))
        partial_flat.update(dict.fromkeys(set(flat) & missing))
    return union, unflatten(flat), partial_union, unflatten(partial_flat)


class Recorder(dict):
    """A dict that notes every key a rule reads, as a dotted path, and whether it was missing."""

    def __init__(self, data: dict[str, Any], log: list[tuple[str, bool]], prefix: str = "") -> None:
        super().__init__(
            (key, Recorder(value, log, f"{prefix}{key}.") if isinstance(value, dict) else value)
            for key, value in data.items()
        )
        self._log = log
        self._prefix = prefix

    def get(self, key: str, default: Any = None) -> Any:
        value = super().get(key, default)
        self._log.append((f"{self._prefix}{key}", value is None))
        return value

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        self._log.append((f"{self._prefix}{key}", value is None))
        return value


def _track_of(rule_id: str) -> str:
    return SIX_HAVES if rule_id.startswith("H") else SIX_NORMS


@settings(max_examples=300, deadline=None)
@given(cases())
def test_it_never_finds_met_when_an_input_it_read_is_missing(case):
    _union, _survey, union, survey = case
    for rule_id, function in rules.RULE_FUNCTIONS.items():
        log: list[tuple[str, bool]] = []
        result = function(Recorder(union, log), Recorder(survey, log), ON)
        read = {path for path, _missing in log}
        missing = {path for path, was_missing in log if was_missing}

        declared = set(rules.RULES[rule_id].reads)
        groups = {path.split(".", 1)[0] for path in declared if "." in path}
        assert read <= declared | groups, rule_id
        if missing:
            assert result.outcome != MET, (rule_id, missing, result.evidence)


@settings(max_examples=300, deadline=None)
@given(cases())
def test_it_keeps_decided_outcomes_when_missing_answers_are_filled_in(case):
    """met, unmet and not_applicable never depend on a missing answer: whatever the missing
    answers turn out to be (here: the full survey), the outcome stays."""
    full_union, full_survey, union, survey = case
    for track in TRACKS:
        partial = assess(track, union, survey, ON)
        complete = assess(track, full_union, full_survey, ON)
        for before, after in zip(partial, complete, strict=True):
            if before.outcome in (MET, UNMET, NOT_APPLICABLE):
                assert after.outcome == before.outcome, (before, after)


@settings(max_examples=200, deadline=None)
@given(cases(), st.sampled_from(TRACKS))
def test_it_gives_every_rule_an_outcome_and_evidence(case, track):
    _full_union, _full_survey, union, survey = case
    findings = assess(track, union, survey, ON)

    assert [f.rule for f in findings] == [rule.id for rule in rules.RULES_BY_TRACK[track]]
    for finding in findings:
        assert finding.outcome in OUTCOMES
        assert finding.evidence.strip()
        assert finding.area == rules.RULES[finding.rule].area
        if not rules.RULES[finding.rule].counted:
            assert finding.outcome in (ADVISORY, NOT_APPLICABLE)
        else:
            assert finding.outcome != ADVISORY
        if finding.outcome == NEEDS_REVIEW:
            assert "需人工核实" in finding.evidence


@settings(max_examples=200, deadline=None)
@given(cases(), st.sampled_from(TRACKS))
def test_it_summarizes_consistently(case, track):
    _full_union, _full_survey, union, survey = case
    outcomes = {f.rule: f.outcome for f in assess(track, union, survey, ON)}
    summary = summarize(track, outcomes)

    assert 0 <= summary.met <= summary.counted
    if summary.score is not None:
        assert Decimal(0) <= summary.score <= Decimal(1)
    assert summary.meets_standard == all(summary.areas.values())
    assert len(summary.areas) == 6
    if summary.meets_standard:
        assert summary.unmet == [] and summary.needs_review == []
        assert summary.score in (None, Decimal("1.0000"))
    assert set(summary.unmet) == {r for r, o in outcomes.items() if o == UNMET}


@given(st.sampled_from(TRACKS), st.data())
def test_it_scores_any_outcomes_within_zero_and_one(track, data):
    outcomes = {
        rule.id: data.draw(st.sampled_from(OUTCOMES)) for rule in rules.RULES_BY_TRACK[track]
    }
    summary = summarize(track, outcomes)

    assert summary.score is None or Decimal(0) <= summary.score <= Decimal(1)
    assert summary.meets_standard == all(summary.areas.values())


ballots = st.integers(0, 10_000)


@given(ballots, ballots, ballots)
def test_it_grades_the_plurality_and_ties_go_lower(satisfied, basically, unsatisfied):
    grade = evaluation_grade(satisfied, basically, unsatisfied)
    if satisfied + basically + unsatisfied == 0:
        assert grade is None
        return
    counts = {"satisfied": satisfied, "basically_satisfied": basically, "unsatisfied": unsatisfied}
    top = max(counts.values())
    lowest_of_the_top = next(
        name for name in ("unsatisfied", "basically_satisfied", "satisfied") if counts[name] == top
    )
    assert grade == lowest_of_the_top


@given(st.integers(1, 1000), st.integers(1, 50))
def test_it_grades_a_tie_lower(count, scale):
    assert evaluation_grade(count, count, 0) == "basically_satisfied"
    assert evaluation_grade(0, count, count) == "unsatisfied"
    assert evaluation_grade(count * scale, count * scale, count * scale) == "unsatisfied"


@given(cases())
def test_it_flattens_and_unflattens_a_survey(case):
    _union, survey, _partial_union, _partial_survey = case
    assert unflatten(flatten(survey)) == survey
