"""The survey: its fields, and the one validation used by the web form, the API and Excel import.

The survey is the nested JSON of NORMS.md (``PUT /api/v1/cases/{id}/survey/``). Fields are named
by dotted path (``chair.elected_lawfully``, ``home.venue``); ``flatten``/``unflatten`` convert
between the nested shape and those paths (Excel columns, form fields).

What is required to submit is derived from the rules (``inspections.rules.Rule.reads``): a union
is asked for what the rules of its track read for its union type, and nothing else, so nothing is
typed for show (the plan warns against 填表多、材料多). A few inputs are only asked when another
answer makes them matter (``CONDITIONAL_FIELDS``).

Messages are English msgids translated through gettext (Django's own msgids where one fits, so the
zh-hans catalogue already has them). Evidence of the rules stays Chinese: it is data.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from inspections import rules

SCHEMA_VERSION = 1
NON_FIELD_ERRORS = "__all__"

INT, BOOL, DATE, STR, LIST = "int", "bool", "date", "str", "list"

SECTIONS: dict[str, Promise] = {
    "basic": _("Basic facts"),  # 基本情况
    "chair_committee": _("Chair and committee"),  # 主席与委员会
    "organisation": _("Organisation"),  # 组织机构
    "systems": _("Systems and mechanisms"),  # 制度机制
    "functions": _("Functions"),  # 履行职能
    "home": _("Workers' home"),  # 职工之家
    "performance": _("Performance"),  # 工作绩效
}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One survey field.

    ``path`` is dotted; ``kind`` one of int, bool, date, str, list; ``label`` a lazy translation
    (its Chinese wording for the annex is ``rules.FIELD_NAMES_ZH[path]``); ``section`` a key of
    ``SECTIONS``; ``required_for_submit`` True when every union type must answer it on at least one
    track, whatever its other answers (what a blank form marks as required); the exact set of one
    union is ``required_fields(union_type, track)`` with ``CONDITIONAL_FIELDS``. ``minimum``/``maximum``
    bound ints; ``max_length`` bounds strings and lists; ``past_only`` forbids dates after today.
    """

    path: str
    kind: str
    label: Promise
    section: str
    required_for_submit: bool = False
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    past_only: bool = True


_HEADCOUNT = {"minimum": 0, "maximum": 10_000_000}
_TALLY = {"minimum": 0, "maximum": 100_000}
_MEETINGS = {"minimum": 0, "maximum": 366}
_TERM = {"minimum": 1, "maximum": 10}

