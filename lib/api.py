"""API plumbing shared by every app: the error shapes of API.md and idempotent retries."""

from __future__ import annotations

import functools
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import Conflict, InvalidInput, NotInScope, RoleForbidden


def _flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF nests errors like the data; API.md wants ``{"field": ["message"]}`` with dotted paths."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "non_field_errors" if key == "non_field_errors" and not prefix else f"{prefix}{key}"
            out.update(_flatten_errors(value, f"{name}."))
        return out
    if isinstance(detail, list) and detail and all(isinstance(d, str) for d in detail):
        out[prefix.rstrip(".") or "non_field_errors"] = [str(d) for d in detail]
        return out
    if isinstance(detail, list):
        for index, value in enumerate(detail):
            out.update(_flatten_errors(value, f"{prefix}{index}."))
        return out
    out[prefix.rstrip(".") or "non_field_errors"] = [str(detail)]
    return out


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, InvalidInput):
        return Response({"errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Conflict):
        return Response(
            {"detail": _("This action is not available now."), "reason": exc.reason},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, NotInScope | Http404):
        return Response({"detail": _("Not found.")}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, RoleForbidden | PermissionDenied):
        return Response(
            {"detail": _("Your role may not do this.")}, status=status.HTTP_403_FORBIDDEN
        )
    if isinstance(exc, exceptions.ValidationError):
        return Response({"errors": _flatten_errors(exc.detail)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, exceptions.ParseError):
        return Response(
            {"errors": {"non_field_errors": [str(exc.detail)]}}, status=status.HTTP_400_BAD_REQUEST
        )
    return drf_exception_handler(exc, context)


def idempotent(view_method):
    """Replay the first answer to a request retried with the same ``Idempotency-Key`` header.

    The key, the answer and the change commit together: a retry after a lost answer returns
    that answer and changes nothing; a retry while the first is still running waits for it
    (unique key per user), then replays.
    """

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if not key or not request.user.is_authenticated:
            return view_method(self, request, *args, **kwargs)
        from workflows.models import IdempotentResponse

        key = key[:200]
        previous = IdempotentResponse.objects.filter(user=request.user, key=key).first()
        if previous is not None:
            return _replay(previous, request)
        try:
            with transaction.atomic():
                response = view_method(self, request, *args, **kwargs)
                if 200 <= response.status_code < 300:
                    IdempotentResponse.objects.create(
                        user=request.user,
                        key=key,
                        method=request.method,
                        path=request.path,
                        status=response.status_code,
                        body=response.data,
                    )
        except IntegrityError:
            previous = IdempotentResponse.objects.get(user=request.user, key=key)
            return _replay(previous, request)
        return response

    return wrapper


def _replay(previous, request) -> Response:
    if previous.path != request.path or previous.method != request.method:
        return Response(
            {"errors": {"Idempotency-Key": [_("This key was used for another request.")]}},
            status=status.HTTP_400_BAD_REQUEST,
        )
    response = Response(previous.body, status=previous.status)
    response["Idempotent-Replayed"] = "true"
    return response
