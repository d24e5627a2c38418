"""Inspection visits and evidence downloads: ``GET``/``POST /api/v1/cases/{id}/visits/`` (the
POST is multipart, the files under ``files``) and ``GET /api/v1/evidence/{id}/``."""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from lib.api import idempotent
from lib.errors import InvalidInput
from workflows.api_figures import FileDownloadNegotiation

from .models import EvidenceFile, InspectionVisit
from .visits import (
    MAX_FILES_PER_VISIT,
    do_record_visit,
    download_name,
    evidence_for_user,
    stored_path,
    visits_of,
)


class EvidenceFileSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = EvidenceFile
        fields = ["id", "original_name", "content_type", "size", "sha256", "uploaded_at", "url"]

    def get_url(self, evidence: EvidenceFile) -> str:
        return reverse("evidence-download", args=[evidence.pk])


class VisitSerializer(serializers.ModelSerializer):
    created_by = serializers.SerializerMethodField()
    files = EvidenceFileSerializer(many=True, read_only=True)

    class Meta:
        model = InspectionVisit
        fields = [
            "id",
            "case",
            "visited_on",
            "visitors",
            "found",
            "created_by",
            "created_at",
            "files",
        ]

    def get_created_by(self, visit: InspectionVisit) -> dict[str, str] | None:
        user = visit.created_by
        return {"username": user.username, "name": user.name} if user else None


class VisitInputSerializer(serializers.Serializer):
    visited_on = serializers.DateField()
    visitors = serializers.CharField(max_length=200)
    found = serializers.CharField(max_length=5000)
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False, default=list
    )


class CaseVisitsView(APIView):
    """The visits to a case (anyone who sees the case), and a county officer recording one."""

    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(responses=VisitSerializer(many=True))
    def get(self, request, pk: int):
        return Response(VisitSerializer(visits_of(pk, request.user), many=True).data)

    @extend_schema(request={"multipart/form-data": VisitInputSerializer}, responses=VisitSerializer)
    @idempotent
    def post(self, request, pk: int):
        # Refuse a body that cannot be within the limits before Django spools it to disk; each
        # file's own size is checked again while it is read (inspections.visits).
        length = request.META.get("CONTENT_LENGTH") or "0"
        ceiling = MAX_FILES_PER_VISIT * settings.UPLOAD_MAX_BYTES + 64 * 1024
        if not length.isdigit() or int(length) > ceiling:
            raise InvalidInput({"files": [_("The upload is too large.")]})
        data = {
            key: request.data.get(key)
            for key in ("visited_on", "visitors", "found")
            if key in request.data
        }
        serializer = VisitInputSerializer(data={**data, "files": request.FILES.getlist("files")})
        serializer.is_valid(raise_exception=True)
        visit = do_record_visit(pk, actor=request.user, **serializer.validated_data)
        visit = (
            InspectionVisit.objects.select_related("created_by")
            .prefetch_related("files")
            .get(pk=visit.pk)
        )
        return Response(VisitSerializer(visit).data, status=201)


class EvidenceDownloadView(APIView):
    """The file as an attachment, for users who may see its case (404 otherwise). It is never
    shown inline: attachment, nosniff, and a sandboxing CSP in case a browser opens it anyway."""

    content_negotiation_class = FileDownloadNegotiation

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        evidence = evidence_for_user(request.user, pk)
        response = FileResponse(
            stored_path(evidence.sha256).open("rb"),
            as_attachment=True,
            filename=download_name(evidence),
            content_type=evidence.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, no-store"
        return response
