"""The one subscriber that turns events into notifications (STYLE.md 6).

``event_recorded`` runs inside the transaction that wrote the event: it writes one row per
recipient there, so the rows commit or roll back with the change, and schedules the push with
``transaction.on_commit``, so a rolled-back change pushes nothing.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from unions.models import Role, User

from .models import Notification

log = logging.getLogger(__name__)

COUNTY = "county"
FEDERATION = "federation"
LINKED_LEADERS = "linked_leaders"
REPORTERS = "reporters"

# Event action (prefixed by subject for subsidies and summaries) -> who must know.
RECIPIENTS: dict[str, tuple[str, ...]] = {
    "submit_survey": (COUNTY,),
    "return_survey": (COUNTY, REPORTERS),
    "accept_survey": (COUNTY, REPORTERS),
    "return_assessment": (COUNTY,),
    "approve_assessment": (COUNTY,),
    "submit_assessment": (FEDERATION,),
    "recommend_model": (FEDERATION,),
    "decline_model": (COUNTY,),
    "select_model": (COUNTY,),
    "subsidy_submit": (LINKED_LEADERS,),
    "subsidy_sign_off": (COUNTY, FEDERATION),
    "subsidy_reject": (COUNTY, FEDERATION),
    "subsidy_disburse": (COUNTY, FEDERATION),
    "summary_submit": (FEDERATION,),
    "summary_accept": (COUNTY,),
    "summary_return": (COUNTY,),
}


def kind_of(event) -> str:
    if event.subject in ("subsidy", "summary"):
        return f"{event.subject}_{event.action}"
    return event.action


def recipients_for(kind: str, event) -> list[User]:
    audiences = RECIPIENTS.get(kind, ())
    if not audiences:
        return []
    users = User.objects.filter(is_active=True)
    chosen: dict[int, User] = {}
    for audience in audiences:
        if audience == COUNTY:
            qs = users.filter(role=Role.COUNTY_OFFICER, federation_id=event.federation_id)
        elif audience == FEDERATION:
            qs = users.filter(role=Role.FEDERATION_OFFICER)
        elif audience == REPORTERS and event.case_id:
            qs = users.filter(role=Role.UNION_REPORTER, union__cases=event.case_id)
        elif audience == LINKED_LEADERS:
            leaders = users.filter(role=Role.LEADER)
            linked = leaders.filter(linked_federations=event.federation_id)
            qs = linked if linked.exists() else leaders
        else:
            continue
        for user in qs:
            chosen[user.pk] = user
    chosen.pop(event.actor_id, None)  # nobody is told of their own act
    return list(chosen.values())


def _params(event) -> dict:
    params = {"comment": event.comment}
    if event.case_id:
        params["union"] = event.case.union.name
        params["case"] = event.case_id
    if event.federation_id:
        params["federation"] = event.federation.name
    params.update({k: v for k, v in event.data.items() if isinstance(v, str | int | float)})
    return params


def _link(event) -> str:
    if event.case_id:
        return f"/cases/{event.case_id}/"
    if event.subject == "summary":
        return f"/summaries/{event.subject_id}/"
    return ""


def event_recorded(event) -> list[Notification]:
    kind = kind_of(event)
    users = recipients_for(kind, event)
    if not users:
        return []
    params = _params(event)
    link = _link(event)
    rows = Notification.objects.bulk_create(
        [
            Notification(
                recipient=user, kind=kind, params=params, link=link, case_id=event.case_id, event=event
            )
            for user in users
        ]
    )
    push_on_commit(rows)
    return rows


def create_notification(*, recipient: User, kind: str, params: dict, link: str = "",
                        case_id: int | None = None, dedupe_key: str = "") -> Notification | None:
    """A notification not derived from an event (reminders). Idempotent by ``dedupe_key``."""
    with transaction.atomic():
        if dedupe_key and Notification.objects.filter(recipient=recipient, dedupe_key=dedupe_key).exists():
            return None
        row = Notification.objects.create(
            recipient=recipient, kind=kind, params=params, link=link, case_id=case_id, dedupe_key=dedupe_key
        )
        push_on_commit([row])
    return row


def group_for(user_id: int) -> str:
    return f"user.{user_id}"


def push_on_commit(rows: list[Notification]) -> None:
    ids = [row.pk for row in rows]
    transaction.on_commit(lambda: push(ids))


def push(ids: list[int]) -> None:
    """Send committed rows to their recipients' sockets. A failure here loses nothing: the rows
    are committed and clients catch up with ``?after=ID``."""
    layer = get_channel_layer()
    if layer is None:
        return
    rows = Notification.objects.filter(pk__in=ids).only("id", "recipient_id")
    try:
        for row in rows:
            async_to_sync(layer.group_send)(
                group_for(row.recipient_id),
                {"type": "notification.message", "notification_id": row.pk},
            )
    except Exception:  # the channel layer is down: the rows stay for catch-up
        log.warning("push of notifications %s failed; clients will catch up", ids, exc_info=True)
