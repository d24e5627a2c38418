"""Validation of the survey: the one check behind the web form, the API and Excel import."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.utils import translation

from inspections import rules
from inspections.rules import SIX_HAVES, SIX_NORMS
from inspections.survey import (
    CONDITIONAL_FIELDS,
    FIELDS,
    FIELDS_BY_PATH,
    NON_FIELD_ERRORS,
    NOT_CARRIED_OVER,
    SECTIONS,
    example_survey,
    flatten,
    prefill_from,
    required_fields,
    unflatten,
    validate_survey,
)

TODAY = date(2022, 9, 1)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def changed(changes: dict[str, object], base: dict | None = None) -> dict:
    """The example survey with dotted ``changes`` applied (``...`` removes the key)."""
    flat = flatten(example_survey() if base is None else base)
    for path, value in changes.items():
        if value is ...:
            flat.pop(path, None)
        else:
            flat[path] = value
    return unflatten(flat)


def errors_of(data: object, **kwargs: object) -> dict[str, list[str]]:
    return validate_survey(data, today=TODAY, **kwargs)[1]  # type: ignore[arg-type]


def test_it_accepts_the_norms_example_as_complete_and_returns_it_unchanged():
    cleaned, errors = validate_survey(
        example_survey(), today=TODAY, complete=True, union_type="enterprise", track=SIX_NORMS
    )
    assert errors == {}
    assert cleaned == example_survey()


def test_it_accepts_a_draft_with_unknown_answers():
    cleaned, errors = validate_survey({"members": None, "home": {"venue": True}}, today=TODAY)
    assert errors == {}
    assert cleaned == {"members": None, "home": {"venue": True}}


def test_it_rejects_unknown_keys_by_their_dotted_path():
    data = changed({"pool": True, "home.pool": True, "chair.age": 50})
    data["committee"]["members"][0]["age"] = 40

    errors = errors_of(data)
    assert set(errors) == {"pool", "home.pool", "chair.age", "committee.members.0.age"}
    assert errors["home.pool"] == ["Unknown field."]


def test_it_rejects_a_dotted_key_given_flat():
    assert errors_of({"chair.name": "王芳"}) == {"chair.name": ["Unknown field."]}


@pytest.mark.parametrize("value", ["12", -1, True, 1.5, {"n": 3}, [3]])
def test_it_wants_whole_numbers_of_zero_or_more(value):
    assert "members" in errors_of(changed({"members": value}))


def test_it_takes_a_whole_float_from_a_spreadsheet_as_a_number():
    cleaned, errors = validate_survey(changed({"members": 300.0}), today=TODAY)
    assert errors == {}
    assert cleaned["members"] == 300 and type(cleaned["members"]) is int


@pytest.mark.parametrize("value", ["true", 1, 0, "是"])
def test_it_wants_strict_booleans(value):
    errors = errors_of(changed({"home.venue": value}))
    assert errors == {"home.venue": ["Must be true or false."]}


@pytest.mark.parametrize("value", ["2022/07/01", "2022-02-30", "20220701", 20220701, "2022-7-1"])
def test_it_wants_iso_dates(value):
    assert errors_of(changed({"roster_updated_on": value})) == {
        "roster_updated_on": ["Enter a valid date."]
    }


def test_it_takes_dates_and_datetimes_and_returns_iso_strings():
    data = changed(
        {"roster_updated_on": date(2022, 7, 1), "member_evaluation.held_on": datetime(2022, 6, 20)}
    )
    cleaned, errors = validate_survey(data, today=TODAY)
    assert errors == {}
    assert cleaned["roster_updated_on"] == "2022-07-01"
    assert cleaned["member_evaluation"]["held_on"] == "2022-06-20"


@pytest.mark.parametrize(
    "path", ["roster_updated_on", "member_evaluation.held_on", "chair.elected_on"]
)
def test_it_rejects_dates_in_the_future(path):
    assert errors_of(changed({path: "2022-09-02"})) == {path: ["This date is in the future."]}
    assert errors_of(changed({path: "2022-09-01"})) == {}


def test_it_lets_a_collective_contract_expire_in_the_future():
    assert errors_of(changed({"collective_contract.expires_on": "2030-01-01"})) == {}


@pytest.mark.parametrize(
    ("value", "ok"), [(0, False), (1, True), (3, True), (10, True), (11, False)]
)
def test_it_wants_a_sensible_term(value, ok):
    errors = errors_of(changed({"member_congress.term_years": value}))
    assert ("member_congress.term_years" not in errors) is ok


def test_it_bounds_meetings_a_year():
    errors = errors_of(changed({"workers_congress.meetings_last_year": 367}))
    assert errors == {
        "workers_congress.meetings_last_year": ["Ensure this value is less than or equal to 366."]
    }


@pytest.mark.parametrize(
    ("changes", "path", "message"),
    [
        (
            {"women_employees": 321},
            "women_employees",
            "321 women employees exceed the 320 employees.",
        ),
        ({"members": 321}, "members", "321 members exceed the 320 employees."),
        (
            {"women_members": 301, "women_employees": 320},
            "women_members",
            "301 women members exceed the 300 members.",
        ),
        (
            {"women_members": 141, "women_employees": 140},
            "women_members",
            "141 women members exceed the 140 women employees.",
        ),
        (
            {"member_evaluation.unsatisfied": 21},
            "member_evaluation",
            "301 ballots exceed the 300 members.",
        ),
        (
            {"committee.exists": False, "committee.members": [], "committee.joint": True},
            "committee.joint",
            "There is no committee to be joint.",
        ),
        (
            {"committee.exists": False, "committee.joint": False},
            "committee.members",
            "There is no committee to have members.",
        ),
        (
            {"collective_contract.signed": False},
            "collective_contract.expires_on",
            "No collective contract is signed, so it has no expiry date.",
        ),
    ],
)
def test_it_checks_fields_against_each_other(changes, path, message):
    assert errors_of(changed(changes)) == {path: [message]}


@pytest.mark.parametrize(
    "changes",
    [
        {"women_employees": 320, "members": 320, "women_members": 140},
        {"member_evaluation.unsatisfied": 20},  # 300 ballots for 300 members
        {"committee.exists": False, "committee.joint": False, "committee.members": []},
        {"collective_contract.signed": False, "collective_contract.expires_on": None},
    ],
)
def test_it_accepts_values_at_the_edge_of_the_cross_checks(changes):
    assert errors_of(changed(changes)) == {}


def test_it_checks_each_committee_member():
    members = [
        {"name": "", "is_admin_head": False},
        {"name": "赵六", "is_partner": "yes"},
        "李强",
    ]
    errors = errors_of(changed({"committee.members": members}))
    assert errors == {
        "committee.members.0.name": ["This field is required."],
        "committee.members.1.is_partner": ["Must be true or false."],
        "committee.members.2": ["Must be an object."],
    }


def test_it_names_a_group_that_is_not_an_object():
    data = example_survey()
    data["chair"] = "王芳"
    errors = errors_of(data, complete=True, union_type="enterprise")
    assert errors == {"chair": ["Must be an object."]}


def test_it_rejects_a_survey_that_is_not_an_object():
    assert errors_of([1, 2]) == {NON_FIELD_ERRORS: ["Must be an object."]}


# --- completeness -------------------------------------------------------------------------------


def test_it_requires_every_field_the_rules_read_on_submit():
    errors = errors_of({}, complete=True, union_type="enterprise", track=SIX_NORMS)

    assert set(errors) == required_fields("enterprise", SIX_NORMS)
    assert errors["home.venue"] == ["This field is required."]


def test_it_counts_null_as_unanswered_on_submit():
    errors = errors_of(changed({"home.venue": None}), complete=True, union_type="enterprise")
    assert errors == {"home.venue": ["This field is required."]}


def test_it_asks_six_haves_unions_only_what_six_haves_reads():
    required = required_fields("enterprise", SIX_HAVES)

    assert "chair.elected_lawfully" in required and "funds.independent_account" in required
    assert "home.venue" not in required and "collective_contract.signed" not in required
    assert "members" in required  # the census asks every union


def test_it_asks_each_union_type_only_what_applies_to_it():
    social = required_fields("social_org", SIX_NORMS)
    park = required_fields("industrial_park", SIX_NORMS)
    enterprise = required_fields("enterprise", SIX_NORMS)

    assert "collective_contract.signed" in enterprise
    assert "collective_contract.signed" not in social
    assert "workers_congress.term_years" in required_fields("institution", SIX_NORMS)
    assert {"coordinators", "volunteer_team"} <= park
    assert "full_time_staff" not in enterprise  # advisory only
    assert required_fields(None, SIX_NORMS) <= social


@pytest.mark.parametrize(
    ("field", "waiving", "needing"),
    [
        ("women_committee_member", {"women_employees": 25}, {"women_employees": 24}),
        ("labor_law_supervisor", {"members": 25}, {"members": 24}),
        ("union_groups", {"production_teams": 0}, {"production_teams": 1}),
        ("group_leaders_elected", {"production_teams": 0}, {"production_teams": 1}),
        ("worker_director", {"has_board": False}, {"has_board": True}),
        ("worker_supervisor", {"has_supervisory_board": False}, {"has_supervisory_board": True}),
        (
            "collective_contract.expires_on",
            {"collective_contract.signed": False},
            {"collective_contract.signed": True},
        ),
        ("chair.is_partner", {"employees": 199}, {"employees": 200}),
        ("committee.members", {"employees": 199}, {"employees": 200}),
        ("committee.members", {"committee.exists": False}, {"committee.exists": True}),
        ("committee.joint", {"members": 24}, {"members": 25}),
        ("committee.joint", {"committee.exists": False}, {"committee.exists": True}),
    ],
)
def test_it_waives_a_field_its_condition_makes_irrelevant(field, waiving, needing):
    kwargs = {"complete": True, "union_type": "enterprise", "track": SIX_NORMS}
    assert field not in errors_of(changed({**waiving, field: ...}), **kwargs)
    assert errors_of(changed({**needing, field: ...}), **kwargs)[field] == [
        "This field is required."
    ]


def test_it_requires_a_conditional_field_when_its_condition_is_unknown():
    errors = errors_of(
        changed({"has_board": None, "worker_director": ...}),
        complete=True,
        union_type="enterprise",
    )
    assert set(errors) == {"has_board", "worker_director"}


def test_it_translates_its_messages():
    with translation.override("zh-hans"):
        errors = errors_of(changed({"home.venue": ...}), complete=True, union_type="enterprise")
    (message,) = errors["home.venue"]
    assert "必填" in message


# --- the table of fields ------------------------------------------------------------------------


def test_it_knows_every_field_the_rules_read():
    union_fields = {"union_type", "ownership", "park_level", "founded_on"}
    for rule in rules.RULES.values():
        assert set(rule.reads) - union_fields <= set(FIELDS_BY_PATH), rule.id
    assert set(CONDITIONAL_FIELDS) <= set(FIELDS_BY_PATH)


def test_it_describes_every_field():
    assert len(FIELDS) == len(FIELDS_BY_PATH)
    assert set(flatten(example_survey())) == set(FIELDS_BY_PATH)
    for spec in FIELDS:
        assert spec.kind in {"int", "bool", "date", "str", "list"}
        assert spec.section in SECTIONS
        assert str(spec.label)
        assert spec.path in rules.FIELD_NAMES_ZH
    required = {spec.path for spec in FIELDS if spec.required_for_submit}
    assert {"members", "chair.elected_lawfully", "home.venue"} <= required
    assert "collective_contract.signed" not in required


# --- nested <-> dotted, prefill ---------------------------------------------------------------


def test_it_flattens_to_dotted_paths_and_back():
    flat = flatten(example_survey())
    assert flat["chair.elected_lawfully"] is True
    assert flat["committee.members"][0]["name"] == "李强"
    assert unflatten(flat) == example_survey()


def test_it_refuses_to_unflatten_a_path_that_is_both_value_and_group():
    with pytest.raises(ValueError):
        unflatten({"chair": "王芳", "chair.name": "王芳"})
    with pytest.raises(ValueError):
        unflatten({"chair.name": "王芳", "chair": "王芳"})


def test_it_prefills_what_describes_the_union_and_not_last_years_work():
    previous = changed({"home.pool": True, "home.venue": None})
    prefill = prefill_from(previous)
    flat = flatten(prefill)

    assert flat["chair.name"] == "王芳" and flat["members"] == 300
    assert flat["collective_contract.expires_on"] == "2024-06-30"
    assert not set(flat) & NOT_CARRIED_OVER
    assert "member_evaluation" not in prefill and "roster_updated_on" not in prefill
    assert "home.pool" not in flat and "home.venue" not in flat
    assert errors_of(prefill) == {}


def test_it_does_not_share_lists_with_the_previous_survey():
    previous = example_survey()
    prefill = prefill_from(previous)
    prefill["committee"]["members"][0]["name"] = "张三"
    assert previous["committee"]["members"][0]["name"] == "李强"
