"""OpenAPI descriptions of the error answers of API.md, for ``extend_schema(responses=...)``.

The shapes are those ``lib.api.exception_handler`` produces::

    400 {"errors": {"field": ["message"]}}     403/404 {"detail"}     409 {"detail", "reason"}
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

_Errors = inline_serializer(
    "Errors",
    {
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            help_text="Messages by field; nested fields are dotted (subsidy_amounts.six_haves).",
        )
    },
)
_Detail = inline_serializer("Detail", {"detail": serializers.CharField()})
_ConflictBody = inline_serializer(
    "Conflict", {"detail": serializers.CharField(), "reason": serializers.CharField()}
)

BAD_INPUT = OpenApiResponse(_Errors, description="Bad input; nothing was saved.")
UNAUTHENTICATED = OpenApiResponse(_Detail, description="No or bad credentials.")
FORBIDDEN = OpenApiResponse(_Detail, description="The user's role may not do this.")
NOT_FOUND = OpenApiResponse(_Detail, description="Unknown, or outside the user's scope.")
CONFLICT = OpenApiResponse(
    _ConflictBody,
    description="Not available now: wrong stage, an unmet condition (the reason says which), "
    "or a concurrent change that won.",
)


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The error answers an operation can give, by status code (401 always)."""
    known = {400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT}
    return {code: known[code] for code in sorted({401, *codes})}