# (path, kind, label, section, bounds)
_FIELD_TABLE: tuple[tuple[str, str, Promise, str, dict[str, Any]], ...] = (
    ("employees", INT, _("Employees"), "basic", _HEADCOUNT),
    ("women_employees", INT, _("Women employees"), "basic", _HEADCOUNT),
    ("members", INT, _("Members"), "basic", _HEADCOUNT),
    ("women_members", INT, _("Women members"), "basic", _HEADCOUNT),
    ("production_teams", INT, _("Production (administrative) teams"), "basic", _TALLY),
    ("has_board", BOOL, _("Has a board of directors"), "basic", {}),
    ("has_supervisory_board", BOOL, _("Has a board of supervisors"), "basic", {}),
    ("chair.name", STR, _("Chair's name"), "chair_committee", {"max_length": 50}),
    ("chair.elected_on", DATE, _("Chair elected on"), "chair_committee", {}),
    ("chair.elected_lawfully", BOOL, _("Chair elected lawfully"), "chair_committee", {}),
    ("chair.full_time", BOOL, _("Chair works full time for the union"), "chair_committee", {}),
    (
        "chair.is_admin_head",
        BOOL,
        _("Chair is an administrative head of the employer"),
        "chair_committee",
        {},
    ),
    ("chair.is_partner", BOOL, _("Chair is a partner of the employer"), "chair_committee", {}),
    (
        "chair.is_relative_of_admin",
        BOOL,
        _("Chair is a close relative of an administrative head or partner"),
        "chair_committee",
        {},
    ),
    ("committee.exists", BOOL, _("A union committee exists"), "chair_committee", {}),
    (
        "committee.joint",
        BOOL,
        _("The committee is joint (regional or sectoral)"),
        "chair_committee",
        {},
    ),
    (
        "committee.members",
        LIST,
        _("Committee members"),
        "chair_committee",
        {"max_length": 200},
    ),
    ("full_time_staff", INT, _("Full-time union staff"), "chair_committee", _TALLY),
    ("coordinators", INT, _("Union coordinators"), "chair_committee", _TALLY),
    ("volunteer_team", BOOL, _("Volunteer team serving workers"), "chair_committee", {}),
    ("funds_review_committee", BOOL, _("Funds review committee"), "organisation", {}),
    ("women_committee", BOOL, _("Women workers' committee"), "organisation", {}),
    ("women_committee_member", BOOL, _("Women workers' committee member"), "organisation", {}),
    (
        "labor_law_supervision_committee",
        BOOL,
        _("Labour law supervision committee"),
        "organisation",
        {},
    ),
    ("labor_law_supervisor", BOOL, _("Labour law supervisor"), "organisation", {}),
    ("union_groups", INT, _("Union groups"), "organisation", _TALLY),
    (
        "group_leaders_elected",
        BOOL,
        _("Group leaders elected by the members"),
        "organisation",
        {},
    ),
    ("member_congress.term_years", INT, _("Members' congress: term (years)"), "systems", _TERM),
    (
        "member_congress.meetings_last_year",
        INT,
        _("Members' congress: meetings last year"),
        "systems",
        _MEETINGS,
    ),
    ("workers_congress.term_years", INT, _("Workers' congress: term (years)"), "systems", _TERM),
    (
        "workers_congress.meetings_last_year",
        INT,
        _("Workers' congress: meetings last year"),
        "systems",
        _MEETINGS,
    ),
    (
        "workers_congress.combined_with_member_congress",
        BOOL,
        _("Workers' congress held in place of the members' congress"),
        "systems",
        {},
    ),
    (
        "collective_consultation_system",
        BOOL,
        _("Collective consultation and contract system"),
        "systems",
        {},
    ),
    (
        "labor_law_supervision_system",
        BOOL,
        _("Labour law supervision system"),
        "systems",
        {},
    ),
    ("funds_review_system", BOOL, _("Funds review system"), "systems", {}),
    ("finance_system", BOOL, _("Financial management system"), "systems", {}),
    ("funds.independent_account", BOOL, _("Union funds in an account of their own"), "systems", {}),
    ("collective_contract.signed", BOOL, _("Collective contract signed"), "functions", {}),
    (
        "collective_contract.expires_on",
        DATE,
        _("Collective contract expires on"),
        "functions",
        {"past_only": False},
    ),
    ("open_affairs", BOOL, _("Open factory affairs"), "functions", {}),
    ("worker_director", BOOL, _("Worker director"), "functions", {}),
    ("worker_supervisor", BOOL, _("Worker supervisor"), "functions", {}),
    ("activities_last_year", INT, _("Activities for workers last year"), "functions", _TALLY),
    (
        "skills_activities_last_year",
        INT,
        _("Skills contests, suggestions and training last year"),
        "functions",
        _TALLY,
    ),
    (
        "culture_activities_last_year",
        INT,
        _("Cultural and sports activities last year"),
        "functions",
        _TALLY,
    ),
    ("home.venue", BOOL, _("Activity venue"), "home", {}),
    ("home.signage", BOOL, _("Union sign displayed"), "home", {}),
    ("home.leaders_board", BOOL, _("Union leadership made public"), "home", {}),
    ("home.sports_facilities", BOOL, _("Cultural and sports facilities"), "home", {}),
    ("home.library", BOOL, _("Workers' library"), "home", {}),
    ("home.rules", BOOL, _("Management rules"), "home", {}),
    ("home.activity_plan", BOOL, _("Activity plan"), "home", {}),
    ("home.funds", BOOL, _("Funding secured"), "home", {}),
    ("home.staff", BOOL, _("Staff in charge"), "home", {}),
    ("home.office", BOOL, _("Permanent union office"), "home", {}),
    ("home.equipment", BOOL, _("Office equipment"), "home", {}),
    ("roster_updated_on", DATE, _("Member roster last updated on"), "home", {}),
    ("member_registration_forms", BOOL, _("Member registration forms kept"), "home", {}),
    ("archives_complete", BOOL, _("Union archives complete"), "home", {}),
    ("paper_archives", BOOL, _("Congress and contract papers archived"), "home", {}),
    ("goal_management", BOOL, _("Goal management system"), "performance", {}),
    ("regular_study", BOOL, _("Regular review of union work"), "performance", {}),
    ("work_briefing", BOOL, _("Work briefings"), "performance", {}),
    ("member_evaluation.held_on", DATE, _("Member evaluation held on"), "performance", {}),
    (
        "member_evaluation.written",
        BOOL,
        _("Member evaluation by written ballot"),
        "performance",
        {},
    ),
    (
        "member_evaluation.satisfied",
        INT,
        _("Member evaluation: satisfied ballots"),
        "performance",
        _HEADCOUNT,
    ),
    (
        "member_evaluation.basically_satisfied",
        INT,
        _("Member evaluation: basically satisfied ballots"),
        "performance",
        _HEADCOUNT,
    ),
    (
        "member_evaluation.unsatisfied",
        INT,
        _("Member evaluation: unsatisfied ballots"),
        "performance",
        _HEADCOUNT,
    ),
)

