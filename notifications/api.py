"""The user's own notifications (API.md ``GET /api/v1/notifications/?after=ID``), marking them
read, and the unread count. Every query is filtered by ``recipient=request.user``: nobody reads
or marks another user's rows, and an id that is not theirs is simply not found."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from lib.errors import InvalidInput

from .models import Notification
from .serializers import language_of, payload_for

PAGE_LIMIT = 500


def _whole_number(
    params, name: str, *, default: int | None, minimum: int, maximum: int | None = None
):
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput({name: [_("Must be a whole number.")]}) from None
    if value < minimum or (maximum is not None and value > maximum):
        raise InvalidInput(
            {name: [_("Must be between %(min)d and %(max)d.") % {"min": minimum, "max": maximum}]}
            if maximum is not None
            else {name: [_("Must be %(min)d or more.") % {"min": minimum}]}
        )
    return value


class NotificationSerializer(serializers.Serializer):
    """For the schema only: rows are rendered by ``notifications.serializers``."""

    id = serializers.IntegerField()
    kind = serializers.CharField()
    text = serializers.CharField()
    link = serializers.CharField()
    case = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    read = serializers.BooleanField()
    previous = serializers.IntegerField(allow_null=True)


class NotificationListView(APIView):
    """The user's own notifications, oldest first, in the user's language.

    ``?after=ID`` returns the ones with a larger id (at most ``limit``), so a client that
    reconnects, or sees a gap in the ``previous`` ids it receives, gets exactly what it missed,
    in order; it asks again from the last id while a full page comes back. Without ``after``:
    the newest ``limit``, still oldest first.
    """

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "after", OpenApiTypes.INT, description="only notifications with a larger id"
            ),
            OpenApiParameter(
                "limit",
                OpenApiTypes.INT,
                description=f"at most this many (1–{PAGE_LIMIT}, default {PAGE_LIMIT})",
            ),
            OpenApiParameter("unread", OpenApiTypes.BOOL, description="only unread ones"),
        ],
        responses=NotificationSerializer(many=True),
    )
    def get(self, request):
        after = _whole_number(request.query_params, "after", default=None, minimum=0)
        limit = _whole_number(
            request.query_params, "limit", default=PAGE_LIMIT, minimum=1, maximum=PAGE_LIMIT
        )
        qs = Notification.objects.filter(recipient=request.user)
        if request.query_params.get("unread") in ("1", "true"):
            qs = qs.filter(read=False)
        if after is not None:
            rows = list(qs.filter(id__gt=after).order_by("id")[:limit])
        else:
            rows = list(qs.order_by("-id")[:limit])[::-1]
        language = language_of(request.user)
        return Response([payload_for(row, language) for row in rows])


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=PAGE_LIMIT
    )
    all = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        if not attrs.get("all") and not attrs.get("ids"):
            raise serializers.ValidationError(
                {"ids": [_("Give the ids to mark read, or all: true.")]}
            )
        return attrs


class MarkReadView(APIView):
    """Mark some (``{"ids": [..]}``) or all (``{"all": true}``) of the user's notifications
    read. Answers ``{"marked", "unread"}``; ids that are not the user's are ignored."""

    @extend_schema(request=MarkReadSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        serializer = MarkReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        qs = Notification.objects.filter(recipient=request.user, read=False)
        if not serializer.validated_data["all"]:
            qs = qs.filter(pk__in=serializer.validated_data["ids"])
        # Notifications are not audited models (no history): a bulk update is the right tool.
        marked = qs.update(read=True)
        unread = Notification.objects.filter(recipient=request.user, read=False).count()
        return Response({"marked": marked, "unread": unread})


class UnreadCountView(APIView):
    """``{"unread", "last_id"}``: the badge's number, and the id a client may catch up from."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        mine = Notification.objects.filter(recipient=request.user)
        unread = mine.filter(read=False).count()
        last = mine.order_by("-id").values_list("id", flat=True).first()
        return Response({"unread": unread, "last_id": last or 0})
