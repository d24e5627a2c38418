"""The registry's pages: the list of grassroots unions in scope, and one union."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from lib.xlsx import Column
from workflows.models import Case, Event, Stage, Track
from workflows.views_common import (
    EXPORT_LIMIT,
    action_label,
    campaigns,
    change_rows,
    is_htmx,
    page_links,
    paginate,
    selected_campaign,
    sort_queryset,
    xlsx_response,
)

from .models import Union, UnionType, User
from .scope import visible_federations, visible_unions

UNION_SORTS = {
    "name": "name",
    "county": ("federation__code", "name"),
    "type": "union_type",
    "founded": "founded_on",
    "stage": "case_stage",
    "track": "case_track",
}


def unions_queryset(request: HttpRequest) -> tuple[QuerySet, dict[str, Any]]:
    user: User = request.user
    all_campaigns = campaigns()
    campaign = selected_campaign(request, all_campaigns)
    federations = list(visible_federations(user).order_by("code"))
    cases = Case.objects.filter(union=OuterRef("pk"), campaign=campaign)
    qs = (
        visible_unions(user)
        .select_related("federation")
        .annotate(
            case_id=Subquery(cases.values("pk")[:1]),
            case_stage=Subquery(cases.values("stage")[:1]),
            case_track=Subquery(cases.values("track")[:1]),
        )
    )
    code = request.GET.get("federation", "")
    if code and any(f.code == code for f in federations):
        qs = qs.filter(federation__code=code)
    else:
        code = ""
    union_type = request.GET.get("type", "")
    if union_type in UnionType.values:
        qs = qs.filter(union_type=union_type)
    stage = request.GET.get("stage", "")
    if stage in Stage.values:
        qs = qs.filter(case_stage=stage)
    elif stage == "none":
        qs = qs.filter(case_id__isnull=True)
    track = request.GET.get("track", "")
    if track in Track.values:
        qs = qs.filter(case_track=track)
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(name__icontains=q) | qs.filter(credit_code=q.upper())
    qs, sort = sort_queryset(qs, request, UNION_SORTS, "county")
    return qs, {
        "campaign": campaign,
        "campaigns": all_campaigns,
        "federations": federations,
        "federation": code,
        "types": UnionType.choices,
        "type": union_type,
        "stages": Stage.choices,
        "stage": stage,
        "tracks": Track.choices,
        "track": track,
        "q": q,
        "sort": sort,
    }


@never_cache
@login_required
def union_list(request: HttpRequest) -> HttpResponse:
    qs, filters = unions_queryset(request)
    page = paginate(request, qs)
    query = request.GET.copy()
    query.pop("page", None)
    context = {**filters, "page": page, "page_numbers": page_links(page), "query": query}
    template = "lists/unions_table.html" if is_htmx(request) else "lists/unions.html"
    return render(request, template, context)


@login_required
def union_export(request: HttpRequest) -> HttpResponse:
    qs, _filters = unions_queryset(request)
    stages = dict(Stage.choices)
    tracks = dict(Track.choices)
    rows = (
        {
            "id": union.pk,
            "name": union.name,
            "county": union.federation.name,
            "type": union.get_union_type_display(),
            "ownership": union.get_ownership_display() if union.ownership else "",
            "founded": union.founded_on,
            "credit_code": union.credit_code,
            "track": tracks.get(union.case_track, ""),
            "stage": stages.get(union.case_stage, ""),
            "contact": union.contact_name,
            "phone": union.contact_phone,
            "address": union.address,
        }
        for union in qs[:EXPORT_LIMIT].iterator(chunk_size=1000)
    )
    columns = [
        Column("id", _("ID")),
        Column("name", _("Union"), 40),
        Column("county", _("County")),
        Column("type", _("Type")),
        Column("ownership", _("Ownership")),
        Column("founded", _("Founded on")),
        Column("credit_code", _("Credit code"), 22),
        Column("track", _("Track")),
        Column("stage", _("Stage")),
        Column("contact", _("Contact")),
        Column("phone", _("Phone")),
        Column("address", _("Address"), 40),
    ]
    return xlsx_response("unions", rows, columns, title=_("Unions"))


@never_cache
@login_required
def union_detail(request: HttpRequest, pk: int) -> HttpResponse:
    union = visible_unions(request.user).select_related("federation").filter(pk=pk).first()
    if union is None:
        raise Http404
    cases = list(union.cases.select_related("campaign").order_by("-campaign__year"))
    # The record's own event chain (registration and each change), newest first.
    events = Event.objects.filter(chain=f"union:{union.pk}").select_related("actor").order_by("-id")
    changes = [
        {
            "event": event,
            "action": action_label(event.action, event.subject),
            "rows": change_rows(event.data.get("changes", {}), Union),
        }
        for event in events[:50]
    ]
    return render(
        request,
        "unions/union_detail.html",
        {"union": union, "cases": cases, "changes": changes},
    )