# Survey fields each rule may read (the union record's fields are not survey fields).
_UNION_FIELDS = frozenset({"union_type", "ownership", "park_level", "founded_on"})
_RULE_FIELDS: dict[str, frozenset[str]] = {
    rule.id: frozenset(rule.reads) - _UNION_FIELDS for rule in rules.RULES.values()
}


def _rule_applies(rule: rules.Rule, union_type: str | None) -> bool:
    if rule.applies_to is None:
        return True
    return union_type is not None and union_type in rule.applies_to


# The plan's census (调查摸底: "了解工会组织信息、工会干部队伍和工会会员人数等情况") asks every union for
# its size and its chair, whether or not a rule reads them.
CENSUS_FIELDS = frozenset(
    {"employees", "women_employees", "members", "women_members", "chair.name"}
)


def required_fields(union_type: str | None, track: str | None = None) -> set[str]:
    """Survey paths a union of ``union_type`` must answer before it submits.

    ``CENSUS_FIELDS``, and the inputs of the counted rules of ``track`` (both tracks when ``None``)
    that can apply to that union type; with ``union_type`` unknown, those of the rules that apply
    to every union. Advisory rules require nothing. ``CONDITIONAL_FIELDS`` are then waived when
    their condition is known not to hold (``validate_survey`` does that).
    """
    tracks = rules.TRACKS if track is None else (track,)
    required: set[str] = set(CENSUS_FIELDS)
    for name in tracks:
        for rule in rules.RULES_BY_TRACK[name]:
            if rule.counted and _rule_applies(rule, union_type):
                required |= _RULE_FIELDS[rule.id]
    return required


def _below_25(field: str) -> Callable[[Mapping[str, Any]], bool | None]:
    def condition(flat: Mapping[str, Any]) -> bool | None:
        value = flat.get(field)
        return None if value is None else value < 25

    return condition


def _is_true(field: str) -> Callable[[Mapping[str, Any]], bool | None]:
    return lambda flat: flat.get(field)


def _not_false(field: str) -> Callable[[Mapping[str, Any]], bool | None]:
    return lambda flat: None if flat.get(field) is None else flat.get(field) is not False


def _at_least(field: str, minimum: int) -> Callable[[Mapping[str, Any]], bool | None]:
    def condition(flat: Mapping[str, Any]) -> bool | None:
        value = flat.get(field)
        return None if value is None else value >= minimum

    return condition


def _all(
    *conditions: Callable[[Mapping[str, Any]], bool | None],
) -> Callable[[Mapping[str, Any]], bool | None]:
    def condition(flat: Mapping[str, Any]) -> bool | None:
        results = [check(flat) for check in conditions]
        if False in results:
            return False
        return None if None in results else True

    return condition


