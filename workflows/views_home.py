"""The home page of each role: what waits on this person, first.

- county officer: the county's unions by stage and track, and the queues that wait on them;
- federation officer: the approval queues and the campaign's progress by county;
- leader: subsidies waiting for sign-off (linked counties first) and the linked counties' progress;
- auditor: the audit explorer;
- union reporter: their own survey and what was sent back.

Every queue is one query with a fixed number of rows shown and its full count, so a home costs the
same at 20 unions as at 20,000.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Case as CaseWhen
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from inspections.models import Assessment, CountySummary, Finding
from inspections.services import survey_of, survey_problems
from inspections.summaries import visible_summaries
from subsidies.flows import committed_amount
from subsidies.models import SubsidyApplication
from subsidies.scope import visible_subsidies
from subsidies.services import signed_by_leader
from unions.models import Role, User

from .dashboard import county_rows_as_of
from .models import Campaign, Case, Event, GuidanceAction, Stage, Track
from .scope import visible_cases
from .views_common import selected_campaign

QUEUE = 12  # rows shown per queue; the count says how many there are

S = SubsidyApplication.State


def _counted(qs, limit: int = QUEUE) -> dict[str, Any]:
    """The first rows of a queue and how many it holds (two queries)."""
    return {"rows": list(qs[:limit]), "count": qs.count()}


def _stage_matrix(cases: QuerySet[Case]) -> dict[str, Any]:
    """The given cases by stage (rows) and track (columns): one query."""
    matrix = [
        {
            "stage": stage.value,
            "label": stage.label,
            "tracks": dict.fromkeys(Track.values, 0),
            "total": 0,
        }
        for stage in Stage
    ]
    index = {row["stage"]: row for row in matrix}
    counts = cases.values("stage", "track").annotate(n=Count("id")).order_by()
    for item in counts:
        row = index.get(item["stage"])
        if row is not None and item["track"] in row["tracks"]:
            row["tracks"][item["track"]] = item["n"]
            row["total"] += item["n"]
    totals = {track: sum(r["tracks"][track] for r in matrix) for track in Track.values}
    return {"rows": matrix, "totals": totals, "total": sum(totals.values())}


def _county_home(request: HttpRequest, user: User, campaign: Campaign | None) -> dict[str, Any]:
    if campaign is None:
        return {}
    # Everything here is read through the scope functions: for a county officer, their county.
    cases = visible_cases(user).filter(campaign=campaign).select_related("union")
    latest = Assessment.objects.filter(case=OuterRef("pk")).order_by("-run").values("pk")[:1]
    review_left = (
        Finding.objects.filter(assessment_id=OuterRef("latest_assessment"), outcome="needs_review")
        .order_by()
        .values("assessment_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    guidance = (
        GuidanceAction.objects.filter(case__in=cases, done_at__isnull=True)
        .select_related("case__union")
        .order_by("due_on", "case_id", "rule")
    )
    today = timezone.localdate()
    summary = visible_summaries(user).filter(campaign=campaign).first()
    return {
        "matrix": _stage_matrix(cases),
        "surveys_to_review": _counted(
            cases.filter(stage=Stage.SURVEY_REVIEW).order_by("updated_at", "id")
        ),
        "assessments_to_submit": _counted(
            cases.filter(stage=Stage.ASSESSMENT)
            .annotate(latest_assessment=Subquery(latest))
            .annotate(review_left=Subquery(review_left, output_field=IntegerField()))
            .order_by("updated_at", "id")
        ),
        "guidance_due": _counted(guidance),
        "guidance_overdue": guidance.filter(due_on__lt=today).count(),
        "subsidies_to_submit": _counted(
            visible_subsidies(user)
            .filter(case__campaign=campaign, state=S.DRAFT)
            .select_related("case__union")
            .order_by("id")
        ),
        "subsidies_to_apply": _counted(
            cases.filter(stage=Stage.SUBSIDY, subsidy__isnull=True).order_by("updated_at", "id")
        ),
        "summary": summary,
        "today": today,
    }


def _federation_home(request: HttpRequest, user: User, campaign: Campaign | None) -> dict[str, Any]:
    if campaign is None:
        return {}
    cases = visible_cases(user).filter(campaign=campaign).select_related("union__federation")
    progress, as_of = county_rows_as_of(campaign)
    return {
        "assessments": _counted(
            cases.filter(stage=Stage.ASSESSMENT_REVIEW).order_by("updated_at", "id")
        ),
        "recommendations": _counted(
            cases.filter(stage=Stage.SELECTION).order_by("updated_at", "id")
        ),
        "summaries": _counted(
            visible_summaries(user)
            .filter(campaign=campaign, state=CountySummary.State.SUBMITTED)
            .select_related("federation")
            .order_by("submitted_at", "id")
        ),
        "disbursements": _counted(
            visible_subsidies(user)
            .filter(case__campaign=campaign, state=S.SIGNED_OFF)
            .select_related("case__union__federation")
            .order_by("updated_at", "id")
        ),
        "progress": progress,
        "figures_as_of": as_of,
    }


def _leader_home(request: HttpRequest, user: User, campaign: Campaign | None) -> dict[str, Any]:
    if campaign is None:
        return {}
    linked = list(user.linked_federations.order_by("code").values_list("pk", flat=True))
    waiting = (
        visible_subsidies(user)
        .filter(signed_by_leader(user), case__campaign=campaign, state=S.SUBMITTED)
        .select_related("case__union__federation")
        .annotate(
            linked=CaseWhen(
                When(case__union__federation_id__in=linked, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("linked", "updated_at", "id")
    )
    committed = committed_amount(campaign.pk)
    progress, as_of = county_rows_as_of(campaign, linked) if linked else ([], None)
    return {
        "waiting": _counted(waiting, limit=20),
        "linked_ids": set(linked),
        "progress": progress,
        "figures_as_of": as_of,
        "committed": committed,
        "remaining": campaign.subsidy_budget - committed,
    }


def _reporter_home(request: HttpRequest, user: User, campaign: Campaign | None) -> dict[str, Any]:
    if campaign is None or not user.union_id:
        return {}
    case = (
        visible_cases(user)
        .filter(campaign=campaign, union_id=user.union_id)
        .select_related("union")
        .first()
    )
    if case is None:
        return {"case": None}
    survey = survey_of(case)
    returns = (
        Event.objects.filter(case=case, subject=Event.Subject.CASE, action="return_survey")
        .select_related("actor")
        .order_by("-id")
    )
    return {
        "case": case,
        "survey": survey,
        "problems": survey_problems(case) if case.stage == Stage.SURVEY else [],
        "returns": list(returns[:10]),
        "editable": case.stage == Stage.SURVEY,
    }


HOMES = {
    Role.COUNTY_OFFICER: ("workflows/home_county.html", _county_home),
    Role.FEDERATION_OFFICER: ("workflows/home_federation.html", _federation_home),
    Role.LEADER: ("workflows/home_leader.html", _leader_home),
    Role.UNION_REPORTER: ("workflows/home_reporter.html", _reporter_home),
}


def home(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    if user.role == Role.AUDITOR or (user.is_superuser and user.role not in HOMES):
        return redirect("audit")
    if user.role not in HOMES:
        return render(request, "workflows/home_none.html", status=403)
    template, build = HOMES[user.role]
    all_campaigns = list(Campaign.objects.order_by("-year"))
    campaign = selected_campaign(request, all_campaigns)
    context = {
        "campaign": campaign,
        "campaigns": all_campaigns,
        "stages": list(Stage),
        **build(request, user, campaign),
    }
    return render(request, template, context)
