"""County summaries (API.md): ``POST /api/v1/summaries/``, ``PATCH``/``GET`` one,
``GET /api/v1/summaries/?campaign=``, ``POST /api/v1/summaries/{id}/transitions/{name}/`` and
the board ``GET /api/v1/campaigns/{id}/summary-board/``."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from lib.api import idempotent
from unions.api import FederationField
from workflows.api import CommentSerializer
from workflows.models import Campaign
from workflows.scope import visible_campaigns

from .models import CountySummary
from .summaries import (
    SUMMARY_FIGURES,
    available_summary_transitions,
    discrepancies,
    do_create_summary,
    do_summary_transition,
    do_update_summary,
    figures_of,
    summary_board,
    visible_summaries,
)


class SummarySerializer(serializers.ModelSerializer):
    """``figures``: frozen at submission (a draft shows the records as they are now, in the
    detail only); ``discrepancies``: the stated figures that disagree with them."""

    federation = serializers.CharField(source="federation.code", read_only=True)
    federation_name = serializers.CharField(source="federation.name", read_only=True)
    deadline = serializers.DateField(source="campaign.summary_deadline", read_only=True)
    figures = serializers.SerializerMethodField()
    discrepancies = serializers.SerializerMethodField()
    available_transitions = serializers.SerializerMethodField()

    class Meta:
        model = CountySummary
        fields = [
            "id",
            "campaign",
            "federation",
            "federation_name",
            "state",
            "text",
            "figures",
            "stated_figures",
            "discrepancies",
            "submitted_at",
            "late",
            "deadline",
            "available_transitions",
        ]

    def _figures(self, summary: CountySummary) -> dict:
        if not self.context.get("detail"):
            return summary.figures
        cache = self.context.setdefault("_figures", {})
        if summary.pk not in cache:
            cache[summary.pk] = figures_of(summary)
        return cache[summary.pk]

    def get_figures(self, summary: CountySummary) -> dict:
        return self._figures(summary)

    def get_discrepancies(self, summary: CountySummary) -> dict:
        figures = self._figures(summary)
        return discrepancies(summary.stated_figures, figures) if figures else {}

    def get_available_transitions(self, summary: CountySummary) -> list[dict]:
        return available_summary_transitions(summary, self.context["request"].user)


class SummaryCreateSerializer(serializers.Serializer):
    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.all())
    federation = FederationField(required=False)
    text = serializers.CharField(required=False, allow_blank=True, default="", max_length=50000)
    stated_figures = serializers.JSONField(required=False, default=dict)


class SummaryUpdateSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, max_length=50000)
    stated_figures = serializers.JSONField(required=False)


class SummaryViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """A county officer writes and submits their county's summary; a federation officer
    accepts or returns it; leaders and auditors read every county's."""

    serializer_class = SummarySerializer
    lookup_value_regex = r"\d+"
    filterset_fields = ["campaign", "state"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            visible_summaries(self.request.user)
            .select_related("campaign", "federation")
            .order_by("-campaign__year", "federation__code")
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["detail"] = self.action != "list"
        return context

    @extend_schema(request=SummaryCreateSerializer, responses=SummarySerializer)
    def create(self, request, *args, **kwargs):
        serializer = SummaryCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        summary = do_create_summary(actor=request.user, **serializer.validated_data)
        return Response(self._render(summary.pk), status=201)

    @extend_schema(request=SummaryUpdateSerializer, responses=SummarySerializer)
    def partial_update(self, request, *args, **kwargs):
        serializer = SummaryUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        summary = do_update_summary(
            int(kwargs["pk"]), actor=request.user, **serializer.validated_data
        )
        return Response(self._render(summary.pk))

    @extend_schema(request=CommentSerializer, responses=SummarySerializer)
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[a-z_]+)")
    @idempotent
    def transitions(self, request, pk=None, name=None):
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        summary = do_summary_transition(
            int(pk), name, actor=request.user, comment=serializer.validated_data["comment"]
        )
        return Response(self._render(summary.pk))

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"])
    def figures(self, request):
        """The keys and labels of a summary's figures, for forms and clients."""
        return Response(
            [
                {"key": key, "kind": kind, "label": str(label)}
                for key, (kind, label) in SUMMARY_FIGURES.items()
            ]
        )

    def _render(self, pk: int) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=pk)).data


class SummaryBoardView(APIView):
    """Every county's summary against the campaign's deadline: state, submitted and late, or
    the days left (negative: overdue)."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk: int):
        campaign = get_object_or_404(visible_campaigns(request.user), pk=pk)
        return Response(
            {
                "campaign": {"id": campaign.pk, "year": campaign.year, "title": campaign.title},
                "deadline": campaign.summary_deadline.isoformat(),
                "counties": summary_board(campaign, request.user),
            }
        )