# Fields the rules read only when another answer makes them matter: condition(flat cleaned data)
# -> True (required), False (waived) or None (unknown: required, so one submission names every
# missing answer).
_LARGE_ENTERPRISE = _at_least("employees", 200)
CONDITIONAL_FIELDS: dict[str, Callable[[Mapping[str, Any]], bool | None]] = {
    "women_committee_member": _below_25("women_employees"),
    "labor_law_supervisor": _below_25("members"),
    "union_groups": _at_least("production_teams", 1),
    "group_leaders_elected": _at_least("production_teams", 1),
    "worker_director": _is_true("has_board"),
    "worker_supervisor": _is_true("has_supervisory_board"),
    "collective_contract.expires_on": _is_true("collective_contract.signed"),
    "chair.is_admin_head": _LARGE_ENTERPRISE,
    "chair.is_partner": _LARGE_ENTERPRISE,
    "chair.is_relative_of_admin": _LARGE_ENTERPRISE,
    "committee.members": _all(_LARGE_ENTERPRISE, _not_false("committee.exists")),
    "committee.joint": _all(_at_least("members", 25), _not_false("committee.exists")),
}

_ALWAYS_REQUIRED = required_fields(None) | CENSUS_FIELDS
FIELDS: list[FieldSpec] = [
    FieldSpec(
        path=path,
        kind=kind,
        label=label,
        section=section,
        required_for_submit=path in _ALWAYS_REQUIRED and path not in CONDITIONAL_FIELDS,
        **bounds,
    )
    for path, kind, label, section, bounds in _FIELD_TABLE
]
FIELDS_BY_PATH: dict[str, FieldSpec] = {spec.path: spec for spec in FIELDS}
_GROUPS = frozenset(path.rsplit(".", 1)[0] for path in FIELDS_BY_PATH if "." in path)
_MEMBER_FLAGS = ("is_admin_head", "is_partner", "is_relative_of_admin")
_MEMBER_KEYS = frozenset({"name", *_MEMBER_FLAGS})

# Carried over to next campaign's survey: what describes the union rather than last year's work.
# Not carried: last year's counts of meetings and activities, the member evaluation (held anew
# every year), and the roster date (refreshed every half year); they must be answered afresh.
NOT_CARRIED_OVER = frozenset(
    {
        "member_congress.meetings_last_year",
        "workers_congress.meetings_last_year",
        "activities_last_year",
        "skills_activities_last_year",
        "culture_activities_last_year",
        "roster_updated_on",
        "member_evaluation.held_on",
        "member_evaluation.written",
        "member_evaluation.satisfied",
        "member_evaluation.basically_satisfied",
        "member_evaluation.unsatisfied",
    }
)


# --- nested <-> dotted ----------------------------------------------------------------------------


def flatten(data: Mapping[str, Any]) -> dict[str, Any]:
    """Nested dicts to dotted paths: ``{"chair": {"name": "王芳"}}`` → ``{"chair.name": "王芳"}``.

    Lists (``committee.members``) stay values. An empty group flattens to nothing.
    """
    flat: dict[str, Any] = {}

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for key, value in node.items():
            path = f"{prefix}{key}"
            if isinstance(value, Mapping):
                walk(value, f"{path}.")
            else:
                flat[path] = value

    walk(data, "")
    return flat


def unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted paths back to nested dicts; ``ValueError`` when a path is both a value and a group."""
    nested: dict[str, Any] = {}
    for path, value in flat.items():
        *groups, leaf = path.split(".")
        node = nested
        for group in groups:
            child = node.setdefault(group, {})
            if not isinstance(child, dict):
                raise ValueError(f"{path!r} conflicts with a value at {group!r}")
            node = child
        if isinstance(node.get(leaf), dict):
            raise ValueError(f"{path!r} conflicts with a group of the same name")
        node[leaf] = value
    return nested


def prefill_from(previous: Mapping[str, Any]) -> dict[str, Any]:
    """Last campaign's survey as the start of this one (nested).

    Keeps every known field except ``NOT_CARRIED_OVER``; drops unknown keys (an older schema) and
    null answers. The collective contract's expiry date is kept: the rule judges it on the new
    assessment date.
    """
    flat = flatten(previous)
    kept = {
        path: value
        for path, value in flat.items()
        if path in FIELDS_BY_PATH and path not in NOT_CARRIED_OVER and value is not None
    }
    if "committee.members" in kept:
        kept["committee.members"] = [
            dict(member) if isinstance(member, Mapping) else member
            for member in kept["committee.members"]
        ]
    return unflatten(kept)


# --- validation -----------------------------------------------------------------------------------


class _Invalid(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


def _clean_int(value: Any, spec: FieldSpec) -> int:
    if isinstance(value, bool):
        raise _Invalid(gettext("Enter a whole number."))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise _Invalid(gettext("Enter a whole number."))
    if spec.minimum is not None and value < spec.minimum:
        raise _Invalid(
            gettext("Ensure this value is greater than or equal to %(limit_value)s.")
            % {"limit_value": spec.minimum}
        )
    if spec.maximum is not None and value > spec.maximum:
        raise _Invalid(
            gettext("Ensure this value is less than or equal to %(limit_value)s.")
            % {"limit_value": spec.maximum}
        )
    return value


def _clean_bool(value: Any) -> bool:
    if value is True or value is False:
        return value
    raise _Invalid(gettext("Must be true or false."))


def _clean_date(value: Any, today: date, past_only: bool) -> str:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        text = value.strip()
        if len(text) != 10 or text[4] != "-" or text[7] != "-":
            raise _Invalid(gettext("Enter a valid date."))
        try:
            value = date.fromisoformat(text)
        except ValueError:
            raise _Invalid(gettext("Enter a valid date.")) from None
    if not isinstance(value, date):
        raise _Invalid(gettext("Enter a valid date."))
    if past_only and value > today:
        raise _Invalid(gettext("This date is in the future."))
    return value.isoformat()


def _clean_str(value: Any, spec: FieldSpec) -> str | None:
    if not isinstance(value, str):
        raise _Invalid(gettext("Enter text."))
    text = value.strip()
    if spec.max_length is not None and len(text) > spec.max_length:
        raise _Invalid(
            gettext("Ensure this value has at most %(limit_value)s characters.")
            % {"limit_value": spec.max_length}
        )
    return text or None


def _clean_members(
    value: Any, spec: FieldSpec, errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """Committee members: ``[{"name", "is_admin_head", "is_partner", "is_relative_of_admin"}]``.

    A name is required; a flag may be null (unknown) like any other answer.
    """
    if not isinstance(value, list):
        raise _Invalid(gettext("Enter a list of values."))
    if spec.max_length is not None and len(value) > spec.max_length:
        raise _Invalid(
            gettext("Ensure this list has at most %(limit_value)s items.")
            % {"limit_value": spec.max_length}
        )
    cleaned = []
    for index, member in enumerate(value):
        path = f"{spec.path}.{index}"
        if not isinstance(member, Mapping):
            _add(errors, path, gettext("Must be an object."))
            continue
        item: dict[str, Any] = {}
        for key in member:
            if key not in _MEMBER_KEYS:
                _add(errors, f"{path}.{key}", gettext("Unknown field."))
        name = member.get("name")
        if not isinstance(name, str) or not name.strip():
            _add(errors, f"{path}.name", gettext("This field is required."))
        elif len(name.strip()) > 50:
            _add(
                errors,
                f"{path}.name",
                gettext("Ensure this value has at most %(limit_value)s characters.")
                % {"limit_value": 50},
            )
        else:
            item["name"] = name.strip()
        for flag in _MEMBER_FLAGS:
            flag_value = member.get(flag)
            if flag_value is None or flag_value is True or flag_value is False:
                item[flag] = flag_value
            else:
                _add(errors, f"{path}.{flag}", gettext("Must be true or false."))
        cleaned.append(item)
    return cleaned


def _add(errors: dict[str, list[str]], path: str, message: str) -> None:
    errors.setdefault(path, []).append(message)


def _clean_value(value: Any, spec: FieldSpec, today: date, errors: dict[str, list[str]]) -> Any:
    if spec.kind == INT:
        return _clean_int(value, spec)
    if spec.kind == BOOL:
        return _clean_bool(value)
    if spec.kind == DATE:
        return _clean_date(value, today, spec.past_only)
    if spec.kind == STR:
        return _clean_str(value, spec)
    return _clean_members(value, spec, errors)


def _walk(
    node: Mapping[str, Any],
    prefix: str,
    today: date,
    flat: dict[str, Any],
    errors: dict[str, list[str]],
) -> None:
    for key, value in node.items():
        path = f"{prefix}{key}" if isinstance(key, str) else f"{prefix}{key!r}"
        if not isinstance(key, str) or "." in key:
            _add(errors, path, gettext("Unknown field."))  # dotted paths are for flatten()
            continue
        if path in _GROUPS:
            if value is None:
                continue
            if not isinstance(value, Mapping):
                _add(errors, path, gettext("Must be an object."))
                continue
            _walk(value, f"{path}.", today, flat, errors)
            continue
        spec = FIELDS_BY_PATH.get(path)
        if spec is None:
            _add(errors, path, gettext("Unknown field."))
            continue
        if value is None:
            flat[path] = None
            continue
        try:
            flat[path] = _clean_value(value, spec, today, errors)
        except _Invalid as invalid:
            _add(errors, path, invalid.message)


def _check_consistency(flat: Mapping[str, Any], errors: dict[str, list[str]]) -> None:
    """Cross-field checks; each runs only when the fields it compares are present and valid."""

    def compare(smaller: str, larger: str, message: str) -> None:
        low, high = flat.get(smaller), flat.get(larger)
        if low is not None and high is not None and low > high:
            _add(errors, smaller, message % {"value": low, "limit": high})

    compare(
        "women_employees",
        "employees",
        gettext("%(value)s women employees exceed the %(limit)s employees."),
    )
    compare("members", "employees", gettext("%(value)s members exceed the %(limit)s employees."))
    compare(
        "women_members",
        "members",
        gettext("%(value)s women members exceed the %(limit)s members."),
    )
    compare(
        "women_members",
        "women_employees",
        gettext("%(value)s women members exceed the %(limit)s women employees."),
    )
    ballots = [
        flat.get(f"member_evaluation.{key}")
        for key in ("satisfied", "basically_satisfied", "unsatisfied")
    ]
    members = flat.get("members")
    if members is not None and any(count is not None for count in ballots):
        total = sum(count for count in ballots if count is not None)
        if total > members:
            _add(
                errors,
                "member_evaluation",
                gettext("%(ballots)s ballots exceed the %(members)s members.")
                % {"ballots": total, "members": members},
            )
    exists = flat.get("committee.exists")
    if exists is False and flat.get("committee.joint") is True:
        _add(errors, "committee.joint", gettext("There is no committee to be joint."))
    if exists is False and flat.get("committee.members"):
        _add(errors, "committee.members", gettext("There is no committee to have members."))
    if (
        flat.get("collective_contract.signed") is False
        and flat.get("collective_contract.expires_on") is not None
    ):
        _add(
            errors,
            "collective_contract.expires_on",
            gettext("No collective contract is signed, so it has no expiry date."),
        )


def _check_complete(
    flat: Mapping[str, Any],
    errors: dict[str, list[str]],
    union_type: str | None,
    track: str | None,
) -> None:
    required = required_fields(union_type, track)
    for spec in FIELDS:
        path = spec.path
        if path not in required or flat.get(path) is not None or path in errors:
            continue
        if "." in path and path.rsplit(".", 1)[0] in errors:
            continue  # its group is not an object: that error says enough
        condition = CONDITIONAL_FIELDS.get(path)
        if condition is not None and condition(flat) is False:
            continue
        _add(errors, path, gettext("This field is required."))


def validate_survey(
    data: Mapping[str, Any],
    *,
    today: date,
    complete: bool = False,
    union_type: str | None = None,
    track: str | None = None,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Check a survey; return ``(cleaned, errors)``.

    ``cleaned`` is the nested survey, JSON-ready (dates as ISO strings, names stripped), holding
    the fields that passed; only use it when ``errors`` is empty. ``errors`` maps dotted paths
    (``chair.elected_on``, ``committee.members.0.name``, a group such as ``member_evaluation`` for
    a check over several of its fields, ``__all__`` when the survey is not an object) to translated
    messages. Null means "not known yet" and is kept; absent keys stay absent.

    Checks: types (whole numbers within bounds, strict true/false, ``YYYY-MM-DD`` dates), unknown
    keys, dates after ``today`` (the collective contract's expiry excepted), women employees ≤
    employees, members ≤ employees, women members ≤ members and ≤ women employees, ballots ≤
    members, no joint flag or member list without a committee, no expiry date for an unsigned
    contract. With ``complete=True`` (submission), every field of ``required_fields(union_type,
    track)`` must be answered, ``CONDITIONAL_FIELDS`` only when their condition holds or is unknown.
    """
    errors: dict[str, list[str]] = {}
    if not isinstance(data, Mapping):
        return {}, {NON_FIELD_ERRORS: [gettext("Must be an object.")]}
    flat: dict[str, Any] = {}
    _walk(data, "", today, flat, errors)
    _check_consistency(flat, errors)
    if complete:
        _check_complete(flat, errors, union_type, track)
    return unflatten(flat), errors


