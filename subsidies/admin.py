from django.contrib import admin

from lib.admin import AuditedAdmin

from .models import SubsidyApplication


@admin.register(SubsidyApplication)
class SubsidyApplicationAdmin(AuditedAdmin):
    list_display = ["case", "amount", "state"]
    list_filter = ["state"]
    raw_id_fields = ["case"]
