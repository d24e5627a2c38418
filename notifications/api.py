from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Notification
from .serializers import notification_payload

CATCH_UP_LIMIT = 500


class NotificationListView(APIView):
    """The user's own notifications, oldest first; ``?after=ID`` returns only newer ones, so a
    client that reconnects gets exactly what it missed."""

    @extend_schema(
        parameters=[
            OpenApiParameter("after", OpenApiTypes.INT, description="only notifications with a larger id"),
            OpenApiParameter("unread", OpenApiTypes.BOOL),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        qs = Notification.objects.filter(recipient=request.user).order_by("id")
        after = request.query_params.get("after")
        if after not in (None, ""):
            try:
                qs = qs.filter(id__gt=int(after))
            except ValueError:
                return Response({"errors": {"after": ["Must be a whole number."]}}, status=400)
        else:
            # Without a cursor: the most recent page, still oldest first.
            newest = list(qs.order_by("-id").values_list("id", flat=True)[:CATCH_UP_LIMIT])
            qs = qs.filter(id__gte=newest[-1]) if newest else qs.none()
        if request.query_params.get("unread") in ("1", "true"):
            qs = qs.filter(read=False)
        rows = list(qs[:CATCH_UP_LIMIT])
        return Response([notification_payload(row) for row in rows])


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), required=False)
    all = serializers.BooleanField(required=False, default=False)


class MarkReadView(APIView):
    @extend_schema(request=MarkReadSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        serializer = MarkReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        qs = Notification.objects.filter(recipient=request.user, read=False)
        if not serializer.validated_data["all"]:
            qs = qs.filter(pk__in=serializer.validated_data.get("ids") or [])
        # Notifications are not audited models: a bulk update is the right tool here.
        marked = qs.update(read=True)
        unread = Notification.objects.filter(recipient=request.user, read=False).count()
        return Response({"marked": marked, "unread": unread, "at": timezone.now().isoformat()})


class UnreadCountView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        unread = Notification.objects.filter(recipient=request.user, read=False).count()
        last = Notification.objects.filter(recipient=request.user).order_by("-id").values_list("id", flat=True).first()
        return Response({"unread": unread, "last_id": last or 0})
