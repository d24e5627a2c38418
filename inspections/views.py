"""Pages for the Excel roster: upload and follow an import, download the template, export the
union list. Thin on purpose (the UI is restyled elsewhere): each parses the request, calls one
function of ``inspections.imports`` / ``inspections.excel``, and renders."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from lib.errors import InvalidInput, RoleForbidden
from lib.xlsx import CONTENT_TYPE
from unions.api import UnionFilter, current_campaign, with_current_case
from unions.models import Federation, Role
from unions.scope import visible_unions
from workflows.models import Campaign
from workflows.scope import visible_campaigns

from . import excel
from .imports import do_start_import, visible_import_jobs


def xlsx_response(content: bytes, file_name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, file_name)
    response["Cache-Control"] = "no-store"  # union data: never kept by a proxy
    return response


def _campaign(user, value) -> Campaign | None:
    """The campaign named by a query parameter, ``None`` when absent; 404 when unknown."""
    if value in (None, ""):
        return None
    campaign = visible_campaigns(user).filter(pk=value).first() if str(value).isdigit() else None
    if campaign is None:
        raise InvalidInput({"campaign": [_("Unknown campaign.")]})
    return campaign


def template_response(request: HttpRequest) -> HttpResponse:
    """The roster template; with ``?campaign=`` filled with the unions the user may see (of the
    county ``?federation=`` when given) and their surveys in that campaign."""
    campaign = _campaign(request.user, request.GET.get("campaign"))
    rows = []
    name = "roster-template.xlsx"
    if campaign is not None:
        unions = visible_unions(request.user)
        code = request.GET.get("federation")
        if code:
            unions = unions.filter(federation__code=code)
        rows = excel.template_rows(unions, campaign)
        name = f"roster-{code or 'all'}-{campaign.year}.xlsx"
    return xlsx_response(excel.build_template(rows), name)


def union_export_response(request: HttpRequest) -> HttpResponse:
    """The union list as .xlsx, with the list's scope and filters (``federation``, ``track``,
    ``stage``, ``union_type``, ``q``) and ``?campaign=`` (default: the current campaign)."""
    campaign = _campaign(request.user, request.GET.get("campaign")) or current_campaign()
    unions = with_current_case(visible_unions(request.user), campaign)
    filterset = UnionFilter(request.GET, queryset=unions)
    if not filterset.is_valid():
        raise InvalidInput({k: [str(m) for m in v] for k, v in filterset.errors.items()})
    year = campaign.year if campaign else "all"
    return xlsx_response(excel.export_unions(filterset.qs, campaign), f"unions-{year}.xlsx")


def _federations_for(user):
    if user.role == Role.FEDERATION_OFFICER:
        return Federation.objects.all()
    if user.role == Role.COUNTY_OFFICER:
        return Federation.objects.filter(pk=user.federation_id)
    return Federation.objects.none()


@login_required
@require_http_methods(["GET", "POST"])
def import_list(request: HttpRequest) -> HttpResponse:
    """Upload a roster (county and federation officers); the recent imports the user may see."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            campaign = _campaign(request.user, request.POST.get("campaign"))
            if campaign is None:
                raise InvalidInput({"campaign": [_("This field is required.")]})
            if upload is None:
                raise InvalidInput({"file": [_("Choose the file to import.")]})
            code = request.POST.get("federation")
            job = do_start_import(
                actor=request.user,
                campaign=campaign,
                federation=Federation.objects.filter(code=code).first() if code else None,
                file_name=upload.name,
                content=upload.read(),
            )
        except InvalidInput as invalid:
            errors = invalid.errors
        except RoleForbidden:
            return render(request, "403.html", status=403)
        else:
            return redirect("inspections:import-detail", pk=job.pk)
    return render(
        request,
        "inspections/import_list.html",
        {
            "jobs": visible_import_jobs(request.user)[:20],
            "campaigns": visible_campaigns(request.user),
            "federations": _federations_for(request.user),
            "errors": errors,
            "may_import": request.user.role in (Role.COUNTY_OFFICER, Role.FEDERATION_OFFICER),
        },
        status=400 if errors else 200,
    )


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One import: a progress bar that polls ``/api/v1/imports/{id}/`` until it is finished,
    then what it changed or every bad cell."""
    job = visible_import_jobs(request.user).select_related("campaign").filter(pk=pk).first()
    if job is None:
        raise Http404
    return render(request, "inspections/import_detail.html", {"job": job})


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    try:
        return template_response(request)
    except InvalidInput:
        raise Http404 from None


@login_required
def union_export(request: HttpRequest) -> HttpResponse:
    try:
        return union_export_response(request)
    except InvalidInput:
        raise Http404 from None
