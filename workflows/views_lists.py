"""Lists people work through: cases, subsidy applications, county summaries.

Each list filters, sorts and pages in the database, exports what it shows to .xlsx, and reads every
row's related data in the same query (select_related, annotations), so its query count does not
grow with its rows. Every list goes through the scope function of its model.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from inspections.models import Assessment, CountySummary
from inspections.summaries import summary_board, visible_summaries
from lib.xlsx import Column
from subsidies.models import SubsidyApplication
from subsidies.scope import visible_subsidies
from unions.models import Federation, Role, User
from unions.scope import visible_federations

from .models import Campaign, Stage, Track
from .scope import visible_cases
from .views_common import (
    EXPORT_LIMIT,
    campaigns,
    is_htmx,
    page_links,
    paginate,
    selected_campaign,
    sort_queryset,
    xlsx_response,
)


def _federation_choices(user: User) -> list[Federation]:
    return list(visible_federations(user).order_by("code"))


def _filter_federation(
    request: HttpRequest, qs: QuerySet, field: str, choices: list[Federation]
) -> tuple[QuerySet, str]:
    code = request.GET.get("federation", "")
    if code and any(f.code == code for f in choices):
        return qs.filter(**{field: code}), code
    return qs, ""


def _render_list(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    page = context["page"]
    context["page_numbers"] = page_links(page)
    context["query"] = request.GET.copy()
    context["query"].pop("page", None)
    if is_htmx(request):
        return render(request, template.replace(".html", "_table.html"), context)
    return render(request, template, context)


# --- cases --------------------------------------------------------------------------------------


CASE_SORTS = {
    "union": "union__name",
    "county": ("union__federation__code", "union__name"),
    "stage": "stage",
    "track": "track",
    "score": "score",
    "updated": "updated_at",
    "founded": "union__founded_on",
}


def cases_queryset(request: HttpRequest) -> tuple[QuerySet, dict[str, Any]]:
    user: User = request.user
    all_campaigns = campaigns()
    campaign = selected_campaign(request, all_campaigns)
    federations = _federation_choices(user)
    latest = Assessment.objects.filter(case=OuterRef("pk")).order_by("-run")
    qs = (
        visible_cases(user)
        .filter(campaign=campaign)
        .select_related("union__federation", "campaign")
        .annotate(
            score=Subquery(latest.values("score")[:1]),
            meets=Subquery(latest.values("meets_standard")[:1]),
        )
    )
    qs, federation = _filter_federation(request, qs, "union__federation__code", federations)
    stage = request.GET.get("stage", "")
    if stage in Stage.values:
        qs = qs.filter(stage=stage)
    track = request.GET.get("track", "")
    if track in Track.values:
        qs = qs.filter(track=track)
    meets = request.GET.get("meets", "")
    if meets == "yes":
        qs = qs.filter(meets=True)
    elif meets == "no":
        qs = qs.filter(meets=False)
    elif meets == "none":
        qs = qs.filter(meets__isnull=True)
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(union__name__icontains=q)
    if request.GET.get("returned") == "1":
        qs = qs.filter(returned_count__gt=0)
    qs, sort = sort_queryset(qs, request, CASE_SORTS, "county")
    filters = {
        "campaign": campaign,
        "campaigns": all_campaigns,
        "federations": federations,
        "federation": federation,
        "stages": Stage.choices,
        "stage": stage,
        "tracks": Track.choices,
        "track": track,
        "meets": meets,
        "q": q,
        "returned": request.GET.get("returned") == "1",
        "sort": sort,
    }
    return qs, filters


@never_cache
@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    qs, filters = cases_queryset(request)
    return _render_list(request, "lists/cases.html", {**filters, "page": paginate(request, qs)})


@login_required
def case_export(request: HttpRequest) -> HttpResponse:
    qs, _filters = cases_queryset(request)
    rows = (
        {
            "id": case.pk,
            "union": case.union.name,
            "county": case.union.federation.name,
            "type": case.union.get_union_type_display(),
            "founded": case.union.founded_on,
            "track": case.get_track_display(),
            "stage": case.get_stage_display(),
            "score": case.score,
            "meets": "" if case.meets is None else (_("Yes") if case.meets else _("No")),
            "returned": case.returned_count,
            "updated": case.updated_at,
        }
        for case in qs[:EXPORT_LIMIT].iterator(chunk_size=1000)
    )
    columns = [
        Column("id", _("Case")),
        Column("union", _("Union"), 40),
        Column("county", _("County")),
        Column("type", _("Type")),
        Column("founded", _("Founded on")),
        Column("track", _("Track")),
        Column("stage", _("Stage")),
        Column("score", _("Score")),
        Column("meets", _("Meets its standard")),
        Column("returned", _("Times sent back")),
        Column("updated", _("Last change")),
    ]
    return xlsx_response("cases", rows, columns, title=_("Cases"))


# --- subsidies ----------------------------------------------------------------------------------

SUBSIDY_SORTS = {
    "union": "case__union__name",
    "county": ("case__union__federation__code", "case__union__name"),
    "amount": "amount",
    "state": "state",
    "updated": "updated_at",
}


def subsidies_queryset(request: HttpRequest) -> tuple[QuerySet, dict[str, Any]]:
    user: User = request.user
    all_campaigns = campaigns()
    campaign = selected_campaign(request, all_campaigns)
    federations = _federation_choices(user)
    qs = (
        visible_subsidies(user)
        .filter(case__campaign=campaign)
        .select_related("case__union__federation", "case__campaign")
    )
    qs, federation = _filter_federation(request, qs, "case__union__federation__code", federations)
    state = request.GET.get("state", "")
    if state in SubsidyApplication.State.values:
        qs = qs.filter(state=state)
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(case__union__name__icontains=q)
    qs, sort = sort_queryset(qs, request, SUBSIDY_SORTS, "-updated")
    return qs, {
        "campaign": campaign,
        "campaigns": all_campaigns,
        "federations": federations,
        "federation": federation,
        "states": SubsidyApplication.State.choices,
        "state": state,
        "q": q,
        "sort": sort,
    }


@never_cache
@login_required
def subsidy_list(request: HttpRequest) -> HttpResponse:
    qs, filters = subsidies_queryset(request)
    from django.db.models import Sum

    total = qs.order_by().aggregate(total=Sum("amount"))["total"]
    return _render_list(
        request,
        "lists/subsidies.html",
        {**filters, "page": paginate(request, qs), "total_amount": total},
    )


@login_required
def subsidy_export(request: HttpRequest) -> HttpResponse:
    qs, _filters = subsidies_queryset(request)
    rows = (
        {
            "id": item.pk,
            "union": item.case.union.name,
            "county": item.case.union.federation.name,
            "track": item.case.get_track_display(),
            "amount": item.amount,
            "state": item.get_state_display(),
            "updated": item.updated_at,
        }
        for item in qs[:EXPORT_LIMIT].iterator(chunk_size=1000)
    )
    columns = [
        Column("id", _("Application")),
        Column("union", _("Union"), 40),
        Column("county", _("County")),
        Column("track", _("Track")),
        Column("amount", _("Amount (yuan)")),
        Column("state", _("State")),
        Column("updated", _("Last change")),
    ]
    return xlsx_response("subsidies", rows, columns, title=_("Subsidies"))


# --- county summaries ---------------------------------------------------------------------------

SUMMARY_SORTS = {
    "county": "federation__code",
    "state": "state",
    "submitted": "submitted_at",
    "campaign": "campaign__year",
}


def summaries_queryset(request: HttpRequest) -> tuple[QuerySet, dict[str, Any]]:
    user: User = request.user
    if user.role == Role.UNION_REPORTER:
        raise PermissionDenied
    all_campaigns = campaigns()
    campaign = selected_campaign(request, all_campaigns)
    qs = visible_summaries(user).filter(campaign=campaign).select_related("federation", "campaign")
    state = request.GET.get("state", "")
    if state in CountySummary.State.values:
        qs = qs.filter(state=state)
    qs, sort = sort_queryset(qs, request, SUMMARY_SORTS, "county")
    return qs, {
        "campaign": campaign,
        "campaigns": all_campaigns,
        "states": CountySummary.State.choices,
        "state": state,
        "sort": sort,
    }


@never_cache
@login_required
def summary_list(request: HttpRequest) -> HttpResponse:
    qs, filters = summaries_queryset(request)
    campaign: Campaign | None = filters["campaign"]
    user: User = request.user
    board = summary_board(campaign, user) if campaign is not None else []
    mine = None
    if campaign is not None and user.role == Role.COUNTY_OFFICER:
        mine = (
            visible_summaries(user)
            .filter(campaign=campaign, federation_id=user.federation_id)
            .first()
        )
    return _render_list(
        request,
        "lists/summaries.html",
        {
            **filters,
            "page": paginate(request, qs),
            "board": [row for row in board if row["state"] == "missing"],
            "can_start": user.role == Role.COUNTY_OFFICER and campaign is not None and mine is None,
            "mine": mine,
        },
    )


@login_required
def summary_export(request: HttpRequest) -> HttpResponse:
    qs, _filters = summaries_queryset(request)
    rows = (
        {
            "county": item.federation.name,
            "campaign": item.campaign.year,
            "state": item.get_state_display(),
            "submitted": item.submitted_at,
            "late": _("Yes") if item.late else _("No"),
        }
        for item in qs[:EXPORT_LIMIT]
    )
    columns = [
        Column("county", _("County")),
        Column("campaign", _("Campaign")),
        Column("state", _("State")),
        Column("submitted", _("Submitted")),
        Column("late", _("Late")),
    ]
    return xlsx_response("summaries", rows, columns, title=_("Summaries"))
