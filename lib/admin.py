"""Admin conventions: every domain model is shown with its history; changes made in the admin
go through the services where a service exists; auditors read everything and change nothing;
nobody deletes history through the application."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin


class AuditedAdmin(SimpleHistoryAdmin):
    """Read-only for everyone, superusers included: a domain record changes only through its
    service, which also derives what follows (a new founding date re-derives tracks, a stage
    change writes its event and notifications). History rows are never reverted or deleted."""

    history_list_display = ["history_change_reason"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and (
            request.user.is_superuser
            or getattr(request.user, "role", "") in ("auditor", "federation_officer")
        )

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def history_view(self, request, object_id, extra_context=None):
        # Reverting to an old version would write around the services: never offered.
        extra_context = {**(extra_context or {}), "revert_disabled": True}
        return super().history_view(request, object_id, extra_context=extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied


class ReadOnlyAdmin(admin.ModelAdmin):
    """For append-only records (events, notifications): visible, never edited or deleted."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return AuditedAdmin.has_view_permission(self, request, obj)

    def has_module_permission(self, request):
        return self.has_view_permission(request)
