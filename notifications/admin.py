from django.contrib import admin

from lib.admin import ReadOnlyAdmin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["id", "recipient", "kind", "created_at", "read"]
    list_filter = ["kind", "read"]
