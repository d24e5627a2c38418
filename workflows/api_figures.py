"""Campaign figures (``GET /api/v1/campaigns/{id}/figures/`` and ``figures.xlsx``) and the
leaders' home (``GET /api/v1/leader/home/``), read from ``workflows.figures``."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from lib.errors import RoleForbidden
from lib.xlsx import CONTENT_TYPE, Column, write_workbook
from subsidies.api import SubsidySerializer, for_leader, waiting_for
from subsidies.scope import visible_subsidies
from unions.models import Role, User

from .figures import as_json, campaign_figures, figure_rows, figures_by_federation
from .models import Campaign, Stage, Track
from .scope import visible_campaigns


class FileDownloadNegotiation(BaseContentNegotiation):
    """For views that answer with a file: ignore the client's Accept header (a spreadsheet
    client asks for the sheet's type, which no JSON renderer offers) and render errors as JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _figures_for(user: User, campaign: Campaign) -> dict:
    """City-wide readers see every county; a county officer only their own; nobody else any."""
    if user.reads_everything:
        return campaign_figures(campaign)
    if user.role == Role.COUNTY_OFFICER:
        return campaign_figures(campaign, federation_ids=[user.federation_id])
    raise RoleForbidden()


def _campaign(user: User, pk: int) -> Campaign:
    return get_object_or_404(visible_campaigns(user), pk=pk)


class CampaignFiguresView(APIView):
    """Per county and city-wide: cases per stage and track, surveyed, share meeting the
    standard, member evaluation grades, model unions, subsidies against the budget."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk: int):
        return Response(as_json(_figures_for(request.user, _campaign(request.user, pk))))


def figure_columns() -> list[Column]:
    columns = [
        Column("code", _("Code"), 10),
        Column("name", _("Federation"), 18),
        Column("cases", _("Cases")),
    ]
    columns += [Column(f"stage_{stage.value}", str(stage.label)) for stage in Stage]
    columns += [Column(f"track_{track.value}", str(track.label)) for track in Track]
    columns += [
        Column("surveyed", _("Surveyed")),
        Column("assessed", _("Assessment approved")),
        Column("meeting_standard", _("Meeting the standard")),
        Column("meeting_share", _("Share meeting the standard")),
        Column("grade_satisfied", _("Evaluation: satisfied")),
        Column("grade_basically_satisfied", _("Evaluation: basically satisfied")),
        Column("grade_unsatisfied", _("Evaluation: unsatisfied")),
        Column("grade_none", _("Evaluation: no grade")),
        Column("model_unions", _("Model unions")),
        Column("subsidies_requested_count", _("Subsidies requested")),
        Column("subsidies_requested_amount", _("Requested (yuan)")),
        Column("subsidies_signed_count", _("Subsidies signed off")),
        Column("subsidies_signed_amount", _("Signed off (yuan)")),
        Column("subsidies_disbursed_count", _("Subsidies disbursed")),
        Column("subsidies_disbursed_amount", _("Disbursed (yuan)")),
    ]
    return columns


class CampaignFiguresXlsxView(APIView):
    """The same figures as a spreadsheet: one row per county, the city-wide sum last."""

    content_negotiation_class = FileDownloadNegotiation

    @extend_schema(responses={(200, CONTENT_TYPE): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        campaign = _campaign(request.user, pk)
        figures = _figures_for(request.user, campaign)
        content = write_workbook(figure_rows(figures), figure_columns(), title=str(campaign.year))
        response = HttpResponse(content, content_type=CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="figures-{campaign.year}.xlsx"'
        return response


class LeaderHomeView(APIView):
    """联系挂点: the progress of the counties the leader is linked to, and the subsidies waiting
    for a leader's sign-off (linked counties first) in the campaign (``?campaign=ID``, else the
    latest)."""

    @extend_schema(
        parameters=[OpenApiParameter("campaign", OpenApiTypes.INT)], responses=OpenApiTypes.OBJECT
    )
    def get(self, request):
        user = request.user
        if user.role != Role.LEADER:
            raise RoleForbidden()
        campaigns = visible_campaigns(user)
        campaign_id = request.query_params.get("campaign")
        if campaign_id:
            campaign = _campaign(user, campaign_id) if campaign_id.isdigit() else None
            if campaign is None:
                return Response(
                    {"errors": {"campaign": [_("Must be a whole number.")]}}, status=400
                )
        else:
            campaign = campaigns.order_by("-year").first()
        if campaign is None:
            return Response({"campaign": None, "counties": [], "waiting": []})
        linked = list(user.linked_federations.values_list("pk", flat=True))
        counties = list(figures_by_federation(campaign, linked).values()) if linked else []
        waiting = waiting_for(
            for_leader(
                visible_subsidies(user)
                .filter(case__campaign=campaign)
                .select_related("case__union__federation", "case__campaign"),
                user,
            ),
            user,
        )
        return Response(
            {
                "campaign": {"id": campaign.pk, "year": campaign.year, "title": campaign.title},
                "counties": as_json(counties),
                "waiting": SubsidySerializer(waiting, many=True, context={"request": request}).data,
            }
        )
