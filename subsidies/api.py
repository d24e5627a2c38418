from __future__ import annotations

from django.db.models import BooleanField, Exists, OuterRef, QuerySet, Value
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from lib.api import idempotent
from lib.errors import NotInScope
from unions.models import Role, User
from workflows.api import CommentSerializer

from .models import SubsidyApplication
from .scope import visible_subsidies
from .services import (
    available_subsidy_transitions,
    do_create_subsidy,
    do_subsidy_transition,
    signed_by_leader,
)

S = SubsidyApplication.State

# What "waiting for me" means for each role: the state in which that role acts next.
WAITING_STATE = {
    Role.COUNTY_OFFICER: S.DRAFT,
    Role.LEADER: S.SUBMITTED,
    Role.FEDERATION_OFFICER: S.SIGNED_OFF,
}


def for_leader(qs: QuerySet[SubsidyApplication], user: User) -> QuerySet[SubsidyApplication]:
    """Mark each application ``linked`` when its county is one the user follows (联系挂点) and put
    those first: the leader signs those off (``subsidies.services.leader_signs_for``)."""
    if getattr(user, "role", None) != Role.LEADER:
        return qs.annotate(linked=Value(False, output_field=BooleanField()))
    links = User.linked_federations.through.objects.filter(
        user_id=user.pk, federation_id=OuterRef("case__union__federation_id")
    )
    return qs.annotate(linked=Exists(links)).order_by("-linked", "id")


def waiting_for(qs: QuerySet[SubsidyApplication], user: User) -> QuerySet[SubsidyApplication]:
    """What waits for ``user`` to act: the state their role acts in, and for a leader only the
    counties they sign off for (``leader_signs_for``)."""
    role = getattr(user, "role", None)
    state = WAITING_STATE.get(role)
    if not state:
        return qs.none()
    qs = qs.filter(state=state)
    return qs.filter(signed_by_leader(user)) if role == Role.LEADER else qs


class SubsidySerializer(serializers.ModelSerializer):
    union_name = serializers.CharField(source="case.union.name", read_only=True)
    federation = serializers.CharField(source="case.union.federation.code", read_only=True)
    federation_name = serializers.CharField(source="case.union.federation.name", read_only=True)
    track = serializers.CharField(source="case.track", read_only=True)
    linked = serializers.BooleanField(read_only=True, default=False)
    available_transitions = serializers.SerializerMethodField()

    class Meta:
        model = SubsidyApplication
        fields = [
            "id",
            "case",
            "union_name",
            "federation",
            "federation_name",
            "track",
            "amount",
            "state",
            "linked",
            "available_transitions",
        ]
        read_only_fields = ["state"]

    def get_available_transitions(self, application) -> list[dict]:
        return available_subsidy_transitions(application, self.context["request"].user)


class SubsidyCreateSerializer(serializers.Serializer):
    case = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, min_value=0)


class SubsidyViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Subsidy applications in the user's scope. For a leader the list puts the counties they are
    linked to first; ``?waiting=1`` keeps only those waiting for the user's role to act (a
    leader: submitted, in the counties they sign for; a federation officer: signed off; a county
    officer: drafts)."""

    serializer_class = SubsidySerializer
    lookup_value_regex = r"\d+"
    filterset_fields = ["state", "case__campaign"]

    def get_queryset(self):
        user = self.request.user
        qs = visible_subsidies(user).select_related("case__union__federation", "case__campaign")
        qs = for_leader(qs, user)
        if self.action == "list" and self.request.query_params.get("waiting") in ("1", "true"):
            qs = waiting_for(qs, user)
        return qs

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "waiting", OpenApiTypes.BOOL, description="only those waiting for my role"
            ),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=SubsidyCreateSerializer, responses=SubsidySerializer)
    def create(self, request, *args, **kwargs):
        serializer = SubsidyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = do_create_subsidy(
            serializer.validated_data["case"],
            actor=request.user,
            amount=serializer.validated_data.get("amount"),
        )
        return Response(self.get_serializer(application).data, status=201)

    @extend_schema(request=CommentSerializer, responses=SubsidySerializer)
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[a-z_]+)")
    @idempotent
    def transitions(self, request, pk=None, name=None):
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = do_subsidy_transition(
            int(pk), name, actor=request.user, comment=serializer.validated_data["comment"]
        )
        application = self.get_queryset().filter(pk=application.pk).first()
        if application is None:
            raise NotInScope()
        return Response(self.get_serializer(application).data)
