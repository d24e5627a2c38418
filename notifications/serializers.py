from __future__ import annotations

from django.utils import timezone

from .texts import render


def notification_payload(row) -> dict:
    """The JSON object the API and the WebSocket both send (API.md)."""
    return {
        "id": row.pk,
        "kind": row.kind,
        "text": render(row.kind, row.params),
        "link": row.link,
        "case": row.case_id,
        "created_at": timezone.localtime(row.created_at).isoformat(),
        "read": row.read,
    }
