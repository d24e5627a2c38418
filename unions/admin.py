from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from lib.admin import AuditedAdmin

from .models import Federation, Union, User


@admin.register(Federation)
class FederationAdmin(AuditedAdmin):
    list_display = ["code", "name", "level"]


@admin.register(Union)
class UnionAdmin(AuditedAdmin):
    list_display = ["name", "federation", "union_type", "founded_on"]
    list_filter = ["federation", "union_type"]
    search_fields = ["name", "credit_code"]
    list_select_related = ["federation"]


@admin.register(User)
class UserAdmin(BaseUserAdmin, AuditedAdmin):
    list_display = ["username", "display_name", "role", "federation", "is_active"]
    list_filter = ["role", "federation"]
    fieldsets = BaseUserAdmin.fieldsets + (
        (
            "Scope",
            {"fields": ("role", "display_name", "federation", "union", "linked_federations")},
        ),
    )
    raw_id_fields = ["union"]

    # Accounts are the one thing a superuser keeps in the admin (deactivate, reset a password);
    # the change is audited with the admin user as its author (HistoryRequestMiddleware).
    def has_add_permission(self, request, *args):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser
