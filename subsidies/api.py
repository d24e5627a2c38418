from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from lib.api import idempotent
from lib.errors import NotInScope
from workflows.api import CommentSerializer

from .models import SubsidyApplication
from .scope import visible_subsidies
from .services import available_subsidy_transitions, do_create_subsidy, do_subsidy_transition


class SubsidySerializer(serializers.ModelSerializer):
    union_name = serializers.CharField(source="case.union.name", read_only=True)
    federation = serializers.CharField(source="case.union.federation.code", read_only=True)
    track = serializers.CharField(source="case.track", read_only=True)
    available_transitions = serializers.SerializerMethodField()

    class Meta:
        model = SubsidyApplication
        fields = ["id", "case", "union_name", "federation", "track", "amount", "state",
                  "available_transitions"]
        read_only_fields = ["state"]

    def get_available_transitions(self, application) -> list[dict]:
        return available_subsidy_transitions(application, self.context["request"].user)


class SubsidyCreateSerializer(serializers.Serializer):
    case = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, min_value=0)


class SubsidyViewSet(mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.ListModelMixin,
                     viewsets.GenericViewSet):
    serializer_class = SubsidySerializer
    lookup_value_regex = r"\d+"
    filterset_fields = ["state", "case__campaign"]

    def get_queryset(self):
        return visible_subsidies(self.request.user).select_related("case__union__federation")

    @extend_schema(request=SubsidyCreateSerializer, responses=SubsidySerializer)
    def create(self, request, *args, **kwargs):
        serializer = SubsidyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = do_create_subsidy(
            serializer.validated_data["case"], actor=request.user,
            amount=serializer.validated_data.get("amount"),
        )
        return Response(self.get_serializer(application).data, status=201)

    @extend_schema(request=CommentSerializer, responses=SubsidySerializer)
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[a-z_]+)")
    @idempotent
    def transitions(self, request, pk=None, name=None):
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = do_subsidy_transition(int(pk), name, actor=request.user,
                                            comment=serializer.validated_data["comment"])
        application = self.get_queryset().filter(pk=application.pk).first()
        if application is None:
            raise NotInScope()
        return Response(self.get_serializer(application).data)
