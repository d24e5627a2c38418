from __future__ import annotations

from django.db.models import OuterRef, Subquery
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from lib.schema import errors
from workflows.models import Campaign, Case, Stage, Track

from .models import Federation, Union
from .scope import visible_unions
from .services import do_create_union, do_update_union


class FederationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Federation
        fields = ["id", "code", "name", "level"]


class FederationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = FederationSerializer
    pagination_class = None
    lookup_field = "code"

    def get_queryset(self):
        # Reference data: every logged-in user may read the list of federations.
        return Federation.objects.all()


class FederationField(serializers.SlugRelatedField):
    """Accept a federation by its code (``"360403"``) as API.md shows."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=Federation.objects.all(), **kwargs)

    def to_internal_value(self, data):
        # PostgreSQL refuses a NUL character in a query (a 500); no code contains one.
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", ""))
        return super().to_internal_value(data)


class UnionSerializer(serializers.ModelSerializer):
    federation = FederationField()
    federation_name = serializers.CharField(source="federation.name", read_only=True)
    track = serializers.CharField(read_only=True, allow_null=True, source="current_track")
    stage = serializers.CharField(read_only=True, allow_null=True, source="current_stage")
    reason = serializers.CharField(write_only=True, required=False, allow_blank=True)

    class Meta:
        model = Union
        fields = [
            "id",
            "name",
            "federation",
            "federation_name",
            "union_type",
            "ownership",
            "park_level",
            "founded_on",
            "credit_code",
            "address",
            "contact_name",
            "contact_phone",
            "track",
            "stage",
            "reason",
        ]


def current_campaign() -> Campaign | None:
    return Campaign.objects.order_by("-year").first()


def with_current_case(qs, campaign: Campaign | None):
    """Annotate each union with the track and stage of its case in the current campaign."""
    if campaign is None:
        return qs.annotate(
            current_track=Subquery(Case.objects.none().values("track")),
            current_stage=Subquery(Case.objects.none().values("stage")),
        )
    cases = Case.objects.filter(union=OuterRef("pk"), campaign=campaign)
    return qs.annotate(
        current_track=Subquery(cases.values("track")[:1]),
        current_stage=Subquery(cases.values("stage")[:1]),
    )


class UnionFilter(filters.FilterSet):
    federation = filters.CharFilter(field_name="federation__code")
    track = filters.ChoiceFilter(choices=Track.choices, field_name="current_track")
    stage = filters.ChoiceFilter(choices=Stage.choices, field_name="current_stage")
    union_type = filters.CharFilter()
    q = filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = Union
        fields = ["federation", "track", "stage", "union_type"]


class UnionViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = UnionSerializer
    filterset_class = UnionFilter
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        qs = visible_unions(self.request.user).select_related("federation")
        if getattr(self, "swagger_fake_view", False):
            # Schema generation (manage.py check, /api/v1/schema/) must not need the database.
            return with_current_case(qs, None)
        return with_current_case(qs, current_campaign())

    @extend_schema(responses={201: UnionSerializer, **errors(400, 403)})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        reason = data.pop("reason", "")
        union = do_create_union(actor=request.user, data=data, reason=reason)
        return Response(self._render(union.pk), status=201)

    @extend_schema(responses={200: UnionSerializer, **errors(400, 403, 404)})
    def partial_update(self, request, *args, **kwargs):
        union = self.get_object()
        serializer = self.get_serializer(union, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        reason = data.pop("reason", "")
        do_update_union(union.pk, actor=request.user, data=data, reason=reason)
        return Response(self._render(union.pk))

    def _render(self, pk: int) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=pk)).data
