from __future__ import annotations

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from lib.errors import NotInScope, RoleForbidden
from lib.xlsx import CONTENT_TYPE
from unions.models import Federation, Role
from workflows.models import Campaign
from workflows.scope import visible_campaigns, visible_cases
from workflows.services import get_case_for_user

from . import rules
from .burden import campaign_burden, case_burden
from .imports import do_start_import, job_as_dict, visible_import_jobs
from .services import current_assessment, do_override_finding, do_save_survey, survey_of
from .views import template_response, union_export_response


class SurveyView(APIView):
    """The survey of NORMS.md: the union's reporter and the county's officers read and write it."""

    def _case(self, request, pk):
        case = get_case_for_user(request.user, pk)
        return case

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        case = self._case(request, pk)
        survey = survey_of(case)
        return Response(survey.data if survey else {})

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def put(self, request, pk):
        case = self._case(request, pk)
        if not isinstance(request.data, dict):
            return Response(
                {"errors": {"non_field_errors": ["Expected a JSON object."]}}, status=400
            )
        survey = do_save_survey(case, dict(request.data), actor=request.user)
        return Response(survey.data)


class FindingSerializer(serializers.Serializer):
    rule = serializers.CharField()
    area = serializers.CharField()
    outcome = serializers.CharField()
    evidence = serializers.CharField()
    auto_outcome = serializers.CharField()
    override_reason = serializers.CharField()
    carried_over_from = serializers.IntegerField(allow_null=True)


class AssessmentView(APIView):
    """The case's current assessment (its newest run of the rules), or an older run with
    ``?run=N``; ``runs`` lists every run, oldest first, so a reassessment's history shows.
    A finding's ``carried_over_from`` names the run whose override it kept; ``lapsed_overrides``
    lists the previous run's overrides that lapsed because the facts changed (``Assessment``)."""

    @extend_schema(
        parameters=[OpenApiParameter("run", int, required=False)],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, pk):
        case = get_case_for_user(request.user, pk)
        run = request.query_params.get("run")
        if run is None:
            assessment = current_assessment(case)
        else:
            assessment = case.assessments.filter(run=run).first() if run.isdigit() else None
        if assessment is None:
            raise NotInScope()
        findings = list(assessment.findings.order_by("id"))
        summary = rules.summarize(assessment.track, {f.rule: f.outcome for f in findings})
        return Response(
            {
                "track": assessment.track,
                "assessed_on": assessment.assessed_on.isoformat(),
                "run": assessment.run,
                "findings": FindingSerializer(findings, many=True).data,
                "areas": summary.areas,
                "score": str(summary.score) if summary.score is not None else None,
                "meets_standard": summary.meets_standard,
                "lapsed_overrides": assessment.lapsed_overrides,
                "runs": [
                    {"run": r.run, "assessed_on": r.assessed_on.isoformat()}
                    for r in case.assessments.order_by("run").only("run", "assessed_on")
                ],
            }
        )


class OverrideSerializer(serializers.Serializer):
    rule = serializers.CharField()
    outcome = serializers.ChoiceField(
        choices=[rules.MET, rules.UNMET, rules.NOT_APPLICABLE, rules.NEEDS_REVIEW]
    )
    reason = serializers.CharField()


class OverrideView(APIView):
    @extend_schema(request=OverrideSerializer, responses=FindingSerializer)
    def post(self, request, pk):
        case = get_case_for_user(request.user, pk)
        if request.user.role != Role.COUNTY_OFFICER:
            raise RoleForbidden()
        serializer = OverrideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        finding = do_override_finding(case.pk, actor=request.user, **serializer.validated_data)
        return Response(FindingSerializer(finding).data, status=201)


class CaseBurdenView(APIView):
    """The burden meter (减负) of one case: fields typed, pre-filled, derived; times sent back."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        case = get_case_for_user(request.user, pk)
        return Response(case_burden(case))


class CampaignBurdenView(APIView):
    """The burden meter summed per county over the campaign's cases the user may see."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        campaign = visible_campaigns(request.user).filter(pk=pk).first()
        if campaign is None:
            raise NotInScope()
        cases = visible_cases(request.user).filter(campaign=campaign)
        return Response({"campaign": campaign.pk, **campaign_burden(cases)})


XLSX = {(200, CONTENT_TYPE): OpenApiTypes.BINARY}


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.all())
    federation = serializers.SlugRelatedField(
        slug_field="code", queryset=Federation.objects.all(), required=False, allow_null=True
    )


class ImportListView(APIView):
    """``POST`` an Excel roster (multipart: ``file``, ``campaign``, ``federation`` for federation
    officers) → 202 and the job, processed in the background; ``GET`` the recent jobs."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(operation_id="imports_list", responses=OpenApiTypes.OBJECT)
    def get(self, request):
        jobs = visible_import_jobs(request.user)[:50]
        return Response([job_as_dict(job) for job in jobs])

    @extend_schema(request=ImportUploadSerializer, responses={202: OpenApiTypes.OBJECT})
    def post(self, request):
        if request.user.role not in (Role.COUNTY_OFFICER, Role.FEDERATION_OFFICER):
            raise RoleForbidden()
        serializer = ImportUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        if upload.size > settings.UPLOAD_MAX_BYTES:
            content = b"x" * (settings.UPLOAD_MAX_BYTES + 1)  # refused below, without reading it
        else:
            content = upload.read()
        job = do_start_import(
            actor=request.user,
            campaign=serializer.validated_data["campaign"],
            federation=serializer.validated_data.get("federation"),
            file_name=upload.name,
            content=content,
        )
        return Response(job_as_dict(job), status=202)


class ImportDetailView(APIView):
    """One import's progress (``total``, ``done``), ``state`` and, when finished, ``summary`` or
    ``errors`` (``[{"sheet","row","column","label","cell","message"}]``). Pages poll it."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        job = visible_import_jobs(request.user).filter(pk=pk).first()
        if job is None:
            raise NotInScope()
        return Response(job_as_dict(job))


class ImportTemplateView(APIView):
    """The .xlsx roster template; ``?campaign=`` fills it with the unions in scope (of
    ``?federation=``) and their surveys, so only changes need typing."""

    @extend_schema(
        parameters=[
            OpenApiParameter("campaign", int, required=False),
            OpenApiParameter("federation", str, required=False),
        ],
        responses=XLSX,
    )
    def get(self, request):
        return template_response(request)


class UnionExportView(APIView):
    """The union list as .xlsx: same scope and filters as ``GET /api/v1/unions/``, with track,
    stage, score and the rules unmet or needing review in ``?campaign=`` (default: current)."""

    @extend_schema(
        parameters=[
            OpenApiParameter(name, str, required=False)
            for name in ("campaign", "federation", "track", "stage", "union_type", "q")
        ],
        responses=XLSX,
    )
    def get(self, request):
        return union_export_response(request)
