"""The one subscriber that turns events into notifications (STYLE.md 6), and the one writer of
notification rows.

1. ``event_recorded`` runs inside the transaction that wrote the event (``record_event`` calls
   it). It derives the recipients from the event's kind, role and county, never the actor.
2. ``write`` stores one row per recipient in that same transaction, so the rows commit or roll
   back with the change, and renders each row in its recipient's language.
3. The rendered rows are pushed with ``transaction.on_commit``: a rolled-back change pushes
   nothing, and a failed push (Redis down) loses nothing, because the rows are committed and a
   client catches up with ``GET /api/v1/notifications/?after=ID``.

Why ``write`` locks the recipients' user rows first: ids come from one sequence and are handed
out at insert, but transactions commit in any order. If two transactions notified one user, the
one holding the larger id could commit first; a client catching up with ``?after`` would move
its cursor past the smaller id and never see that row. With the recipients locked (in id order,
so two writers cannot deadlock) each user's rows commit in id order, which is what makes
``?after=ID`` complete. Under the same lock each row records ``previous``, the recipient's row
before it, so a client that receives a push whose ``previous`` it has not seen knows it missed
one and catches up.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connections, router, transaction
from django.db.models import Max

from lib.sql import quoted_column, quoted_table
from unions.models import Role, User

from .fanout import send_to_users
from .models import Notification
from .serializers import language_of, payload_for

log = logging.getLogger(__name__)

COUNTY = "county"
FEDERATION = "federation"
LINKED_LEADERS = "linked_leaders"
REPORTERS = "reporters"  # the union's own reporters, for what happens to the survey they filled

# Kind of event -> who must know. A kind is the case transition's name, or the subject and the
# action for subsidies and county summaries (``kind_of``). Kinds not listed notify nobody.
RECIPIENTS: dict[str, tuple[str, ...]] = {
    # Work for the county: a survey to review, and the answers to what the county sent up.
    "submit_survey": (COUNTY,),
    "return_survey": (COUNTY, REPORTERS),
    "accept_survey": (COUNTY, REPORTERS),
    "return_assessment": (COUNTY,),
    "approve_assessment": (COUNTY,),
    "decline_model": (COUNTY,),
    "select_model": (COUNTY,),
    "summary_accept": (COUNTY,),
    "summary_return": (COUNTY,),
    # Work for the city federation.
    "submit_assessment": (FEDERATION,),
    "recommend_model": (FEDERATION,),
    "summary_submit": (FEDERATION,),
    # Money: the linked leaders sign off; everyone concerned hears the outcome.
    "subsidy_submit": (LINKED_LEADERS,),
    "subsidy_sign_off": (COUNTY, FEDERATION),
    "subsidy_reject": (COUNTY, FEDERATION),
    "subsidy_disburse": (COUNTY, FEDERATION),
}

# A push that cannot reach the channel layer within this time is given up (the rows remain).
PUSH_TIMEOUT_SECONDS = 5.0
# Rows written per statement by ``write``.
BATCH_SIZE = 500


@dataclass(frozen=True)
class Draft:
    """A notification not yet written: for whom, what, and (for reminders) its dedupe key."""

    recipient: User
    kind: str
    params: dict[str, Any]
    link: str = ""
    case_id: int | None = None
    event_id: int | None = None
    dedupe_key: str = ""


# --- Events ------------------------------------------------------------------------------------


def kind_of(event) -> str:
    if event.subject in ("subsidy", "summary"):
        return f"{event.subject}_{event.action}"
    return event.action


def recipients_for(kind: str, event, *, lock: bool = False) -> list[User]:
    """Who is told of ``event``: by role and by the event's county, never the actor. One query,
    in id order; with ``lock`` it also locks their rows (``FOR NO KEY UPDATE``) as ``write``
    needs, so ``event_recorded`` does not lock them again.

    The statement is plain SQL, built from the audiences and the models' own table and column
    names: it runs inside every transition, where building and compiling the equivalent
    queryset (an ``OR`` of audiences, ``Exists`` for the linked leaders) cost more than the
    round trip. ``tests/notifications/test_recipients_sql.py`` holds it to that queryset."""
    parts: list[str] = []
    params: list[Any] = []
    for audience in RECIPIENTS.get(kind, ()):
        if audience == COUNTY:
            if event.federation_id is not None:
                parts.append("({role} = %s AND {federation} = %s)")
                params += [Role.COUNTY_OFFICER.value, event.federation_id]
        elif audience == FEDERATION:
            parts.append("{role} = %s")
            params.append(Role.FEDERATION_OFFICER.value)
        elif audience == LINKED_LEADERS:
            # The leaders linked to the county; a county no active leader follows still needs
            # a sign-off: then every leader hears of it.
            parts.append(
                "({role} = %s AND (EXISTS (SELECT 1 FROM {links} l WHERE l.{link_user} = u.{id} "
                "AND l.{link_federation} = %s) OR NOT EXISTS (SELECT 1 FROM {links} l "
                "JOIN {users} lu ON lu.{id} = l.{link_user} WHERE l.{link_federation} = %s "
                "AND lu.{active} AND lu.{role} = %s)))"
            )
            params += [
                Role.LEADER.value,
                event.federation_id,
                event.federation_id,
                Role.LEADER.value,
            ]
        elif audience == REPORTERS:
            if event.case_id is not None:
                parts.append("({role} = %s AND {union} = %s)")
                params += [Role.UNION_REPORTER.value, event.case.union_id]
        else:  # pragma: no cover - RECIPIENTS names only the audiences above
            raise ValueError(audience)
    if not parts:
        return []
    # Only the fixed parts above and the models' quoted names are formatted into the text;
    # every value is a parameter.
    where = " OR ".join(parts)
    sql = f"SELECT u.{{id}}, u.{{language}} FROM {{users}} u WHERE u.{{active}} AND ({where})"  # noqa: S608  # nosec B608
    if event.actor_id is not None:
        sql += " AND u.{id} <> %s"  # nobody is told of their own act
        params.append(event.actor_id)
    sql += " ORDER BY u.{id}"
    db = router.db_for_write(User) if lock else router.db_for_read(User)
    connection = connections[db]
    if lock and connection.features.has_select_for_update:
        sql += (
            " FOR NO KEY UPDATE"
            if connection.features.has_select_for_no_key_update
            else " FOR UPDATE"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql.format(**_names(connection)), params)
        rows = cursor.fetchall()
    # What ``write`` reads of each recipient: who they are and the language they read.
    return [User.from_db(db, ["id", "language"], row) for row in rows]


_NAMES: dict[str, dict[str, str]] = {}


def _names(connection) -> dict[str, str]:
    """The tables and columns ``recipients_for`` names, quoted, from the models themselves
    (once per database vendor)."""
    names = _NAMES.get(connection.vendor)
    if names is None:
        names = _NAMES[connection.vendor] = _quoted_names(connection)
    return names


def _quoted_names(connection) -> dict[str, str]:
    links = User.linked_federations.through
    column = partial(quoted_column, connection)
    return {
        "users": quoted_table(connection, User),
        "id": column(User, "id"),
        "language": column(User, "language"),
        "active": column(User, "is_active"),
        "role": column(User, "role"),
        "federation": column(User, "federation"),
        "union": column(User, "union"),
        "links": quoted_table(connection, links),
        "link_user": column(links, "user"),
        "link_federation": column(links, "federation"),
    }


def params_for(event) -> dict[str, Any]:
    """What a notification of ``event`` says: its plain data, the comment, and names to show."""
    params: dict[str, Any] = {
        k: v for k, v in event.data.items() if isinstance(v, str | int | float | bool)
    }
    params["comment"] = event.comment
    if event.case_id:
        params["union"] = event.case.union.name
        params["case"] = event.case_id
    if event.federation_id:
        params["federation"] = event.federation.name
    if event.actor_id:
        params["actor"] = event.actor.name
    return params


def link_for(event) -> str:
    """The page a notification of ``event`` opens."""
    if event.case_id:
        return f"/cases/{event.case_id}/"
    if event.subject == "summary":
        return f"/summaries/{event.subject_id}/"
    return ""


def event_recorded(event) -> list[Notification]:
    """Write the notifications ``event`` calls for. Runs inside the event's transaction."""
    kind = kind_of(event)
    users = recipients_for(kind, event, lock=True)
    if not users:
        return []
    params, link = params_for(event), link_for(event)
    return write(
        [
            Draft(user, kind, params, link=link, case_id=event.case_id, event_id=event.pk)
            for user in users
        ],
        locked=True,
    )


