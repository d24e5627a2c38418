"""The JSON object of one notification: the API lists it and the WebSocket pushes it (API.md)."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone, translation

from .texts import render

LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)


def language_of(user) -> str:
    """The language a user reads notifications in: their ``language``, else the site's default."""
    language = getattr(user, "language", "") or ""
    return language if language in LANGUAGE_CODES else settings.LANGUAGE_CODE


def notification_payload(row) -> dict:
    """``{"id","kind","text","case","created_at","read"}`` (API.md), plus ``link`` and
    ``previous`` (the recipient's notification before this one, for gap detection). The text is
    in the active language; use ``payload_for`` to choose the reader's."""
    return {
        "id": row.pk,
        "kind": row.kind,
        "text": render(row.kind, row.params),
        "link": row.link,
        "case": row.case_id,
        "created_at": timezone.localtime(row.created_at).isoformat(),
        "read": row.read,
        "previous": row.previous,
    }


def payload_for(row, language: str) -> dict:
    with translation.override(language):
        return notification_payload(row)
