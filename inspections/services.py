"""Surveys, assessments and overrides: the only place they change.

The rules themselves are pure functions in ``inspections.rules``; this module feeds them the
case's data, stores what they find, and audits every change like ``workflows.services``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from lib.audit import save_audited as _save
from lib.errors import InvalidInput, RoleForbidden
from lib.sql import STAND_IN_ID, PreparedQuery
from lib.text import join_list, join_sentences
from unions.models import Role, User
from workflows.events import record_case_event
from workflows.models import Case, GuidanceAction, Stage

from . import rules
from .guidance import suggested_step
from .models import Assessment, Finding, MemberEvaluation, Survey
from .survey import FIELDS_BY_PATH, flatten, prefill_from, validate_survey

# During guidance the union puts things right and its survey is brought up to date, so that
# ``reassess`` (NORMS.md: "reruns the rules on the current survey") can find the rules now met.
EDITABLE_STAGES = (Stage.SURVEY, Stage.GUIDANCE)


def today() -> date:
    return timezone.localdate()


def union_facts(case: Case) -> dict[str, Any]:
    union = case.union
    return {
        "union_type": union.union_type,
        "ownership": union.ownership or None,
        "park_level": union.park_level or None,
        "founded_on": union.founded_on,
    }


# --- Survey -----------------------------------------------------------------------------------


def survey_of(case: Case) -> Survey | None:
    try:
        return case.survey
    except Survey.DoesNotExist:
        return None


def field_label(path: str) -> str:
    """A survey field's name for people: the annex's Chinese wording (``rules.FIELD_NAMES_ZH``,
    which the zh-hans catalogue is to follow) when Chinese is active, else the translated label of
    ``survey.FIELDS``; a list item (``committee.members.0.name``) is named by its list. Unknown
    paths are returned as they are."""
    spec = FIELDS_BY_PATH.get(path)
    if spec is None:
        parent = next((p for p in FIELDS_BY_PATH if path.startswith(f"{p}.")), None)
        if parent is None:
            return path
        spec = FIELDS_BY_PATH[parent]
    if (get_language() or "").startswith("zh"):
        return rules.FIELD_NAMES_ZH.get(spec.path, str(spec.label))
    return str(spec.label)


def survey_problems(case: Case) -> list[str]:
    """What keeps the survey from being submitted (empty when complete and valid), in the
    survey's order: the label of each missing field, ``label：message`` for any other error."""
    survey = survey_of(case)
    data = survey.data if survey else {}
    _cleaned, errors = validate_survey(
        data, today=today(), complete=True, union_type=case.union.union_type, track=case.track
    )
    required = gettext("This field is required.")
    order = {path: index for index, path in enumerate(FIELDS_BY_PATH)}

    def position(path: str) -> tuple[int, str]:
        parent = next((p for p in order if path == p or path.startswith(f"{p}.")), None)
        return (order[parent] if parent else len(order), path)

    problems = []
    for path in sorted(errors, key=position):
        for message in errors[path]:
            label = field_label(path)
            problems.append(label if message == required else f"{label}：{message}")
    return problems


def prefill_survey(case: Case, *, actor: User | None) -> Survey:
    """Start the case's survey from the union's previous one, so only changes are typed."""
    previous = (
        Survey.objects.filter(case__union_id=case.union_id)
        .exclude(case=case)
        .order_by("-case__campaign__year")
        .first()
    )
    data = prefill_from(previous.data) if previous else {}
    survey = Survey(case=case, data=data, prefilled=sorted(flatten(data)) if data else [])
    _save(survey, actor, _("Pre-filled from the previous campaign") if data else _("Survey opened"))
    return survey


def do_save_survey(case: Case, data: dict[str, Any], *, actor: User) -> Survey:
    """Save the survey as a draft (PUT replaces it whole). Bad fields: 400, nothing saved."""
    if actor.role not in (Role.UNION_REPORTER, Role.COUNTY_OFFICER):
        raise RoleForbidden()
    from workflows.services import get_case_for_user

    with transaction.atomic():
        case = get_case_for_user(actor, case.pk, lock=True)
        if actor.role == Role.UNION_REPORTER and actor.union_id != case.union_id:
            raise RoleForbidden()
        if case.stage not in EDITABLE_STAGES:
            from lib.errors import Conflict

            raise Conflict(_("The survey can only be changed at the survey or guidance stage."))
        cleaned, errors = validate_survey(
            data, today=today(), union_type=case.union.union_type, track=case.track
        )
        if errors:
            raise InvalidInput(errors)
        survey = survey_of(case) or Survey(case=case)
        if apply_survey_data(survey, cleaned) or survey.pk is None:
            _save(survey, actor, _("Survey saved"))
    return survey


