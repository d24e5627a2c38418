"""The standards of NORMS.md as pure functions: survey data and a date in, findings out.

No database, no ORM, no settings: a rule reads the union's record (``union_type``, ``ownership``,
``park_level``) and the survey (the nested JSON shape of NORMS.md) and returns a ``Finding`` whose
``evidence`` names, in Chinese, the values it was decided on. Evidence is data shown to county
officers as it is; it is not translated.

How missing data is handled (NORMS.md: "a missing input gives needs_review, never a silent met"):

1. An input is missing when its key is absent, null, or of the wrong type (a string where a count is
   expected, a negative count, an unparsable date).
2. ``met`` only when every input the rule reads for this union is present and the requirement holds.
   "Reads" means the inputs that decide this union's case: the condition inputs (union type,
   members, women employees, production teams, board...) and the inputs of the branch they select.
   Inputs of a branch that does not apply are not read (``women_committee_member`` is not read when
   women employees ≥ 25); ``Rule.reads`` lists every input a rule may read.
3. ``unmet`` only when a present input makes the requirement fail whatever the missing inputs turn
   out to be (one requirement of several is known to fail). It is never decided by a missing input.
4. Otherwise ``needs_review``, also for present but undecidable data: a date after the assessment
   date, a member evaluation without a single ballot.
5. ``not_applicable`` when the rule's condition is known not to hold; a conditional rule whose
   ``union_type`` is missing gives ``needs_review``. Advisory rules (N1.3, N1.5, "may" clauses) give
   ``advisory`` unless not applicable, even when data is missing: they are shown, never counted.

Each rule is a small function whose docstring's first paragraph quotes the clause of the plan or its
annex it implements (``Rule.clause`` is that paragraph). The hot path is plain dict lookups and
f-strings: 20,000 surveys are assessed in well under two seconds (bench/bench_rules.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from django.utils.translation import gettext_lazy as _

MET = "met"
UNMET = "unmet"
NOT_APPLICABLE = "not_applicable"
NEEDS_REVIEW = "needs_review"
ADVISORY = "advisory"
OUTCOMES = (MET, UNMET, NOT_APPLICABLE, NEEDS_REVIEW, ADVISORY)
OUTCOME_LABELS = {
    MET: _("Met"),
    UNMET: _("Unmet"),
    NOT_APPLICABLE: _("Not applicable"),
    NEEDS_REVIEW: _("Needs review"),
    ADVISORY: _("Advisory"),
}

SIX_HAVES = "six_haves"
SIX_NORMS = "six_norms"
TRACKS = (SIX_HAVES, SIX_NORMS)
TRACK_NAMES = {SIX_HAVES: "六有", SIX_NORMS: "六个规范"}

SATISFIED = "satisfied"
BASICALLY_SATISFIED = "basically_satisfied"
UNSATISFIED = "unsatisfied"
GRADE_LABELS = {SATISFIED: "满意", BASICALLY_SATISFIED: "基本满意", UNSATISFIED: "不满意"}

# Chinese names of the union record's values, as the evidence speaks of them.
UNION_TYPE_NAMES = {
    "enterprise": "企业",
    "institution": "机关事业单位",
    "social_org": "社会组织",
    "township_street": "乡镇（街道）",
    "industrial_park": "产业园区（开发区）",
    "county_industry_federation": "县级行业工会联合会",
    "regional_federation": "区域性、行业性基层工会联合会",
    "new_employment": "新就业形态",
}
OWNERSHIP_NAMES = {
    "state_owned": "国有",
    "collective": "集体",
    "state_controlled": "国有或集体控股",
    "private": "私营",
    "foreign": "外资",
    "other": "其他",
}
PARK_LEVEL_NAMES = {"national": "国家级", "provincial": "省级", "below_provincial": "省级以下"}

# Chinese name of every input, used in evidence ("缺少：会员人数"). Survey paths are dotted.
FIELD_NAMES_ZH = {
    "union_type": "工会类型",
    "ownership": "企业所有制",
    "park_level": "园区级别",
    "founded_on": "建会日期",
    "employees": "职工人数",
    "women_employees": "女职工人数",
    "members": "会员人数",
    "women_members": "女会员人数",
    "production_teams": "生产（行政）班组数",
    "union_groups": "工会小组数",
    "group_leaders_elected": "工会小组长由会员民主选举",
    "has_board": "是否设董事会",
    "has_supervisory_board": "是否设监事会",
    "full_time_staff": "工会专职工作人员人数",
    "coordinators": "协理员人数",
    "volunteer_team": "工会服务职工志愿队",
    "chair.name": "工会主席姓名",
    "chair.elected_on": "工会主席选举日期",
    "chair.elected_lawfully": "工会主席依法选举",
    "chair.full_time": "工会主席专职",
    "chair.is_admin_head": "主席是否为企业行政负责人",
    "chair.is_partner": "主席是否为合伙人",
    "chair.is_relative_of_admin": "主席是否为行政负责人、合伙人的近亲属",
    "committee.exists": "是否建立工会委员会",
    "committee.joint": "是否联合建立工会委员会",
    "committee.members": "工会委员会成员名单",
    "funds_review_committee": "经费审查委员会",
    "women_committee": "女职工委员会",
    "women_committee_member": "女职工委员",
    "labor_law_supervision_committee": "劳动法律监督委员会",
    "labor_law_supervisor": "劳动法律监督员",
    "member_congress.term_years": "会员代表大会每届任期",
    "member_congress.meetings_last_year": "会员代表大会上年召开次数",
    "workers_congress.term_years": "职工代表大会每届任期",
    "workers_congress.meetings_last_year": "职工代表大会上年召开次数",
    "workers_congress.combined_with_member_congress": "会员代表大会与职工代表大会相互替代",
    "collective_contract.signed": "是否签订集体合同",
    "collective_contract.expires_on": "集体合同到期日",
    "collective_consultation_system": "平等协商和集体合同制度",
    "labor_law_supervision_system": "工会劳动法律监督制度",
    "funds_review_system": "工会经费审查制度",
    "finance_system": "工会财务管理制度",
    "open_affairs": "厂务公开",
    "worker_director": "职工董事",
    "worker_supervisor": "职工监事",
    "activities_last_year": "上年服务职工活动次数",
    "skills_activities_last_year": "上年劳动和技能竞赛、合理化建议、技能培训等活动次数",
    "culture_activities_last_year": "上年文化体育活动次数",
    "funds.independent_account": "工会经费独立核算账户",
    "home.venue": "有活动场所",
    "home.signage": "悬挂工会组织牌子（规范标识）",
    "home.leaders_board": "公示工会领导班子成员",
    "home.sports_facilities": "有文体设施",
    "home.library": "有职工书屋",
    "home.rules": "有管理制度",
    "home.activity_plan": "有活动计划",
    "home.funds": "有经费保障",
    "home.staff": "有人员管理",
    "home.office": "有固定办公场所",
    "home.equipment": "有必需的办公设备、设施",
    "roster_updated_on": "会员花名册更新日期",
    "member_registration_forms": "会员登记表",
    "archives_complete": "工会工作档案齐全完整规范",
    "paper_archives": "会员代表大会、职代会、集体合同纸质存档",
    "goal_management": "目标管理制度",
    "regular_study": "定期研究制度",
    "work_briefing": "工作通报制度",
    "member_evaluation.held_on": "会员评家日期",
    "member_evaluation.written": "会员评家采取书面民主测评",
    "member_evaluation.satisfied": "满意票数",
    "member_evaluation.basically_satisfied": "基本满意票数",
    "member_evaluation.unsatisfied": "不满意票数",
}
# How a count is spoken of next to its value: "会员 31 人", "上年文化体育活动 3 次".
_MEASURES = {
    "employees": ("职工", "人"),
    "women_employees": ("女职工", "人"),
    "members": ("会员", "人"),
    "production_teams": ("生产（行政）班组", "个"),
    "union_groups": ("工会小组", "个"),
    "coordinators": ("协理员", "名"),
    "full_time_staff": ("工会专职工作人员", "人"),
    "activities_last_year": ("上年服务职工活动", "次"),
    "skills_activities_last_year": ("上年劳动和技能竞赛、合理化建议、技能培训等活动", "次"),
    "culture_activities_last_year": ("上年文化体育活动", "次"),
    "member_congress.meetings_last_year": ("会员代表大会上年召开", "次"),
    "workers_congress.meetings_last_year": ("职工代表大会上年召开", "次"),
}
_YES = {path: f"{name}：是" for path, name in FIELD_NAMES_ZH.items()}
_NO = {path: f"{name}：否" for path, name in FIELD_NAMES_ZH.items()}

ROSTER_MAX_AGE_DAYS = 183  # 会员花名册"至少每半年更新一次"
EVALUATION_MAX_AGE_DAYS = 365  # "会员评家每年进行一次"


# --- track and grade -----------------------------------------------------------------------------


def track_for(founded_on: date, reference_date: date) -> str:
    """The standard a union is held to on ``reference_date`` (the campaign's reference date).

    “建会五年以下的基层工会建设目标为建设“六有”基层工会组织，建会五年以上（含五年）的基层工会建设目标为
    建设“六个规范”基层工会组织。” Five full years on the reference date, the anniversary included, gives
    ``six_norms``; a union founded on Feb 29 reaches its anniversary on Feb 28 of a common year.
    """
    try:
        anniversary = founded_on.replace(year=founded_on.year + 5)
    except ValueError:  # Feb 29 to a common year
        anniversary = date(founded_on.year + 5, 2, 28)
    return SIX_NORMS if reference_date >= anniversary else SIX_HAVES


def evaluation_grade(
    satisfied: int | None,
    basically_satisfied: int | None,
    unsatisfied: int | None,
    thresholds: Mapping[str, Any] | None = None,
) -> str | None:
    """The grade of a member evaluation (会员评家): "满意、基本满意、不满意三个等次".

    Default (NORMS.md), plurality: the grade with the most ballots wins; a tie goes to the lower
    grade (满意 = 基本满意 > 不满意 gives 基本满意; a tie with 不满意 gives 不满意).

    ``thresholds``, a campaign's own rule, e.g. ``{"satisfied": 0.8, "basically_satisfied": 0.6}``:
    满意 when the share of 满意 ballots is at least ``thresholds["satisfied"]``; else 基本满意 when the
    share of 满意 and 基本满意 ballots together is at least ``thresholds["basically_satisfied"]``;
    else 不满意. Shares are compared exactly (0.8 of 10 ballots is 8 ballots, not 7.999…). Values are
    numbers or decimal strings in [0, 1]; both keys are required.

    No grade (``None``) when any count is unknown (``None``) or no ballot was cast. Empty
    ``thresholds`` (``{}``) mean the default.
    """
    if satisfied is None or basically_satisfied is None or unsatisfied is None:
        return None
    if satisfied < 0 or basically_satisfied < 0 or unsatisfied < 0:
        raise ValueError("ballot counts cannot be negative")
    total = satisfied + basically_satisfied + unsatisfied
    if total == 0:
        return None
    if thresholds:  # None or {} (a campaign that set none): the default plurality
        t_sat, t_basic = _thresholds(thresholds)
        if Fraction(satisfied, total) >= t_sat:
            return SATISFIED
        if Fraction(satisfied + basically_satisfied, total) >= t_basic:
            return BASICALLY_SATISFIED
        return UNSATISFIED
    if unsatisfied >= basically_satisfied and unsatisfied >= satisfied:
        return UNSATISFIED
    if basically_satisfied >= satisfied:
        return BASICALLY_SATISFIED
    return SATISFIED


def _thresholds(thresholds: Mapping[str, Any]) -> tuple[Fraction, Fraction]:
    unknown = set(thresholds) - {SATISFIED, BASICALLY_SATISFIED}
    if unknown or len(thresholds) != 2:
        raise ValueError("thresholds need exactly the keys 'satisfied' and 'basically_satisfied'")
    values = []
    for key in (SATISFIED, BASICALLY_SATISFIED):
        value = Fraction(str(thresholds[key]))  # str(): 0.8 means 4/5, not the nearest double
        if not 0 <= value <= 1:
            raise ValueError(f"threshold {key!r} must be between 0 and 1")
        values.append(value)
    return values[0], values[1]


# --- findings and rules ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rule:
    """One checkable rule of NORMS.md.

    ``area`` is the Chinese name of its area (六个规范: 队伍建设…; 六有: the item itself, e.g.
    有依法选举的工会主席), ``area_code`` N1…N6 or H1…H6. ``clause`` quotes the plan or annex.
    ``counted`` is False for advisory rules. ``applies_to`` names the union types the rule can apply
    to (``None``: every union). ``reads`` lists every input the rule may read: union fields
    (``union_type``, ``ownership``, ``park_level``) and dotted survey paths.
    """

    id: str
    area: str
    area_code: str
    clause: str
    counted: bool = True
    applies_to: frozenset[str] | None = None
    reads: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    """The automatic outcome of one rule for one union, with its evidence in Chinese."""

    rule: str
    area: str
    outcome: str
    evidence: str

    def as_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "area": self.area,
            "outcome": self.outcome,
            "evidence": self.evidence,
        }


@dataclass(frozen=True, slots=True)
class Summary:
    """What the outcomes of a track add up to (NORMS.md).

    ``areas``: area code → met (every counted rule in it met or not applicable). ``meets_standard``:
    all six areas met. ``counted``: counted rules that apply (outcome other than not_applicable);
    ``met``: those met; ``score`` = met ÷ counted as a Decimal quantized to 0.0001, ``None`` when
    nothing counted applies. ``needs_review`` and ``unmet`` list rule ids in rule order; an outcome
    missing from the input, or not one of the five, counts as needs_review.
    """

    areas: dict[str, bool]
    score: Decimal | None
    meets_standard: bool
    counted: int
    met: int
    needs_review: list[str]
    unmet: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "areas": dict(self.areas),
            "score": None if self.score is None else str(self.score),
            "meets_standard": self.meets_standard,
            "counted": self.counted,
            "met": self.met,
            "needs_review": list(self.needs_review),
            "unmet": list(self.unmet),
        }


RuleFunction = Callable[[Mapping[str, Any], Mapping[str, Any], date], Finding]

_AREAS = {
    "H1": "有依法选举的工会主席",
    "H2": "有独立健全的组织机构",
    "H3": "有服务职工的活动载体",
    "H4": "有健全完善的制度机制",
    "H5": "有自主管理的工会经费",
    "H6": "有会员满意的工作绩效",
    "N1": "队伍建设",
    "N2": "组织机构",
    "N3": "履行职能",
    "N4": "制度机制",
    "N5": "职工之家",
    "N6": "工作绩效",
}
_REGISTRY: dict[str, tuple[Rule, RuleFunction]] = {}
_AREA_OF: dict[str, str] = {}


def _clause(function: Callable[..., Any]) -> str:
    """The first paragraph of a docstring, its lines joined (Chinese needs no spaces)."""
    doc = function.__doc__ or ""
    first = doc.strip().split("\n\n", 1)[0]
    return "".join(line.strip() for line in first.splitlines())


def _rule(
    rule_id: str,
    *,
    reads: tuple[str, ...],
    applies_to: tuple[str, ...] | None = None,
    counted: bool = True,
) -> Callable[[RuleFunction], RuleFunction]:
    def register(function: RuleFunction) -> RuleFunction:
        code = rule_id.split(".", 1)[0]
        rule = Rule(
            id=rule_id,
            area=_AREAS[code],
            area_code=code,
            clause=_clause(function),
            counted=counted,
            applies_to=None if applies_to is None else frozenset(applies_to),
            reads=reads,
        )
        _REGISTRY[rule_id] = (rule, function)
        _AREA_OF[rule_id] = rule.area
        return function

    return register


# --- reading inputs -------------------------------------------------------------------------------
# A check is (state, text): state True (requirement holds), False (fails), None (an input is
# missing; text is its Chinese name), _INFO (text shown, no effect) or _ODD (present but
# undecidable; text says why).

_INFO = "info"
_ODD = "odd"
_EMPTY: Mapping[str, Any] = MappingProxyType({})
_ENTERPRISE = ("enterprise",)
_ENTERPRISE_INSTITUTION = ("enterprise", "institution")


def _group(survey: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = survey.get(key)
    return value if isinstance(value, dict) else _EMPTY


def _flag(data: Mapping[str, Any], key: str) -> bool | None:
    value = data.get(key)
    return value if value is True or value is False else None


def _count(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    return value if type(value) is int and value >= 0 else None


def _date(data: Mapping[str, Any], key: str) -> date | None:
    value = data.get(key)
    if type(value) is str:
        if len(value) != 10:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, date):
        return value if type(value) is date else value.date()  # a datetime
    return None


def _union_type(union: Mapping[str, Any]) -> str | None:
    value = union.get("union_type")
    return value if type(value) is str and value in UNION_TYPE_NAMES else None


def _bool(data: Mapping[str, Any], key: str, path: str) -> tuple[Any, str]:
    value = data.get(key)
    if value is True:
        return True, _YES[path]
    if value is False:
        return False, _NO[path]
    return None, FIELD_NAMES_ZH[path]


def _bool_not(data: Mapping[str, Any], key: str, path: str) -> tuple[Any, str]:
    """The requirement holds when the flag is false (e.g. congresses not combined)."""
    value = data.get(key)
    if value is False:
        return True, _NO[path]
    if value is True:
        return False, _YES[path]
    return None, FIELD_NAMES_ZH[path]


def _at_least(data: Mapping[str, Any], key: str, path: str, minimum: int) -> tuple[Any, str]:
    value = _count(data, key)
    if value is None:
        return None, FIELD_NAMES_ZH[path]
    noun, unit = _MEASURES[path]
    if value >= minimum:
        return True, f"{noun} {value} {unit} ≥ {minimum}"
    return False, f"{noun} {value} {unit} < {minimum}"


def _either(
    data: Mapping[str, Any], first: str, second: str, first_path: str, second_path: str
) -> list[tuple[Any, str]]:
    """Either flag may satisfy the requirement; both must be answered for it to be met."""
    a = data.get(first)
    b = data.get(second)
    a = a if a is True or a is False else None
    b = b if b is True or b is False else None
    if a is None or b is None:
        checks: list[tuple[Any, str]] = []
        for value, path in ((a, first_path), (b, second_path)):
            if value is None:
                checks.append((None, FIELD_NAMES_ZH[path]))
            else:
                checks.append((_INFO, _YES[path] if value else _NO[path]))
        return checks
    text = f"{_YES[first_path] if a else _NO[first_path]}，{_YES[second_path] if b else _NO[second_path]}"
    return [(a or b, text)]


# --- verdicts -------------------------------------------------------------------------------------


def _finding(rule_id: str, outcome: str, evidence: str) -> Finding:
    return Finding(rule_id, _AREA_OF[rule_id], outcome, evidence)


def _verdict(rule_id: str, checks: list[tuple[Any, str]], head: str = "") -> Finding:
    """Combine checks that must all hold: unmet if one fails, met if all hold, else needs_review."""
    parts = []
    missing = []
    failed = unknown = False
    for state, text in checks:
        if state is True:
            parts.append(text)
        elif state is False:
            failed = True
            parts.append(text)
        elif state is None:
            unknown = True
            missing.append(text)
        else:
            if state is _ODD:
                unknown = True
            parts.append(text)
    if missing:
        parts.append("缺少：" + "、".join(missing))
    evidence = "；".join(parts)
    if head:
        evidence = f"{head}，{evidence}" if evidence else head
    if failed:
        return Finding(rule_id, _AREA_OF[rule_id], UNMET, evidence)
    if unknown:
        return Finding(rule_id, _AREA_OF[rule_id], NEEDS_REVIEW, evidence + "，需人工核实")
    return Finding(rule_id, _AREA_OF[rule_id], MET, evidence)


def _review(rule_id: str, *missing_paths: str) -> Finding:
    names = "、".join(FIELD_NAMES_ZH[path] for path in missing_paths)
    return Finding(rule_id, _AREA_OF[rule_id], NEEDS_REVIEW, f"缺少：{names}，需人工核实")


def _not_applicable(rule_id: str, union_type: str, scope: str) -> Finding:
    evidence = f"工会类型：{UNION_TYPE_NAMES[union_type]}，本条适用于{scope}"
    return Finding(rule_id, _AREA_OF[rule_id], NOT_APPLICABLE, evidence)


# --- shared checks --------------------------------------------------------------------------------


def _committee_checks(survey: Mapping[str, Any]) -> list[tuple[Any, str]]:
    """Members ≥ 25: an own committee; < 25: a committee, own or joint (annex 组织机构 1)."""
    members = _count(survey, "members")
    committee = _group(survey, "committee")
    exists = _flag(committee, "exists")
    if members is None:
        return [(None, FIELD_NAMES_ZH["members"])]
    if members < 25:
        head = f"会员 {members} 人 < 25"
        if exists is None:
            return [(_INFO, head), (None, FIELD_NAMES_ZH["committee.exists"])]
        if exists:
            return [(True, f"{head}，已建立工会委员会（单独或联合建立均可）")]
        return [(False, f"{head}，未建立工会委员会")]
    head = f"会员 {members} 人 ≥ 25"
    if exists is False:
        return [(False, f"{head}，未建立工会委员会")]
    joint = _flag(committee, "joint")
    if joint is True:
        return [(False, f"{head}，联合建立的工会委员会不计，应单独建立")]
    if exists is None or joint is None:
        checks: list[tuple[Any, str]] = [(_INFO, head)]
        if exists is None:
            checks.append((None, FIELD_NAMES_ZH["committee.exists"]))
        if joint is None:
            checks.append((None, FIELD_NAMES_ZH["committee.joint"]))
        return checks
    return [(True, f"{head}，已单独建立工会委员会")]


def _women_checks(survey: Mapping[str, Any]) -> list[tuple[Any, str]]:
    """Women employees ≥ 25: a women's committee; < 25: that or a women's member."""
    women = _count(survey, "women_employees")
    if women is None:
        return [(None, FIELD_NAMES_ZH["women_employees"])]
    if women >= 25:
        state, text = _bool(survey, "women_committee", "women_committee")
        if state is None:
            return [(_INFO, f"女职工 {women} 人 ≥ 25"), (None, text)]
        return [(state, f"女职工 {women} 人 ≥ 25，{text}")]
    checks = _either(
        survey,
        "women_committee",
        "women_committee_member",
        "women_committee",
        "women_committee_member",
    )
    return [(_INFO, f"女职工 {women} 人 < 25"), *checks]


def _dated_within(
    when: date | None, on: date, max_age: int, what: str, path: str
) -> tuple[Any, str]:
    """``when`` at most ``max_age`` days before ``on``; a date after ``on`` cannot be judged."""
    if when is None:
        return None, FIELD_NAMES_ZH[path]
    age = (on - when).days
    if age < 0:
        return _ODD, f"{what}日期 {when.isoformat()} 晚于评估日期 {on.isoformat()}"
    if age <= max_age:
        return True, f"{what} {when.isoformat()}，距评估日 {age} 天 ≤ {max_age} 天"
    return False, f"{what} {when.isoformat()}，距评估日 {age} 天 > {max_age} 天"


def _evaluation_checks(
    survey: Mapping[str, Any], on: date, thresholds: Mapping[str, Any] | None
) -> list[tuple[Any, str]]:
    evaluation = _group(survey, "member_evaluation")
    checks = [
        _dated_within(
            _date(evaluation, "held_on"),
            on,
            EVALUATION_MAX_AGE_DAYS,
            "会员评家",
            "member_evaluation.held_on",
        )
    ]
    sat = _count(evaluation, "satisfied")
    basic = _count(evaluation, "basically_satisfied")
    unsat = _count(evaluation, "unsatisfied")
    if sat is None or basic is None or unsat is None:
        for value, path in (
            (sat, "member_evaluation.satisfied"),
            (basic, "member_evaluation.basically_satisfied"),
            (unsat, "member_evaluation.unsatisfied"),
        ):
            if value is None:
                checks.append((None, FIELD_NAMES_ZH[path]))
        return checks
    ballots = f"满意 {sat} 票、基本满意 {basic} 票、不满意 {unsat} 票"
    grade = evaluation_grade(sat, basic, unsat, thresholds)
    if grade is None:
        checks.append((_ODD, f"{ballots}，无法评定等次"))
    else:
        checks.append((grade != UNSATISFIED, f"{ballots}，评定为{GRADE_LABELS[grade]}"))
    return checks


_EVALUATION_READS = (
    "member_evaluation.held_on",
    "member_evaluation.satisfied",
    "member_evaluation.basically_satisfied",
    "member_evaluation.unsatisfied",
)


# --- 六有 -----------------------------------------------------------------------------------------


@_rule("H1", reads=("chair.elected_lawfully",))
def h1(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """有依法选举的工会主席，建设心系职工、善于维权、开拓进取的骨干队伍

    Met when ``chair.elected_lawfully`` is true.
    """
    return _verdict("H1", [_bool(_group(s, "chair"), "elected_lawfully", "chair.elected_lawfully")])


@_rule(
    "H2",
    reads=(
        "members",
        "committee.exists",
        "committee.joint",
        "funds_review_committee",
        "women_employees",
        "women_committee",
        "women_committee_member",
    ),
)
def h2(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """有独立健全的组织机构，完善工会委员会、经费审查委员会、女职工委员会等组织

    A committee (a joint one counts only when members < 25), a funds review committee, and a
    women's committee (or a women's committee member when women employees < 25).
    """
    return _verdict(
        "H2",
        [
            *_committee_checks(s),
            _bool(s, "funds_review_committee", "funds_review_committee"),
            *_women_checks(s),
        ],
    )


@_rule("H3", reads=("activities_last_year",))
def h3(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """有服务职工的活动载体，满足职工的多样化需求

    At least one activity for workers last year.
    """
    return _verdict("H3", [_at_least(s, "activities_last_year", "activities_last_year", 1)])


@_rule(
    "H4",
    reads=("member_congress.meetings_last_year", "finance_system", "funds_review_system"),
)
def h4(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """有健全完善的制度机制，实现工会工作的群众化、民主化、制度化、法制化

    A member congress met last year, and a finance system and a funds review system exist.
    """
    congress = _group(s, "member_congress")
    return _verdict(
        "H4",
        [
            _at_least(congress, "meetings_last_year", "member_congress.meetings_last_year", 1),
            _bool(s, "finance_system", "finance_system"),
            _bool(s, "funds_review_system", "funds_review_system"),
        ],
    )


@_rule("H5", reads=("funds.independent_account",))
def h5(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """有自主管理的工会经费，真正用于服务职工和工会活动

    The union's funds are kept in an account of its own.
    """
    return _verdict(
        "H5", [_bool(_group(s, "funds"), "independent_account", "funds.independent_account")]
    )


@_rule("H6", reads=_EVALUATION_READS)
def h6(
    u: Mapping[str, Any],
    s: Mapping[str, Any],
    on: date,
    thresholds: Mapping[str, Any] | None = None,
) -> Finding:
    """有会员满意的工作绩效，切实让职工群众感受到工会是“职工之家”

    A member evaluation within 365 days before the assessment date, graded 满意 or 基本满意.
    """
    return _verdict("H6", _evaluation_checks(s, on, thresholds))


# --- 六个规范: 队伍建设 ---------------------------------------------------------------------------


@_rule(
    "N1.1",
    applies_to=_ENTERPRISE,
    reads=(
        "union_type",
        "employees",
        "chair.is_admin_head",
        "chair.is_partner",
        "chair.is_relative_of_admin",
        "committee.exists",
        "committee.members",
    ),
)
def n1_1(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """职工二百人以上的企业工会，企业行政负责人、合伙人及其近亲属不得作为本企业工会委员会成员的人选。

    Applies to enterprises with 200 employees or more: no committee member, the chair included,
    is an administrative head, a partner, or a close relative of either.
    """
    union_type = _union_type(u)
    if union_type is None:
        return _review("N1.1", "union_type")
    if union_type != "enterprise":
        return _not_applicable("N1.1", union_type, "企业工会")
    employees = _count(s, "employees")
    if employees is None:
        return _review("N1.1", "employees")
    if employees < 200:
        return _finding(
            "N1.1", NOT_APPLICABLE, f"职工 {employees} 人 < 200，本条适用于职工二百人以上的企业工会"
        )
    head = f"职工 {employees} 人 ≥ 200"
    offences, missing = _conflicts(_group(s, "chair"), "主席")
    committee = _group(s, "committee")
    exists = _flag(committee, "exists")
    if exists is None:
        missing.append(FIELD_NAMES_ZH["committee.exists"])
    # While it is unknown whether the committee exists, its listed members decide nothing: were
    # there no committee, only the chair would count. Their conflicts are shown to the officer.
    noted: list[str] = []
    if exists is not False:
        member_offences, member_missing = _member_conflicts(committee)
        (offences if exists else noted).extend(member_offences)
        missing += member_missing
    checks: list[tuple[Any, str]] = []
    if offences:
        checks.append((False, "、".join(offences)))
    elif not missing:
        checks.append((True, "工会委员会成员（含主席）中无企业行政负责人、合伙人及其近亲属"))
    checks.extend((_INFO, text) for text in noted)
    checks.extend((None, text) for text in missing)
    return _verdict("N1.1", checks, head)


_CONFLICTS = (
    ("is_admin_head", "企业行政负责人"),
    ("is_partner", "合伙人"),
    ("is_relative_of_admin", "行政负责人或合伙人的近亲属"),
)


def _conflicts(person: Mapping[str, Any], who: str) -> tuple[list[str], list[str]]:
    """(conflicts found, flags unanswered) of the chair or one committee member, for N1.1."""
    offences = []
    missing = []
    for key, role in _CONFLICTS:
        value = person.get(key)
        if value is True:
            offences.append(f"{who}为{role}")
        elif value is not False:
            missing.append(f"{who}是否为{role}")
    return offences, missing


def _member_conflicts(committee: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """``_conflicts`` of every listed committee member; the list itself missing is one gap."""
    members = committee.get("members")
    if not isinstance(members, list):
        return [], [FIELD_NAMES_ZH["committee.members"]]
    offences: list[str] = []
    missing: list[str] = []
    for number, member in enumerate(members, start=1):
        if not isinstance(member, dict):
            missing.append(f"第 {number} 名委员的情况")
            continue
        name = member.get("name")
        who = f"委员{name}" if type(name) is str and name else f"第 {number} 名委员"
        found, unanswered = _conflicts(member, who)
        offences += found
        missing += unanswered
    return offences, missing


_RANK_OWNERSHIPS = ("state_owned", "collective", "state_controlled")


@_rule("N1.2", applies_to=_ENTERPRISE, reads=("union_type", "ownership"))
def n1_2(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """国有、集体及其控股企业工会主席按企业党政同级副职条件配备，专职工会副主席按不低于企业中层正职配备。

    The chair's rank is an officer's judgment: always needs_review for state-owned, collective and
    state-controlled enterprises; not applicable to other ownerships. Ownership is a fact of
    enterprises only (NORMS.md), so the rule is not applicable to other union types whatever
    their record says, and needs review for an enterprise whose ownership is missing.
    """
    union_type = _union_type(u)
    if union_type is not None and union_type != "enterprise":
        return _not_applicable("N1.2", union_type, "国有、集体及其控股企业工会")
    ownership = u.get("ownership")
    if type(ownership) is not str or ownership not in OWNERSHIP_NAMES:
        if union_type is None:
            return _review("N1.2", "union_type", "ownership")
        return _review("N1.2", "ownership")
    if ownership not in _RANK_OWNERSHIPS:
        return _finding(
            "N1.2",
            NOT_APPLICABLE,
            f"企业所有制：{OWNERSHIP_NAMES[ownership]}，本条适用于国有、集体及其控股企业",
        )
    return _finding(
        "N1.2",
        NEEDS_REVIEW,
        f"企业所有制：{OWNERSHIP_NAMES[ownership]}，工会主席是否按企业党政同级副职条件配备，"
        "需人工核实",
    )


@_rule("N1.3", counted=False, applies_to=_ENTERPRISE, reads=("union_type", "full_time_staff"))
def n1_3(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """企业工会根据工作需要，可以配备专职工作人员，具体人数与企业协商确定。

    Advisory ("may"): shown, never counted.
    """
    union_type = _union_type(u)
    if union_type is not None and union_type != "enterprise":
        return _not_applicable("N1.3", union_type, "企业工会")
    staff = _count(s, "full_time_staff")
    known = "未填" if staff is None else f"{staff} 人"
    evidence = f"工会专职工作人员：{known}（企业工会可配备，人数与企业协商确定，不计分）"
    if union_type is None:
        evidence = f"缺少：工会类型；{evidence}"
    return _finding("N1.3", ADVISORY, evidence)


_COORDINATOR_PARK_LEVELS = ("provincial", "below_provincial")


@_rule(
    "N1.4",
    applies_to=("industrial_park",),
    reads=("union_type", "park_level", "coordinators"),
)
def n1_4(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """省级以下产业园区（开发区）应至少配备1名协理员

    Applies to provincial and lower industrial parks: at least one coordinator.
    """
    union_type = _union_type(u)
    if union_type is None:
        return _review("N1.4", "union_type")
    if union_type != "industrial_park":
        return _not_applicable("N1.4", union_type, "省级以下产业园区（开发区）工会")
    level = u.get("park_level")
    if type(level) is not str or level not in PARK_LEVEL_NAMES:
        return _review("N1.4", "park_level")
    head = f"园区级别：{PARK_LEVEL_NAMES[level]}"
    if level not in _COORDINATOR_PARK_LEVELS:
        return _finding("N1.4", NOT_APPLICABLE, f"{head}，本条适用于省级以下产业园区（开发区）")
    return _verdict("N1.4", [_at_least(s, "coordinators", "coordinators", 1)], head)


_FEDERATION_TYPES = ("township_street", "county_industry_federation", "regional_federation")


@_rule("N1.5", counted=False, applies_to=_FEDERATION_TYPES, reads=("union_type", "coordinators"))
def n1_5(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """乡镇(街道)工会、县级行业工会联合会、乡镇(街道)以下区域性、行业性基层工会联合会可配备1至2名协理员。

    Advisory ("may"): shown, never counted.
    """
    union_type = _union_type(u)
    if union_type is not None and union_type not in _FEDERATION_TYPES:
        return _not_applicable(
            "N1.5", union_type, "乡镇（街道）工会、县级行业工会联合会、区域性行业性基层工会联合会"
        )
    count = _count(s, "coordinators")
    known = "未填" if count is None else f"{count} 名"
    evidence = f"协理员：{known}（可配备 1 至 2 名，不计分）"
    if union_type is None:
        evidence = f"缺少：工会类型；{evidence}"
    return _finding("N1.5", ADVISORY, evidence)


_VOLUNTEER_TYPES = ("township_street", "industrial_park")


@_rule("N1.6", applies_to=_VOLUNTEER_TYPES, reads=("union_type", "volunteer_team"))
def n1_6(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """乡镇（街道）、工业园区工会成立工会服务职工志愿队，会员志愿申请加入志愿者。

    Applies to township/street and industrial park unions: a volunteer team exists.
    """
    union_type = _union_type(u)
    if union_type is None:
        return _review("N1.6", "union_type")
    if union_type not in _VOLUNTEER_TYPES:
        return _not_applicable("N1.6", union_type, "乡镇（街道）、工业园区工会")
    return _verdict("N1.6", [_bool(s, "volunteer_team", "volunteer_team")])


# --- 六个规范: 组织机构 ---------------------------------------------------------------------------


@_rule("N2.1", reads=("members", "committee.exists", "committee.joint"))
def n2_1(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """基层工会有会员二十五人以上的,应当建立工会委员会；不足二十五人的，可以单独建立工会委员会，
    也可以按开发区、工业园区、商贸楼宇、集贸市场等区域或者行业联合建立工会委员会。

    Members ≥ 25: an own committee (exists and not joint); < 25: a committee, own or joint.
    """
    if _count(s, "members") is None:
        return _review("N2.1", "members")
    return _verdict("N2.1", _committee_checks(s))


@_rule("N2.2", reads=("funds_review_committee",))
def n2_2(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """基层工会应当在建立基层工会委员会的同时，按照国家有关规定建立经费审查委员会。"""
    return _verdict("N2.2", [_bool(s, "funds_review_committee", "funds_review_committee")])


@_rule("N2.3", reads=("women_employees", "women_committee", "women_committee_member"))
def n2_3(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """基层工会应当建立工会女职工委员会，女职工不足二十五人的应当设女职工委员。

    Women employees ≥ 25: a women's committee; < 25: a women's committee or a women's member.
    """
    return _verdict("N2.3", _women_checks(s))


@_rule(
    "N2.4",
    reads=("members", "labor_law_supervision_committee", "labor_law_supervisor"),
)
def n2_4(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """基层工会应当设立工会劳动法律监督委员会。会员不足二十五人的基层工会可以设工会劳动法律监督员。

    Members ≥ 25: a labour law supervision committee; < 25: that or a supervisor.
    """
    members = _count(s, "members")
    if members is None:
        return _review("N2.4", "members")
    if members >= 25:
        state, text = _bool(s, "labor_law_supervision_committee", "labor_law_supervision_committee")
        return _verdict("N2.4", [(state, text)], f"会员 {members} 人 ≥ 25")
    checks = _either(
        s,
        "labor_law_supervision_committee",
        "labor_law_supervisor",
        "labor_law_supervision_committee",
        "labor_law_supervisor",
    )
    return _verdict("N2.4", checks, f"会员 {members} 人 < 25")


@_rule(
    "N2.5",
    applies_to=_ENTERPRISE,
    reads=("union_type", "production_teams", "union_groups", "group_leaders_elected"),
)
def n2_5(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """企业工会按照生产（行政）班组建立工会小组，会员民主选举工会小组长，组织开展工会小组活动。

    Applies to enterprises with at least one production team: as many union groups as teams, and
    group leaders elected.
    """
    union_type = _union_type(u)
    if union_type is None:
        return _review("N2.5", "union_type")
    if union_type != "enterprise":
        return _not_applicable("N2.5", union_type, "企业工会")
    teams = _count(s, "production_teams")
    if teams is None:
        return _review("N2.5", "production_teams")
    if teams == 0:
        return _finding(
            "N2.5", NOT_APPLICABLE, "生产（行政）班组 0 个，本条适用于设有生产（行政）班组的企业"
        )
    groups = _count(s, "union_groups")
    if groups is None:
        group_check: tuple[Any, str] = (None, FIELD_NAMES_ZH["union_groups"])
    elif groups >= teams:
        group_check = (True, f"工会小组 {groups} 个 ≥ 生产（行政）班组 {teams} 个")
    else:
        group_check = (False, f"工会小组 {groups} 个 < 生产（行政）班组 {teams} 个")
    return _verdict(
        "N2.5",
        [group_check, _bool(s, "group_leaders_elected", "group_leaders_elected")],
        f"生产（行政）班组 {teams} 个",
    )


# --- 六个规范: 履行职能 ---------------------------------------------------------------------------


@_rule(
    "N3.1",
    applies_to=_ENTERPRISE,
    reads=("union_type", "collective_contract.signed", "collective_contract.expires_on"),
)
def n3_1(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """工会的基本职责是维护职工合法权益、竭诚服务职工群众。企业工会代表职工与企业进行平等协商，签订集体合同。

    Applies to enterprises: a collective contract is signed and has not expired on the assessment
    date (it still holds on the day it expires).
    """
    union_type = _union_type(u)
    if union_type is None:
        return _review("N3.1", "union_type")
    if union_type != "enterprise":
        return _not_applicable("N3.1", union_type, "企业工会")
    contract = _group(s, "collective_contract")
    signed = _flag(contract, "signed")
    if signed is False:
        return _verdict("N3.1", [(False, "未签订集体合同")])
    expires_on = _date(contract, "expires_on")
    checks: list[tuple[Any, str]] = []
    if signed is None:
        checks.append((None, FIELD_NAMES_ZH["collective_contract.signed"]))
    if expires_on is None:
        if signed:
            checks.append((None, FIELD_NAMES_ZH["collective_contract.expires_on"]))
    elif expires_on >= on:
        checks.append((True, f"集体合同 {expires_on.isoformat()} 到期，评估日未过期"))
    else:
        checks.append((False, f"集体合同已于 {expires_on.isoformat()} 到期"))
    if signed:
        checks.insert(0, (True, "已签订集体合同"))
    return _verdict("N3.1", checks)


@_rule(
    "N3.2",
    applies_to=_ENTERPRISE_INSTITUTION,
    reads=(
        "union_type",
        "workers_congress.meetings_last_year",
        "open_affairs",
        "has_board",
        "worker_director",
        "has_supervisory_board",
        "worker_supervisor",
    ),
)
def n3_2(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """基层工会代表和组织职工依照法律、法规规定，通过职工（代表）大会、平等协商、厂务公开、职工董事、
    职工监事和其他形式，参加民主选举、民主协商、民主决策、民主管理和民主监督。

    Applies to enterprises and institutions: the workers' congress met last year and affairs are
    open; plus a worker director when there is a board, a worker supervisor when there is a
    supervisory board.
    """
    union_type = _union_type(u)
    if union_type is None:
        return _review("N3.2", "union_type")
    if union_type not in _ENTERPRISE_INSTITUTION:
        return _not_applicable("N3.2", union_type, "企业、机关事业单位工会")
    congress = _group(s, "workers_congress")
    checks = [
        _at_least(congress, "meetings_last_year", "workers_congress.meetings_last_year", 1),
        _bool(s, "open_affairs", "open_affairs"),
    ]
    for board, seat, no_board in (
        ("has_board", "worker_director", "未设董事会，无需职工董事"),
        ("has_supervisory_board", "worker_supervisor", "未设监事会，无需职工监事"),
    ):
        has = _flag(s, board)
        if has is None:
            checks.append((None, FIELD_NAMES_ZH[board]))
        elif has:
            checks.append(_bool(s, seat, seat))
        else:
            checks.append((True, no_board))
    return _verdict("N3.2", checks)


@_rule("N3.3", reads=("skills_activities_last_year",))
def n3_3(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """组织职工开展劳动和技能竞赛、合理化建议、技能培训、技术革新、技术协作、发明创造、岗位练兵、疗休养等活动。"""
    return _verdict(
        "N3.3",
        [_at_least(s, "skills_activities_last_year", "skills_activities_last_year", 1)],
    )


@_rule("N3.4", reads=("culture_activities_last_year",))
def n3_4(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """教育职工践行社会主义核心价值观，鼓励支持职工学习文化科学技术和管理知识，开展文化体育活动。"""
    return _verdict(
        "N3.4",
        [_at_least(s, "culture_activities_last_year", "culture_activities_last_year", 1)],
    )


# --- 六个规范: 制度机制 ---------------------------------------------------------------------------


def _term_check(congress: Mapping[str, Any], path: str, name: str) -> tuple[Any, str]:
    term = _count(congress, "term_years")
    if term is None:
        return None, FIELD_NAMES_ZH[path]
    if term in (3, 5):
        return True, f"{name}每届任期 {term} 年"
    return False, f"{name}每届任期 {term} 年，应为 3 年或 5 年"


@_rule("N4.1", reads=("member_congress.term_years", "member_congress.meetings_last_year"))
def n4_1(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """会员代表大会实行届期制，每届任期3年或5年，每年召开一至两次会议。"""
    congress = _group(s, "member_congress")
    meetings = _count(congress, "meetings_last_year")
    if meetings is None:
        meeting_check: tuple[Any, str] = (
            None,
            FIELD_NAMES_ZH["member_congress.meetings_last_year"],
        )
    elif 1 <= meetings <= 2:
        meeting_check = (True, f"会员代表大会上年召开 {meetings} 次")
    else:
        meeting_check = (False, f"会员代表大会上年召开 {meetings} 次，应为一至两次")
    return _verdict(
        "N4.1",
        [_term_check(congress, "member_congress.term_years", "会员代表大会"), meeting_check],
    )


@_rule(
    "N4.2",
    applies_to=_ENTERPRISE_INSTITUTION,
    reads=(
        "union_type",
        "workers_congress.term_years",
        "workers_congress.meetings_last_year",
        "workers_congress.combined_with_member_congress",
    ),
)
def n4_2(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """职工代表大会每届任期3年或者5年，每年至少召开一次会议。工会会员（代表）大会与职工（代表）大会不得相互替代。

    Applies to enterprises and institutions.
    """
    union_type = _union_type(u)
    if union_type is None:
        return _review("N4.2", "union_type")
    if union_type not in _ENTERPRISE_INSTITUTION:
        return _not_applicable("N4.2", union_type, "企业、机关事业单位工会")
    congress = _group(s, "workers_congress")
    return _verdict(
        "N4.2",
        [
            _term_check(congress, "workers_congress.term_years", "职工代表大会"),
            _at_least(congress, "meetings_last_year", "workers_congress.meetings_last_year", 1),
            _bool_not(
                congress,
                "combined_with_member_congress",
                "workers_congress.combined_with_member_congress",
            ),
        ],
    )


@_rule("N4.3", applies_to=_ENTERPRISE, reads=("union_type", "collective_consultation_system"))
def n4_3(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """企业应当依法建立平等协商机制和集体合同制度。依法签订的集体合同对企业和企业全体职工均具有约束力。

    Applies to enterprises.
    """
    union_type = _union_type(u)
    if union_type is None:
        return _review("N4.3", "union_type")
    if union_type != "enterprise":
        return _not_applicable("N4.3", union_type, "企业工会")
    return _verdict(
        "N4.3", [_bool(s, "collective_consultation_system", "collective_consultation_system")]
    )


@_rule("N4.4", reads=("labor_law_supervision_system",))
def n4_4(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """企业应当依法建立工会劳动法律监督制度。

    NORMS.md applies it to every union ("always").
    """
    return _verdict(
        "N4.4", [_bool(s, "labor_law_supervision_system", "labor_law_supervision_system")]
    )


# --- 六个规范: 职工之家 ---------------------------------------------------------------------------


def _home_checks(s: Mapping[str, Any], keys: tuple[str, ...]) -> list[tuple[Any, str]]:
    home = _group(s, "home")
    return [_bool(home, key, f"home.{key}") for key in keys]


@_rule("N5.1", reads=("home.signage", "home.leaders_board"))
def n5_1(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """规范实施“双亮”,在企业显眼位置、职工经常出入的场所悬挂工会组织牌子和所在地工会“三师一室”公示牌,
    公示工会领导班子成员。
    """
    return _verdict("N5.1", _home_checks(s, ("signage", "leaders_board")))


@_rule("N5.2", reads=("roster_updated_on", "member_registration_forms"))
def n5_2(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """实施会员会籍动态管理,会员档案应包含会员登记表和会员花名册等相关资料,至少每半年更新一次。

    The roster was updated within 183 days before the assessment date (183 days old is still
    fresh), and registration forms are kept.
    """
    return _verdict(
        "N5.2",
        [
            _dated_within(
                _date(s, "roster_updated_on"),
                on,
                ROSTER_MAX_AGE_DAYS,
                "会员花名册更新",
                "roster_updated_on",
            ),
            _bool(s, "member_registration_forms", "member_registration_forms"),
        ],
    )


@_rule("N5.3", reads=("home.office", "home.equipment"))
def n5_3(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """有固定的工会办公场所以及开展工作所必须的办公设备、设施。"""
    return _verdict("N5.3", _home_checks(s, ("office", "equipment")))


@_rule("N5.4", reads=("archives_complete", "paper_archives"))
def n5_4(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """工会工作档案齐全完整规范,工会会员代表大会、职工代表大会、集体合同及专项集体合同以纸质形式存档。"""
    return _verdict(
        "N5.4",
        [
            _bool(s, "archives_complete", "archives_complete"),
            _bool(s, "paper_archives", "paper_archives"),
        ],
    )


_HOME_EIGHT = (
    "venue",
    "signage",
    "sports_facilities",
    "library",
    "rules",
    "activity_plan",
    "funds",
    "staff",
)


@_rule("N5.5", reads=tuple(f"home.{key}" for key in _HOME_EIGHT))
def n5_5(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """按照“有活动场所、有规范标识、有文体设施、有职工书屋、有管理制度、有活动计划、有经费保障、有人员管理”
    的标准，推进基层工会职工之家阵地标准化建设。

    All eight of the workers' home.
    """
    return _verdict("N5.5", _home_checks(s, _HOME_EIGHT))


# --- 六个规范: 工作绩效 ---------------------------------------------------------------------------


@_rule("N6.1", reads=("goal_management", "regular_study", "work_briefing"))
def n6_1(u: Mapping[str, Any], s: Mapping[str, Any], on: date) -> Finding:
    """建立制度。健全基层工会建设工作目标管理、定期研究、工作通报等制度。"""
    return _verdict(
        "N6.1",
        [
            _bool(s, "goal_management", "goal_management"),
            _bool(s, "regular_study", "regular_study"),
            _bool(s, "work_briefing", "work_briefing"),
        ],
    )


@_rule("N6.2", reads=(*_EVALUATION_READS, "member_evaluation.written"))
def n6_2(
    u: Mapping[str, Any],
    s: Mapping[str, Any],
    on: date,
    thresholds: Mapping[str, Any] | None = None,
) -> Finding:
    """会员评家。会员评家每年进行一次。采取书面的民主测评形式进行，综合评价可分为满意、基本满意、不满意三个等次。

    A member evaluation within 365 days before the assessment date, written, graded 满意 or 基本满意.
    """
    checks = _evaluation_checks(s, on, thresholds)
    checks.insert(1, _bool(_group(s, "member_evaluation"), "written", "member_evaluation.written"))
    return _verdict("N6.2", checks)


# --- the tables -----------------------------------------------------------------------------------


def _order(rule_id: str) -> tuple[int, ...]:
    return (0 if rule_id[0] == "H" else 1, *(int(part) for part in rule_id[1:].split(".")))


RULES: dict[str, Rule] = {
    rule_id: _REGISTRY[rule_id][0] for rule_id in sorted(_REGISTRY, key=_order)
}
RULES_BY_TRACK: dict[str, list[Rule]] = {
    SIX_HAVES: [rule for rule in RULES.values() if rule.id.startswith("H")],
    SIX_NORMS: [rule for rule in RULES.values() if rule.id.startswith("N")],
}
RULE_FUNCTIONS: dict[str, RuleFunction] = {rule_id: _REGISTRY[rule_id][1] for rule_id in RULES}
AREA_CODES: dict[str, tuple[str, ...]] = {
    track: tuple(dict.fromkeys(rule.area_code for rule in rules))
    for track, rules in RULES_BY_TRACK.items()
}
# Rules whose result depends on the campaign's evaluation thresholds.
_GRADED = frozenset({"H6", "N6.2"})
_PLAN: dict[str, tuple[tuple[str, RuleFunction], ...]] = {
    track: tuple((rule.id, RULE_FUNCTIONS[rule.id]) for rule in rules)
    for track, rules in RULES_BY_TRACK.items()
}


def assess(
    track: str,
    union: Mapping[str, Any],
    survey: Mapping[str, Any],
    assessed_on: date,
    *,
    evaluation_thresholds: Mapping[str, Any] | None = None,
) -> list[Finding]:
    """Run every rule of ``track``, in id order.

    ``union`` carries ``union_type``, ``ownership``, ``park_level`` (and ``founded_on``, not read
    here: the track is decided before). ``survey`` is the nested JSON of NORMS.md; dates may be ISO
    strings or ``date`` objects. ``evaluation_thresholds`` is the campaign's own grading rule for
    the member evaluation, see ``evaluation_grade``.
    """
    try:
        plan = _PLAN[track]
    except KeyError:
        raise ValueError(f"unknown track {track!r}") from None
    if not isinstance(survey, dict):
        survey = dict(survey)
    if not evaluation_thresholds:
        return [function(union, survey, assessed_on) for _rule_id, function in plan]
    return [
        function(union, survey, assessed_on, evaluation_thresholds)  # type: ignore[call-arg]
        if rule_id in _GRADED
        else function(union, survey, assessed_on)
        for rule_id, function in plan
    ]


_SCORE_PLACES = Decimal("0.0001")


def summarize(track: str, outcomes: Mapping[str, str]) -> Summary:
    """Add up the final outcomes (after overrides) of a track's rules, as NORMS.md says.

    An area is met when every counted rule in it is met or not applicable; the standard is met when
    all six areas are. Score = counted rules met ÷ counted rules applicable; advisory rules never
    count, whatever their outcome.
    """
    try:
        rules = RULES_BY_TRACK[track]
    except KeyError:
        raise ValueError(f"unknown track {track!r}") from None
    areas = dict.fromkeys(AREA_CODES[track], True)
    counted = met = 0
    needs_review: list[str] = []
    unmet: list[str] = []
    for rule in rules:
        outcome = outcomes.get(rule.id)
        if not rule.counted:
            if outcome == NEEDS_REVIEW:
                needs_review.append(rule.id)
            continue
        if outcome == NOT_APPLICABLE:
            continue
        counted += 1
        if outcome == MET:
            met += 1
            continue
        areas[rule.area_code] = False
        if outcome == UNMET:
            unmet.append(rule.id)
        else:
            needs_review.append(rule.id)
    score = None
    if counted:
        score = (Decimal(met) / Decimal(counted)).quantize(_SCORE_PLACES, rounding=ROUND_HALF_UP)
    return Summary(
        areas=areas,
        score=score,
        meets_standard=all(areas.values()),
        counted=counted,
        met=met,
        needs_review=needs_review,
        unmet=unmet,
    )
