"""A case's guidance plan: ``GET /api/v1/cases/{id}/guidance/`` and
``POST /api/v1/cases/{id}/guidance/{action_id}/done/``."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from inspections import rules
from lib.api import idempotent

from .guidance import do_mark_guidance_done, guidance_plan
from .models import GuidanceAction
from .services import get_case_for_user


class GuidanceActionSerializer(serializers.ModelSerializer):
    area = serializers.SerializerMethodField()
    done_by = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = GuidanceAction
        fields = [
            "id",
            "rule",
            "area",
            "clause",
            "step",
            "owner",
            "due_on",
            "done_at",
            "done_by",
            "done_note",
            "closed_by_reassessment",
            "overdue",
        ]

    def get_area(self, action: GuidanceAction) -> str:
        rule = rules.RULES.get(action.rule)
        return rule.area if rule else ""

    def get_done_by(self, action: GuidanceAction) -> dict[str, str] | None:
        user = action.done_by
        return {"username": user.username, "name": user.name} if user else None

    def get_overdue(self, action: GuidanceAction) -> bool:
        return (
            action.done_at is None
            and action.due_on is not None
            and action.due_on < timezone.localdate()
        )


class GuidanceDoneSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class GuidanceView(APIView):
    """The case's steps in rule order; anyone who may see the case may read them."""

    @extend_schema(responses=GuidanceActionSerializer(many=True))
    def get(self, request, pk: int):
        case = get_case_for_user(request.user, pk)
        return Response(GuidanceActionSerializer(guidance_plan(case), many=True).data)


class GuidanceDoneView(APIView):
    """A county officer records that a step was taken (``{"note"}``: what was done)."""

    @extend_schema(request=GuidanceDoneSerializer, responses=GuidanceActionSerializer)
    @idempotent
    def post(self, request, pk: int, action_id: int):
        serializer = GuidanceDoneSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        action = do_mark_guidance_done(
            pk, action_id, actor=request.user, note=serializer.validated_data["note"]
        )
        return Response(GuidanceActionSerializer(action).data)