def apply_survey_data(survey: Survey, cleaned: dict[str, Any]) -> set[str]:
    """Put validated data into ``survey`` (unsaved) and return the dotted paths that changed.

    A changed path was entered by a person: it joins ``typed`` and leaves ``prefilled`` (the
    burden meter counts both). When nothing changed nothing is touched, so saving the same
    answers twice writes no history.
    """
    old = flatten(survey.data)
    new = flatten(cleaned)
    changed = {path for path in set(old) | set(new) if old.get(path) != new.get(path)}
    if changed:
        survey.data = cleaned
        survey.prefilled = sorted(p for p in survey.prefilled if p in new and p not in changed)
        survey.typed = sorted((set(survey.typed) | changed) & set(new))
    return changed


def mark_survey_submitted(case: Case, *, actor: User | None = None) -> None:
    survey = survey_of(case)
    if survey is None:
        return
    survey.submitted_at = timezone.now()
    _save(survey, actor, _("Survey submitted"), update_fields=["submitted_at", "updated_at"])
    _record_member_evaluation(case, survey.data, actor=actor)


def _record_member_evaluation(
    case: Case, data: dict[str, Any], *, actor: User | None = None
) -> MemberEvaluation | None:
    """会员评家: the survey's ballots become the union's evaluation of that year (the year it was
    held, else the campaign's), graded by the campaign's thresholds or the plurality rule. A
    resubmission with the same ballots writes nothing."""
    ballots = data.get("member_evaluation") or {}
    if not ballots:
        return None
    held_on = ballots.get("held_on")
    year = date.fromisoformat(held_on).year if isinstance(held_on, str) else case.campaign.year
    found = _LOCKED_EVALUATION.rows(case.union_id, year)
    evaluation = found[0] if found else MemberEvaluation(union_id=case.union_id, year=year)
    before = _evaluation_values(evaluation)
    evaluation.held_on = date.fromisoformat(held_on) if isinstance(held_on, str) else None
    evaluation.written = bool(ballots.get("written"))
    evaluation.satisfied = ballots.get("satisfied") or 0
    evaluation.basically_satisfied = ballots.get("basically_satisfied") or 0
    evaluation.unsatisfied = ballots.get("unsatisfied") or 0
    evaluation.grade = (
        rules.evaluation_grade(
            evaluation.satisfied,
            evaluation.basically_satisfied,
            evaluation.unsatisfied,
            case.campaign.evaluation_thresholds,
        )
        or ""
    )
    if evaluation.pk is None or _evaluation_values(evaluation) != before:
        _save(evaluation, actor, _("Member evaluation recorded from the survey"))
    return evaluation


# Read and locked on every submitted survey, so compiled once (lib.sql.PreparedQuery): a union
# has at most one evaluation a year (unique together), so no ordering or limit is needed. The
# year's stand-in must fit its small-integer column (out of range, Django would compile the
# lookup to nothing) and be no real year.
_LOCKED_EVALUATION = PreparedQuery(
    lambda union_id, year: (
        MemberEvaluation.objects.select_for_update().filter(union_id=union_id, year=year).order_by()
    ),
    stand_ins=[STAND_IN_ID, 32_000],
)


def _evaluation_values(evaluation: MemberEvaluation) -> tuple[Any, ...]:
    return (
        evaluation.held_on,
        evaluation.written,
        evaluation.satisfied,
        evaluation.basically_satisfied,
        evaluation.unsatisfied,
        evaluation.grade,
    )


# --- Assessment -------------------------------------------------------------------------------


def current_assessment(case: Case) -> Assessment | None:
    return case.assessments.order_by("-run").first()


def run_assessment(case: Case, *, actor: User | None) -> Assessment:
    """Run the rules of the case's track on its survey as of today and store the findings.

    Called by the ``accept_survey`` and ``reassess`` transitions, inside their transaction.

    1. The rules decide each finding afresh.
    2. Each override of the run before (a confirmation included) carries over to the rule's new
       finding when the rule decided the same on the same evidence; otherwise it lapses, and the
       assessment lists it with what changed (``_carry_over_overrides``).
    3. Score and ``meets_standard`` are counted after that, so a carried override counts.
    4. One event tells the officers what carried over and what lapsed (``_record_carry_over``).
    """
    survey = survey_of(case)
    data = survey.data if survey else {}
    assessed_on = today()
    found = rules.assess(
        case.track,
        union_facts(case),
        data,
        assessed_on,
        evaluation_thresholds=case.campaign.evaluation_thresholds,
    )
    previous = current_assessment(case)
    findings, lapsed = _carry_over_overrides(found, previous)
    summary = rules.summarize(case.track, {f.rule: f.outcome for f in findings})
    assessment = Assessment(
        case=case,
        run=(previous.run + 1) if previous else 1,
        track=case.track,
        assessed_on=assessed_on,
        survey_snapshot=data,
        score=summary.score,
        meets_standard=summary.meets_standard,
        lapsed_overrides=lapsed,
        created_by=actor,
    )
    _save(assessment, actor, _("Rules run"))
    for finding in findings:
        finding.assessment = assessment
    bulk_create_with_history(
        findings, Finding, default_user=actor, default_change_reason=_("Rules run")
    )
    if previous is not None:
        _record_carry_over(case, previous, findings, lapsed, actor)
        _close_met_guidance(case, summary, actor)
    return assessment