# --- the example of NORMS.md --------------------------------------------------------------------

EXAMPLE_UNION: Mapping[str, Any] = MappingProxyType(
    {"union_type": "enterprise", "ownership": "private", "park_level": None}
)
EXAMPLE_ASSESSED_ON = date(2022, 9, 1)
_EXAMPLE_SURVEY_JSON = """
{
  "employees": 320, "women_employees": 140, "members": 300, "women_members": 130,
  "production_teams": 12, "union_groups": 12, "group_leaders_elected": true,
  "has_board": true, "has_supervisory_board": true,
  "chair": {"name": "王芳", "elected_on": "2021-03-15", "elected_lawfully": true, "full_time": true,
            "is_admin_head": false, "is_partner": false, "is_relative_of_admin": false},
  "committee": {"exists": true, "joint": false, "members": [
      {"name": "李强", "is_admin_head": false, "is_partner": false, "is_relative_of_admin": false}]},
  "funds_review_committee": true,
  "women_committee": true, "women_committee_member": false,
  "labor_law_supervision_committee": true, "labor_law_supervisor": false,
  "coordinators": 0, "volunteer_team": false, "full_time_staff": 2,
  "member_congress": {"term_years": 5, "meetings_last_year": 1},
  "workers_congress": {"term_years": 5, "meetings_last_year": 1, "combined_with_member_congress": false},
  "collective_contract": {"signed": true, "expires_on": "2024-06-30"},
  "collective_consultation_system": true, "labor_law_supervision_system": true,
  "funds_review_system": true, "finance_system": true,
  "open_affairs": true, "worker_director": true, "worker_supervisor": true,
  "activities_last_year": 6, "skills_activities_last_year": 2, "culture_activities_last_year": 3,
  "funds": {"independent_account": true},
  "home": {"venue": true, "signage": true, "leaders_board": true, "sports_facilities": true,
           "library": true, "rules": true, "activity_plan": true, "funds": true, "staff": true,
           "office": true, "equipment": true},
  "roster_updated_on": "2022-07-01", "member_registration_forms": true,
  "archives_complete": true, "paper_archives": true,
  "goal_management": true, "regular_study": true, "work_briefing": true,
  "member_evaluation": {"held_on": "2022-06-20", "written": true,
                        "satisfied": 210, "basically_satisfied": 70, "unsatisfied": 5}
}
"""


def example_survey() -> dict[str, Any]:
    """A fresh copy of the survey of NORMS.md: a private enterprise (``EXAMPLE_UNION``) assessed on
    ``EXAMPLE_ASSESSED_ON`` meets every six_norms rule with it. For tests, seed data, API docs."""
    return json.loads(_EXAMPLE_SURVEY_JSON)
