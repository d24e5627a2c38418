"""The case page (/cases/<id>/) and the forms on it: transitions, overrides, the subsidy.

Every POST calls one service and redirects back (post/redirect/get); what the service refuses
becomes a message on the page: the reason of a 409, the fields of a 400. Outside scope is 404.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from inspections import rules
from inspections.models import Assessment
from inspections.services import current_assessment, do_override_finding, survey_of, survey_problems
from lib.errors import RoleForbidden, ServiceError
from lib.text import join_list
from subsidies.models import SubsidyApplication
from subsidies.services import (
    available_subsidy_transitions,
    do_create_subsidy,
    do_subsidy_transition,
)
from unions.models import Role, User

from .flows import CaseFlow
from .guidance import do_mark_guidance_done, guidance_plan
from .history import case_timeline
from .models import Case, Stage
from .services import available_transitions, do_transition, get_case_for_user
from .views_common import action_label, change_rows, error_text, raise_for_page


def load_case(request: HttpRequest, pk: int) -> Case:
    """The case if the user may see it; 404 otherwise (never 403: nothing leaks)."""
    try:
        return get_case_for_user(request.user, pk)
    except ServiceError as exc:
        raise_for_page(exc)
        raise


def full_years(founded: date, on: date) -> int:
    """Whole years from ``founded`` to ``on``; a Feb 29 founding has its anniversary on Feb 28,
    as ``inspections.rules.track_for`` counts it."""
    years = on.year - founded.year
    try:
        anniversary = founded.replace(year=on.year)
    except ValueError:
        anniversary = date(on.year, 2, 28)
    return years - 1 if on < anniversary else years


def _who_acts(name: str) -> str:
    transition = next(iter(getattr(CaseFlow, name).get_transitions()))
    roles = getattr(transition.permission, "roles", ())
    return join_list(Role(role).label for role in roles)


def _transitions_for(case: Case, user: User) -> list[dict[str, Any]]:
    if user.is_auditor:
        return []
    out = []
    for item in available_transitions(case, user):
        transition = next(iter(getattr(CaseFlow, item["name"]).get_transitions()))
        roles = getattr(transition.permission, "roles", ())
        out.append(
            {
                **item,
                "who": _who_acts(item["name"]),
                "permitted": user.role in roles,
                "requires_comment": bool(transition.custom.get("requires_comment")),
                "back": Stage.values.index(str(transition.target)) < Stage.values.index(case.stage),
            }
        )
    return out


def _findings_by_area(assessment: Assessment | None) -> list[dict[str, Any]]:
    if assessment is None:
        return []
    summary = rules.summarize(
        assessment.track, dict(assessment.findings.values_list("rule", "outcome"))
    )
    areas: OrderedDict[str, dict[str, Any]] = OrderedDict()
    for finding in assessment.findings.select_related("overridden_by").order_by("id"):
        rule = rules.RULES.get(finding.rule)
        code = rule.area_code if rule else finding.area
        area = areas.setdefault(
            code,
            {
                "code": code,
                "name": rule.area if rule else finding.area,
                "met": summary.areas.get(code),
                "findings": [],
                "open": False,
            },
        )
        area["findings"].append(
            {
                "obj": finding,
                "clause": rule.clause if rule else "",
                "counted": rule.counted if rule else True,
                "overridden": finding.outcome != finding.auto_outcome
                or bool(finding.override_reason),
            }
        )
        if finding.outcome in (rules.UNMET, rules.NEEDS_REVIEW):
            area["open"] = True
    return list(areas.values())


def _timeline(case: Case) -> tuple[list[dict[str, Any]], set[str], bool]:
    entries = []
    visited: set[str] = set()
    selected = False
    for entry in case_timeline(case):
        action = entry["action"]
        is_case_event = "event" in entry and not action.startswith("subsidy.")
        if is_case_event:
            for key in ("from", "to"):
                if entry[key] in Stage.values:
                    visited.add(entry[key])
            selected = selected or action == "select_model"
        stage_change = is_case_event and entry["from"] != entry["to"] and entry["from"]
        label = action_label(action)
        entries.append(
            {
                "at": datetime.fromisoformat(entry["at"]),
                "actor": (entry["actor"] or {}).get("name") or _("System"),
                "action": label,
                "from": Stage(entry["from"]).label if stage_change else "",
                "to": Stage(entry["to"]).label if stage_change else "",
                # A history row without a comment carries its own name as the reason.
                "reason": "" if entry["reason"] in (label, action) else entry["reason"],
                "changes": change_rows(entry["changes"]),
                "is_event": "event" in entry,
            }
        )
    entries.reverse()  # newest first on the page
    return entries, visited, selected


@never_cache
@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = load_case(request, pk)
    user: User = request.user
    transitions = _transitions_for(case, user)
    assessment = current_assessment(case)
    summary = None
    if assessment is not None:
        summary = rules.summarize(
            assessment.track, dict(assessment.findings.values_list("rule", "outcome"))
        )
    timeline, visited, selected = _timeline(case)
    visited.add(case.stage)
    skipped = ()
    if case.stage == Stage.CLOSED and not selected:
        skipped = (Stage.SELECTION, Stage.SUBSIDY)
    subsidy = SubsidyApplication.objects.filter(case=case).first()
    subsidy_transitions = []
    if subsidy is not None and not user.is_auditor:
        subsidy_transitions = available_subsidy_transitions(subsidy, user)
    survey = survey_of(case)
    reference = case.campaign.reference_date
    works_here = user.role == Role.COUNTY_OFFICER and user.federation_id == case.union.federation_id
    context = {
        "case": case,
        "union": case.union,
        "campaign": case.campaign,
        "transitions": transitions,
        "assessment": assessment,
        "summary": summary,
        "areas": _findings_by_area(assessment),
        "can_override": works_here and case.stage == Stage.ASSESSMENT and assessment is not None,
        "override_choices": [
            (value, rules.OUTCOME_LABELS[value])
            for value in (rules.MET, rules.UNMET, rules.NOT_APPLICABLE, rules.NEEDS_REVIEW)
        ],
        "guidance": list(guidance_plan(case)),
        "can_mark_done": works_here and case.stage == Stage.GUIDANCE,
        "subsidy": subsidy,
        "subsidy_transitions": subsidy_transitions,
        "can_apply_subsidy": works_here and case.stage == Stage.SUBSIDY and subsidy is None,
        "default_amount": case.campaign.subsidy_amount(case.track),
        "survey": survey,
        "survey_problems": survey_problems(case) if case.stage == Stage.SURVEY else [],
        "timeline": timeline,
        "visited": visited,
        "skipped": skipped,
        "years": full_years(case.union.founded_on, reference),
        "visits": list(case.visits.prefetch_related("files").order_by("-visited_on", "-id")),
        "read_only": user.is_auditor,
    }
    return render(request, "workflows/case_detail.html", context)


def _back(request: HttpRequest, case_id: int) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(reverse("case-detail", args=[case_id]))


@login_required
@require_POST
def case_transition(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    try:
        case = do_transition(pk, name, actor=request.user, comment=request.POST.get("comment", ""))
    except ServiceError as exc:
        _refused(request, exc)
        return _back(request, pk)
    messages.success(
        request,
        _("Done: %(action)s. The case is now at “%(stage)s”.")
        % {"action": action_label(name), "stage": Stage(case.stage).label},
    )
    return _back(request, pk)


def _refused(request: HttpRequest, exc: ServiceError, prefix: str = "") -> None:
    """What a service refused, as a message: outside scope stays a 404; a role that may not act,
    an unavailable step (409) and bad input (400) are told on the page."""
    if isinstance(exc, RoleForbidden):
        text = _("Your role may not do this.")
    else:
        raise_for_page(exc)
        text = error_text(exc)
    messages.error(request, f"{prefix}{text}")


@login_required
@require_POST
def case_override(request: HttpRequest, pk: int) -> HttpResponse:
    rule = request.POST.get("rule", "")
    try:
        do_override_finding(
            pk,
            rule,
            request.POST.get("outcome", ""),
            request.POST.get("reason", ""),
            actor=request.user,
        )
    except ServiceError as exc:
        _refused(request, exc, prefix=f"{rule}: ")
        return redirect(reverse("case-detail", args=[pk]) + f"#rule-{rule}")
    messages.success(request, _("The finding of %(rule)s was recorded.") % {"rule": rule})
    return redirect(reverse("case-detail", args=[pk]) + f"#rule-{rule}")


@login_required
@require_POST
def guidance_done(request: HttpRequest, pk: int, action_id: int) -> HttpResponse:
    try:
        action = do_mark_guidance_done(
            pk, action_id, actor=request.user, note=request.POST.get("note", "")
        )
    except ServiceError as exc:
        _refused(request, exc)
        return redirect(reverse("case-detail", args=[pk]) + "#guidance-h")
    messages.success(request, _("Step %(rule)s is recorded as done.") % {"rule": action.rule})
    return redirect(reverse("case-detail", args=[pk]) + "#guidance-h")


@login_required
@require_POST
def case_subsidy_create(request: HttpRequest, pk: int) -> HttpResponse:
    load_case(request, pk)
    amount = None
    raw = request.POST.get("amount", "").strip()
    if raw:
        try:
            amount = Decimal(raw).quantize(Decimal("0.01"))
        except InvalidOperation:
            messages.error(request, _("Enter the amount in yuan, such as 5000.00."))
            return redirect("case-detail", pk)
    try:
        do_create_subsidy(pk, actor=request.user, amount=amount)
    except ServiceError as exc:
        _refused(request, exc)
        return redirect("case-detail", pk)
    messages.success(request, _("The subsidy application was created."))
    return redirect("case-detail", pk)


@login_required
@require_POST
def subsidy_transition(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    from subsidies.scope import visible_subsidies

    case_id = (
        visible_subsidies(request.user).filter(pk=pk).values_list("case_id", flat=True).first()
    )
    try:
        application = do_subsidy_transition(
            pk, name, actor=request.user, comment=request.POST.get("comment", "")
        )
    except ServiceError as exc:
        _refused(request, exc)
        return _back(request, case_id)
    messages.success(
        request,
        _("Done: %(action)s. The subsidy is now “%(state)s”.")
        % {"action": action_label(name, "subsidy"), "state": application.get_state_display()},
    )
    return _back(request, case_id)