def _carry_over_overrides(
    found: list[rules.Finding], previous: Assessment | None
) -> tuple[list[Finding], list[dict[str, Any]]]:
    """The new run's findings (unsaved, without their assessment) and the overrides that lapsed.

    An override holds while the facts it was made on hold: the rule's automatic outcome and its
    evidence (the input values, in words) are both what they were in the previous run. Then the
    officer's outcome, reason, name and time carry over, and the history row says from which
    run. When either differs, the rules' outcome counts again and the override lapses, so an
    officer never keeps a decision made on facts that are no longer true.
    """
    earlier = _overrides_of(previous)
    findings, lapsed = [], []
    for result in found:
        finding = Finding(
            rule=result.rule,
            area=result.area,
            auto_outcome=result.outcome,
            outcome=result.outcome,
            evidence=result.evidence,
        )
        override = earlier.pop(result.rule, None)
        if override is not None:
            same_facts = (override.auto_outcome, override.evidence) == (
                result.outcome,
                result.evidence,
            )
            if same_facts:
                _carry(override, finding, previous.run)
            else:
                lapsed.append(_lapsed_override(override, result))
                finding._change_reason = _(
                    "Rules run; the override of run %(run)d lapsed because the facts changed"
                ) % {"run": previous.run}
        findings.append(finding)
    lapsed += [_lapsed_override(override, None) for override in earlier.values()]
    return findings, lapsed


def _carry(override: Finding, finding: Finding, run: int) -> None:
    """Give ``finding`` the officer's decision of ``override``, made in ``run``; its history
    row (``bulk_create_with_history`` reads ``_change_reason``) says where it came from."""
    finding.outcome = override.outcome
    finding.override_reason = override.override_reason
    finding.overridden_by = override.overridden_by
    finding.overridden_at = override.overridden_at
    finding.carried_over_from = run
    finding._change_reason = _("Override carried over from run %(run)d") % {"run": run}


def _overrides_of(assessment: Assessment | None) -> dict[str, Finding]:
    """The findings of ``assessment`` an officer decided (overrode or confirmed), by rule."""
    if assessment is None:
        return {}
    decided = assessment.findings.filter(overridden_at__isnull=False).select_related(
        "overridden_by"
    )
    return {finding.rule: finding for finding in decided.order_by("id")}


def _lapsed_override(override: Finding, now: rules.Finding | None) -> dict[str, Any]:
    """An override that did not carry over, as JSON: what the officer decided and why, and
    which facts changed (``now`` is ``None`` when the rule is not assessed any more, e.g. after
    the track changed)."""
    if now is None:
        changed = ["rule"]
    else:
        changed = [
            name
            for name, value in (("auto_outcome", now.outcome), ("evidence", now.evidence))
            if getattr(override, name) != value
        ]
    officer = override.overridden_by
    return {
        "rule": override.rule,
        "outcome": override.outcome,
        "override_reason": override.override_reason,
        "overridden_by": {"username": officer.username, "name": officer.name},
        "overridden_at": override.overridden_at.isoformat(),
        "changed": changed,
        "auto_outcome": [override.auto_outcome, now.outcome if now else None],
        "evidence": [override.evidence, now.evidence if now else None],
    }


def _record_carry_over(
    case: Case,
    previous: Assessment,
    findings: list[Finding],
    lapsed: list[dict[str, Any]],
    actor: User | None,
) -> None:
    """The case event of a rerun that met earlier overrides: which carried over and which
    lapsed and why, in its data; in words, in its comment, for the timeline. ``do_transition``
    records the transition's own event right after this one, in the same transaction."""
    carried = [f.rule for f in findings if f.carried_over_from is not None]
    if not carried and not lapsed:
        return
    words = []
    if carried:
        words.append(
            _("Overrides carried over from run %(run)d: %(rules)s.")
            % {"run": previous.run, "rules": join_list(carried)}
        )
    if lapsed:
        words.append(
            _("Overrides lapsed because the facts changed: %(rules)s.")
            % {"rules": join_list(item["rule"] for item in lapsed)}
        )
    record_case_event(
        case,
        actor=actor,
        action="carry_over_overrides",
        from_stage=case.stage,
        to_stage=case.stage,
        comment=join_sentences(words),
        data={
            "from_run": previous.run,
            "run": previous.run + 1,
            "carried": carried,
            "lapsed": lapsed,
        },
    )


