from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from lib.api import FieldsBuiltOnceMixin, idempotent
from lib.schema import errors
from unions.models import Union
from unions.scope import visible_unions

from .flows import TRANSITION_NAMES
from .history import case_timeline
from .models import Campaign, Case
from .scope import visible_campaigns, visible_cases
from .services import (
    available_transitions,
    do_create_campaign,
    do_create_case,
    do_transition,
    do_update_campaign,
    get_case_for_user,
)


@extend_schema_field(
    {
        "type": "object",
        "properties": {
            "six_haves": {"type": "string", "format": "decimal"},
            "six_norms": {"type": "string", "format": "decimal"},
        },
        "required": ["six_haves", "six_norms"],
    }
)
class SubsidyAmountsField(serializers.Field):
    """``{"six_haves": "5000.00", "six_norms": "8000.00"}``, as API.md writes it."""

    def to_representation(self, campaign: Campaign) -> dict:
        return {
            "six_haves": str(campaign.subsidy_six_haves),
            "six_norms": str(campaign.subsidy_six_norms),
        }

    def to_internal_value(self, data) -> dict:
        if not isinstance(data, dict):
            raise serializers.ValidationError(_("Expected an object with six_haves and six_norms."))
        field = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
        out, errors = {}, {}
        for key in ("six_haves", "six_norms"):
            if key not in data:
                errors[key] = [_("This field is required.")]
                continue
            try:
                out[f"subsidy_{key}"] = field.run_validation(data[key])
            except serializers.ValidationError as exc:
                errors[key] = exc.detail
        if errors:
            raise serializers.ValidationError(errors)
        return out


class CampaignSerializer(serializers.ModelSerializer):
    subsidy_amounts = SubsidyAmountsField(source="*")
    subsidy_budget = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "year",
            "title",
            "reference_date",
            "survey_deadline",
            "summary_deadline",
            "subsidy_amounts",
            "subsidy_budget",
            "model_quota_per_county",
            "evaluation_thresholds",
        ]

    def validate(self, attrs):
        survey = attrs.get("survey_deadline", getattr(self.instance, "survey_deadline", None))
        summary = attrs.get("summary_deadline", getattr(self.instance, "summary_deadline", None))
        if survey and summary and summary < survey:
            raise serializers.ValidationError(
                {
                    "summary_deadline": [
                        _("The summary deadline cannot be before the survey deadline.")
                    ]
                }
            )
        return attrs


class CampaignViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = CampaignSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return visible_campaigns(self.request.user)

    @extend_schema(responses={201: CampaignSerializer, **errors(400, 403)})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        campaign = do_create_campaign(actor=request.user, data=dict(serializer.validated_data))
        return Response(self.get_serializer(campaign).data, status=201)

    def partial_update(self, request, *args, **kwargs):
        campaign = self.get_object()
        serializer = self.get_serializer(campaign, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        campaign = do_update_campaign(
            campaign.pk, actor=request.user, data=dict(serializer.validated_data)
        )
        return Response(self.get_serializer(campaign).data)


class CaseSerializer(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    union_name = serializers.CharField(source="union.name", read_only=True)
    federation = serializers.CharField(source="union.federation.code", read_only=True)
    available_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "union",
            "union_name",
            "federation",
            "campaign",
            "track",
            "stage",
            "returned_count",
            "available_transitions",
        ]
        read_only_fields = ["track", "stage", "returned_count"]

    def get_available_transitions(self, case: Case) -> list[dict]:
        if not self.context.get("with_transitions", True):
            return []
        return available_transitions(case, self.context["request"].user)


class CaseCreateSerializer(serializers.Serializer):
    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.all())
    union = serializers.PrimaryKeyRelatedField(queryset=Union.objects.all())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # A union outside the user's scope reads as nonexistent, as everywhere.
            self.fields["union"].queryset = visible_unions(request.user)


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ActorSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()


class HistoryEntrySerializer(serializers.Serializer):
    """One entry of ``GET /api/v1/cases/{id}/history/`` (documentation only)."""

    at = serializers.DateTimeField()
    actor = ActorSerializer(allow_null=True, help_text="Null for what the system did.")
    action = serializers.CharField(
        help_text="The transition name for transitions; create, update_track, override, "
        "subsidy.<transition>, or <model>.create/update for a field change no event names."
    )
    from_ = serializers.CharField(allow_null=True)
    to = serializers.CharField(allow_null=True)
    changes = serializers.DictField(
        child=serializers.ListField(min_length=2, max_length=2, allow_null=True),
        help_text="field: [old, new]",
    )
    reason = serializers.CharField(allow_blank=True)
    event = serializers.IntegerField(allow_null=True, help_text="The event row shown, if any.")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")  # "from" is a Python keyword
        return fields


class CaseViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = CaseSerializer
    lookup_value_regex = r"\d+"
    filterset_fields = ["campaign", "stage", "track"]

    def get_queryset(self):
        cases = visible_cases(self.request.user)
        if self.action == "list":
            # The page is cut from the cases alone, then its 50 unions and campaigns are read:
            # joined in the same query, PostgreSQL joined every case of a county officer's
            # county before sorting them to a page (``visible_cases``).
            return cases.prefetch_related(
                Prefetch("union", queryset=Union.objects.select_related("federation")),
                "campaign",
            )
        return cases.select_related("union__federation", "campaign")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["with_transitions"] = self.action != "list"
        return context

    @extend_schema(
        request=CaseCreateSerializer, responses={201: CaseSerializer, **errors(400, 403)}
    )
    def create(self, request, *args, **kwargs):
        serializer = CaseCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        case = do_create_case(
            actor=request.user,
            campaign=serializer.validated_data["campaign"],
            union_id=serializer.validated_data["union"].pk,
        )
        return Response(self.get_serializer(case).data, status=201)

    @extend_schema(
        request=CommentSerializer,
        responses={200: CaseSerializer, **errors(400, 403, 404, 409)},
        parameters=[
            OpenApiParameter(
                "name",
                str,
                OpenApiParameter.PATH,
                enum=list(TRANSITION_NAMES),
                description='The transition (API.md, "The case\'s stages and transitions").',
            )
        ],
    )
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[a-z_]+)")
    @idempotent
    def transitions(self, request, pk=None, name=None):
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = do_transition(
            int(pk), name, actor=request.user, comment=serializer.validated_data["comment"]
        )
        # The case as the service saved it, with the union, federation and campaign it loaded
        # under the lock: reading it again would only repeat the scope query.
        return Response(self.get_serializer(case).data)

    @extend_schema(responses={200: HistoryEntrySerializer(many=True), **errors(404)})
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request, pk=None):
        case = get_case_for_user(request.user, pk)
        # Every entry has the same keys: API.md's, and the id of the event it shows (or null).
        return Response([{"event": None, **entry} for entry in case_timeline(case)])
