from django.contrib import admin

from lib.admin import AuditedAdmin

from .models import (
    Assessment,
    CountySummary,
    EvidenceFile,
    Finding,
    InspectionVisit,
    MemberEvaluation,
    Survey,
)


@admin.register(Survey)
class SurveyAdmin(AuditedAdmin):
    list_display = ["case", "schema_version", "submitted_at", "updated_at"]
    raw_id_fields = ["case"]


@admin.register(MemberEvaluation)
class MemberEvaluationAdmin(AuditedAdmin):
    list_display = ["union", "year", "grade", "satisfied", "basically_satisfied", "unsatisfied"]
    raw_id_fields = ["union"]


class FindingInline(admin.TabularInline):
    model = Finding
    extra = 0
    can_delete = False
    readonly_fields = ["rule", "area", "auto_outcome", "outcome", "evidence", "override_reason"]
    fields = readonly_fields


@admin.register(Assessment)
class AssessmentAdmin(AuditedAdmin):
    list_display = ["case", "run", "track", "assessed_on", "score", "meets_standard"]
    raw_id_fields = ["case"]
    inlines = [FindingInline]


@admin.register(Finding)
class FindingAdmin(AuditedAdmin):
    list_display = ["assessment", "rule", "auto_outcome", "outcome"]
    raw_id_fields = ["assessment"]


@admin.register(CountySummary)
class CountySummaryAdmin(AuditedAdmin):
    list_display = ["federation", "campaign", "state", "submitted_at", "late"]


@admin.register(InspectionVisit)
class InspectionVisitAdmin(AuditedAdmin):
    list_display = ["case", "visited_on", "visitors"]
    raw_id_fields = ["case"]


@admin.register(EvidenceFile)
class EvidenceFileAdmin(AuditedAdmin):
    list_display = ["visit", "original_name", "content_type", "size"]
    raw_id_fields = ["visit"]