def assessment_summary(case: Case) -> rules.Summary | None:
    assessment = current_assessment(case)
    if assessment is None:
        return None
    outcomes = dict(assessment.findings.values_list("rule", "outcome"))
    return rules.summarize(assessment.track, outcomes)


def rules_needing_review(case: Case) -> list[str]:
    assessment = current_assessment(case)
    if assessment is None:
        return []
    return list(
        assessment.findings.filter(outcome=rules.NEEDS_REVIEW)
        .order_by("id")
        .values_list("rule", flat=True)
    )


OVERRIDABLE = (rules.MET, rules.UNMET, rules.NOT_APPLICABLE, rules.NEEDS_REVIEW)


def do_override_finding(
    case_id: int, rule: str, outcome: str, reason: str, *, actor: User
) -> Finding:
    """Confirm or override one finding of the current assessment, with a written reason."""
    from workflows.services import get_case_for_user

    if actor.role != Role.COUNTY_OFFICER:
        raise RoleForbidden()
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if outcome not in OVERRIDABLE:
        errors["outcome"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(OVERRIDABLE)}]
    if not reason:
        errors["reason"] = [_("A written reason is required.")]
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        case = get_case_for_user(actor, case_id, lock=True)
        if actor.federation_id != case.union.federation_id:
            raise RoleForbidden()
        if case.stage not in (Stage.ASSESSMENT,):
            from lib.errors import Conflict

            raise Conflict(_("Findings can only be changed while the case is being assessed."))
        assessment = current_assessment(case)
        finding = assessment.findings.filter(rule=rule).first() if assessment else None
        if finding is None:
            raise InvalidInput({"rule": [_("No finding for rule %(rule)s.") % {"rule": rule}]})
        old = finding.outcome
        finding.outcome = outcome
        finding.override_reason = reason
        finding.overridden_by = actor
        finding.overridden_at = timezone.now()
        finding.carried_over_from = None
        _save(finding, actor, reason)
        summary = rules.summarize(
            assessment.track, dict(assessment.findings.values_list("rule", "outcome"))
        )
        assessment.score = summary.score
        assessment.meets_standard = summary.meets_standard
        _save(assessment, actor, reason, update_fields=["score", "meets_standard"])
        record_case_event(
            case,
            actor=actor,
            action="override",
            from_stage=case.stage,
            to_stage=case.stage,
            comment=reason,
            data={"rule": rule, "outcome": [old, outcome]},
        )
    return finding


# --- Guidance ---------------------------------------------------------------------------------


def make_guidance_plan(case: Case, *, actor: User | None) -> list[GuidanceAction]:
    """One action per unmet (or undecided) rule, with the clause and a suggested step.

    On a later approval (after ``reassess``) an action whose rule is unmet again reopens, and one
    whose rule is now met closes (an officer's override after the rerun can meet it too)."""
    assessment = current_assessment(case)
    if assessment is None:
        return []
    made = []
    due = case.campaign.summary_deadline
    findings = list(assessment.findings.all())
    existing = {action.rule: action for action in GuidanceAction.objects.filter(case=case)}
    for finding in findings:
        if finding.outcome in (rules.MET, rules.NOT_APPLICABLE, rules.ADVISORY):
            continue
        action = existing.get(finding.rule)
        if action is None:
            rule = rules.RULES.get(finding.rule)
            action = GuidanceAction(
                case=case,
                rule=finding.rule,
                clause=rule.clause if rule else "",
                step=suggested_step(finding.rule),
                owner=case.union.contact_name,
                due_on=due,
            )
            _save(action, actor, _("Guidance plan made"), force_insert=True)
        elif action.done_at is not None:
            action.done_at = None
            action.done_by = None
            action.closed_by_reassessment = False
            _save(action, actor, _("Rule unmet again"))
        made.append(action)
    summary = rules.summarize(assessment.track, {f.rule: f.outcome for f in findings})
    _close_met_guidance(case, summary, actor)
    return made


def _close_met_guidance(case: Case, summary: rules.Summary, actor: User | None) -> None:
    still_open = set(summary.unmet) | set(summary.needs_review)
    for action in GuidanceAction.objects.filter(case=case, done_at__isnull=True).exclude(
        rule__in=still_open
    ):
        action.done_at = timezone.now()
        action.closed_by_reassessment = True
        _save(action, actor, _("Rule met on reassessment"))
