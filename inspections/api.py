from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from lib.errors import NotInScope
from unions.models import Role
from workflows.scope import visible_campaigns, visible_cases
from workflows.services import get_case_for_user

from . import rules
from .burden import campaign_burden, case_burden
from .services import current_assessment, do_override_finding, do_save_survey, survey_of


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


class AssessmentView(APIView):
    """The case's current assessment (its newest run of the rules), or an older run with
    ``?run=N``; ``runs`` lists every run, oldest first, so a reassessment's history shows."""

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
            from lib.errors import RoleForbidden

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
