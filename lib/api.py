"""API plumbing shared by every app: the error shapes of API.md, idempotent retries, and the
per-request work of token authentication and serializers kept small."""

from __future__ import annotations

import copy
import functools
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from .errors import Conflict, InvalidInput, NotInScope, RoleForbidden
from .sql import PreparedQuery


def _flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF nests errors like the data; API.md wants ``{"field": ["message"]}`` with dotted paths."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = (
                "non_field_errors" if key == "non_field_errors" and not prefix else f"{prefix}{key}"
            )
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
    # Imported here: DRF's settings import this module for TokenAuthentication while
    # rest_framework.views is still being imported.
    from rest_framework.views import exception_handler as drf_exception_handler

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


class _NotRemembered(Exception):
    """Carries a non-2xx answer out of the transaction, so its claim on the key is undone."""

    def __init__(self, response: Response):
        self.response = response


def idempotent(view_method):
    """Replay the first answer to a request retried with the same ``Idempotency-Key`` header.

    1. The key is claimed (its row inserted) before the view runs, in the view's transaction.
       A first request, by far the common case, costs that one insert and no lookup.
    2. A retry after a lost answer finds the row (its claim hits the unique key) and replays
       that answer, changing nothing.
    3. A retry while the first is still running blocks on the claim (unique key per user) until
       the first commits, then replays its answer; if the first failed, the retry runs afresh.
    4. Only a 2xx answer is kept: a failure commits nothing, so the same key may try again.
    """

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if not key or not request.user.is_authenticated:
            return view_method(self, request, *args, **kwargs)
        from workflows.models import IdempotentResponse

        key = key[:200]
        try:
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        claim = IdempotentResponse.objects.create(
                            user=request.user,
                            key=key,
                            method=request.method,
                            path=request.path,
                            status=0,
                            body={},
                        )
                except IntegrityError:
                    previous = IdempotentResponse.objects.get(user=request.user, key=key)
                    return _replay(previous, request)
                response = view_method(self, request, *args, **kwargs)
                if not 200 <= response.status_code < 300:
                    raise _NotRemembered(response)
                claim.status = response.status_code
                claim.body = response.data
                claim.save(update_fields=["status", "body"])
        except _NotRemembered as failed:
            return failed.response
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


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, with the token's user read by one prepared query.

    DRF reads ``Token.objects.select_related("user").get(key=key)`` on every request; building
    that ORM query (two models' columns, a join) costs about 1 ms of CPU, more than the
    round trip, on every API call (bench/bench_http_cpu.py). This reads the same row, the user
    joined to the token with that key, with the ORM's SQL compiled once per database
    (``lib.sql.PreparedQuery``). Only the reading changes: a key that matches nothing or an
    inactive user goes to DRF's own method, which answers 401 with its own messages, so failures
    behave exactly as before. ``request.auth`` is the token, as with DRF's class (unsaved:
    nothing here writes it).
    """

    # A token's key is 40 hexadecimal digits: no key is this.
    _users = PreparedQuery(
        lambda key: get_user_model().objects.filter(auth_token__key=key),
        stand_ins=["not a token key"],
    )

    def authenticate_credentials(self, key):
        from rest_framework.authtoken.models import Token

        user = next(iter(self._users.rows(key)), None)
        if user is None or not user.is_active:
            return super().authenticate_credentials(key)
        return user, Token(key=key, user=user)


class FieldsBuiltOnceMixin:
    """A ``ModelSerializer`` whose fields are built from the model once per class, not once
    per instance.

    ``ModelSerializer.get_fields`` introspects the model and builds every field each time a
    serializer is made: about half a millisecond for the case's nine fields, paid by every
    single-object answer (a transition's, a detail). What it builds depends only on the class
    (its ``Meta`` and declared fields), never on the instance or the context, so the fields
    are built once. A subclass whose fields depend on the context must not use this.

    Each serializer then gets its own copy of each field, since binding (``Field.bind``) sets
    the field's name, parent and source on it. DRF's deep copy makes a field anew from its
    arguments, which cost as much again; a plain field holds nothing binding changes but
    attributes of its own, so a shallow copy is enough. A field that holds fields (a nested
    serializer, a list's child, a many-related field's child) binds those too, so it is still
    deep-copied.
    """

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_built_once")
        if built is None:
            built = super().get_fields()
            cls._fields_built_once = built
        return {name: _copy_for_binding(field) for name, field in built.items()}


def _copy_for_binding(field):
    if (
        isinstance(field, BaseSerializer)
        or hasattr(field, "child")
        or hasattr(field, "child_relation")
    ):
        return copy.deepcopy(field)
    return copy.copy(field)