# --- Writing and pushing -----------------------------------------------------------------------


def write(drafts: Iterable[Draft], *, locked: bool = False) -> list[Notification]:
    """Store the drafts and push them once the transaction commits; return the rows written.

    A draft whose ``dedupe_key`` its recipient already has is skipped, so reminders can be
    sent again and again. Runs in the caller's transaction when there is one (a failure then
    fails the caller's change: the notification is part of it), else in its own. ``locked``
    says the caller's transaction has already locked every recipient, all in one statement in
    id order, as ``_lock_recipients`` would (``recipients_for(..., lock=True)``).
    """
    drafts = list(drafts)
    written: list[Notification] = []
    with transaction.atomic(savepoint=False):
        if not locked:
            _lock_recipients(sorted({d.recipient.pk for d in drafts}))
        for start in range(0, len(drafts), BATCH_SIZE):
            written += _write_batch(drafts[start : start + BATCH_SIZE])
        if written:
            users = {d.recipient.pk: d.recipient for d in drafts}
            payloads = [
                (row.recipient_id, payload_for(row, language_of(users[row.recipient_id])))
                for row in written
            ]
            transaction.on_commit(partial(push, payloads), robust=True)
    return written


def _lock_recipients(user_ids: list[int]) -> None:
    """Lock every recipient of one ``write``, all in id order, before writing any row: two
    writers notifying overlapping users then queue instead of deadlocking. FOR NO KEY UPDATE
    queues notification writers, yet leaves alone the key-share locks that inserting an event
    or history row naming the user as actor takes."""
    for start in range(0, len(user_ids), BATCH_SIZE):
        list(
            User.objects.select_for_update(no_key=True)
            .filter(pk__in=user_ids[start : start + BATCH_SIZE])
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def _write_batch(drafts: list[Draft]) -> list[Notification]:
    recipient_ids = sorted({d.recipient.pk for d in drafts})
    keys = {d.dedupe_key for d in drafts if d.dedupe_key}
    sent = (
        set(
            Notification.objects.filter(
                recipient_id__in=recipient_ids, dedupe_key__in=keys
            ).values_list("recipient_id", "dedupe_key")
        )
        if keys
        else set()
    )
    previous = dict(
        Notification.objects.filter(recipient_id__in=recipient_ids)
        .order_by()
        .values("recipient_id")
        .annotate(last=Max("id"))
        .values_list("recipient_id", "last")
    )
    # One user may get several rows in a batch (reminders). Rows go in rounds, the n-th draft
    # of each user in round n, so each row can name the row before it as ``previous``.
    rounds: list[list[Draft]] = []
    per_user: dict[int, int] = defaultdict(int)
    for draft in drafts:
        if draft.dedupe_key:
            if (draft.recipient.pk, draft.dedupe_key) in sent:
                continue
            sent.add((draft.recipient.pk, draft.dedupe_key))
        n = per_user[draft.recipient.pk]
        per_user[draft.recipient.pk] += 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(draft)
    written: list[Notification] = []
    for round_ in rounds:
        rows = Notification.objects.bulk_create(
            [
                Notification(
                    recipient=d.recipient,
                    kind=d.kind,
                    params=d.params,
                    link=d.link,
                    case_id=d.case_id,
                    event_id=d.event_id,
                    dedupe_key=d.dedupe_key,
                    previous=previous.get(d.recipient.pk),
                )
                for d in round_
            ]
        )
        for row in rows:
            previous[row.recipient_id] = row.pk
        written += rows
    written.sort(key=lambda row: row.pk)
    return written


def push(payloads: list[tuple[int, dict]]) -> None:
    """Send committed rows, rendered, to their recipients' sockets.

    The message carries the rendered objects, so a consumer forwards them without a query, and
    ``fanout.send_to_users`` delivers one commit's rows in a few Redis round trips however many
    users it notifies. A failure here loses nothing: the rows are committed and clients catch
    up with ``?after``.
    """
    layer = get_channel_layer()
    if layer is None or not payloads:
        return
    per_user: dict[int, list[dict]] = defaultdict(list)
    for user_id, payload in payloads:
        per_user[user_id].append(payload)  # already in id order
    try:
        dropped = async_to_sync(_send)(layer, per_user)
    except Exception as exc:
        log.warning(
            "%d notifications were not pushed (%r); their recipients will catch up",
            len(payloads),
            exc,
        )
        return
    if dropped:
        log.warning("%d full channels dropped a push; their clients will catch up", dropped)


async def _send(layer, per_user: dict[int, list[dict]]) -> int:
    async with asyncio.timeout(PUSH_TIMEOUT_SECONDS):
        return await send_to_users(layer, per_user)
