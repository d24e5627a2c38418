from django.contrib import admin

from lib.admin import AuditedAdmin, ReadOnlyAdmin

from .models import Campaign, Case, Event, GuidanceAction


@admin.register(Campaign)
class CampaignAdmin(AuditedAdmin):
    list_display = ["year", "title", "reference_date", "summary_deadline", "subsidy_budget"]


@admin.register(Case)
class CaseAdmin(AuditedAdmin):
    list_display = ["id", "union", "campaign", "track", "stage"]
    list_filter = ["campaign", "stage", "track", "union__federation"]
    search_fields = ["union__name"]
    list_select_related = ["union", "campaign"]
    raw_id_fields = ["union"]


@admin.register(GuidanceAction)
class GuidanceActionAdmin(AuditedAdmin):
    list_display = ["case", "rule", "due_on", "done_at"]
    raw_id_fields = ["case"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "created_at",
        "subject",
        "action",
        "from_stage",
        "to_stage",
        "actor",
        "case",
    ]
    list_filter = ["subject", "action", "federation"]
    list_select_related = ["actor", "case__union"]
    raw_id_fields = ["case"]
