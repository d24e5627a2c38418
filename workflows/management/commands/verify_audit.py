"""``manage.py verify_audit``: prove the audit trail is what the application wrote.

1. Walk every event chain in order and recompute each row's hash: a row whose hash no longer
   matches its content was **changed**.
2. Check each row's ``prev_hash`` against the row before it in its chain: a link that points
   further back means a row was **inserted** in between; a link that points nowhere means rows
   were **removed**.
3. Compare each chain's end with its ``ChainHead`` (written in the same transaction as the
   event): a chain shorter than its head lost its newest rows, a longer one gained rows after it.
   This is what the chain alone cannot show.
4. Check that each case's stage (and each subsidy's state) is the ``to_stage`` of its last event,
   and that its newest history row agrees.

Limits: the hash covers who, what, from, to, why, when, the case, the county and the data; it
does not cover ``campaign_id`` or ``history_id``. Someone who can write to the database and
recomputes the hashes *and* the heads can still rewrite history undetected: keep a copy of the
heads elsewhere (``--heads-out``) to anchor them.

Exits with status 1 when anything is found.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from django.core.management.base import BaseCommand, CommandError
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat

from subsidies.models import SubsidyApplication
from workflows.models import Case, ChainHead, Event

CHANGED = "changed"
INSERTED = "inserted"
REMOVED = "removed"
MOVED = "moved"
NO_HEAD = "no_head"
STATE = "state_mismatch"
HISTORY = "history_mismatch"
NO_EVENTS = "no_events"


@dataclass(frozen=True)
class AuditFinding:
    kind: str
    chain: str
    event_id: int | None
    detail: str

    def __str__(self) -> str:
        where = f" event {self.event_id}" if self.event_id is not None else ""
        return f"{self.kind:16} {self.chain}{where}: {self.detail}"


HASHED_FIELDS = (
    "id",
    "subject",
    "subject_id",
    "chain",
    "prev_hash",
    "hash",
    "case_id",
    "federation_id",
    "actor_id",
    "action",
    "from_stage",
    "to_stage",
    "comment",
    "data",
    "created_at",
)


@dataclass
class _Chain:
    name: str
    length: int = 0
    last_id: int | None = None
    last_hash: str = ""
    earlier_hashes: set[str] | None = None


def verify_chains(*, chunk_size: int = 5000) -> Iterator[AuditFinding]:
    """Steps 1 to 3, streaming the events in (chain, id) order with one row in memory."""
    heads = {
        chain: (last_id, length, digest)
        for chain, last_id, length, digest in ChainHead.objects.values_list(
            "chain", "last_event_id", "length", "hash"
        ).iterator(chunk_size=chunk_size)
    }
    current: _Chain | None = None
    rows = (
        Event.objects.order_by("chain", "id").only(*HASHED_FIELDS).iterator(chunk_size=chunk_size)
    )
    for event in rows:
        if current is None or event.chain != current.name:
            if current is not None:
                yield from _check_head(current, heads.pop(current.name, None))
            current = _Chain(event.chain, earlier_hashes=set())
        yield from _check_row(current, event)
        current.earlier_hashes.add(current.last_hash)
        current.length += 1
        current.last_id = event.pk
        current.last_hash = event.hash
    if current is not None:
        yield from _check_head(current, heads.pop(current.name, None))
    for chain, (last_id, length, _digest) in sorted(heads.items()):
        yield AuditFinding(
            REMOVED,
            chain,
            last_id,
            f"all {length} events of this chain are missing; its head remains",
        )


def _check_row(chain: _Chain, event: Event) -> Iterator[AuditFinding]:
    if event.chain != f"{event.subject}:{event.subject_id}":
        yield AuditFinding(
            MOVED, chain.name, event.pk, f"row names subject {event.subject}:{event.subject_id}"
        )
    if event.compute_hash() != event.hash:
        yield AuditFinding(CHANGED, chain.name, event.pk, "content no longer matches its hash")
    if event.prev_hash == chain.last_hash:
        return
    if chain.length == 0:
        yield AuditFinding(REMOVED, chain.name, event.pk, "the chain's first events are missing")
    elif event.prev_hash and event.prev_hash in chain.earlier_hashes:
        yield AuditFinding(
            INSERTED,
            chain.name,
            chain.last_id,
            f"this row sits between the rows that event {event.pk} links",
        )
    elif not event.prev_hash:
        yield AuditFinding(INSERTED, chain.name, event.pk, "a second start of the chain")
    else:
        yield AuditFinding(
            REMOVED,
            chain.name,
            event.pk,
            f"events between {chain.last_id} and this one are missing",
        )


def _check_head(chain: _Chain, head: tuple[int, int, str] | None) -> Iterator[AuditFinding]:
    if head is None:
        yield AuditFinding(
            NO_HEAD, chain.name, chain.last_id, "the chain has no head; its end cannot be checked"
        )
        return
    last_id, length, digest = head
    if (last_id, length, digest) == (chain.last_id, chain.length, chain.last_hash):
        return
    if length > chain.length or last_id > (chain.last_id or 0):
        yield AuditFinding(
            REMOVED,
            chain.name,
            last_id,
            f"the head ends at event {last_id} after {length} events; the rows end at {chain.last_id} after {chain.length}",
        )
    else:
        yield AuditFinding(
            INSERTED,
            chain.name,
            chain.last_id,
            f"rows continue past the head (event {last_id}, {length} events) to {chain.last_id} ({chain.length} events)",
        )


def verify_states(*, chunk_size: int = 5000) -> Iterator[AuditFinding]:
    """Step 4: each case's stage and each subsidy's state against its last event and history."""
    checks = [
        (Case, "case", "stage", Case.history.model),
        (SubsidyApplication, "subsidy", "state", SubsidyApplication.history.model),
    ]
    for model, subject, field, historical in checks:
        # By chain name, so the (chain, id) index finds each subject's last event.
        chain_of = Concat(Value(f"{subject}:"), Cast(OuterRef("pk"), CharField()))
        last_event = Event.objects.filter(chain=chain_of).order_by("-id")
        last_history = historical.objects.filter(id=OuterRef("pk")).order_by("-history_id")
        rows = (
            model.objects.annotate(
                event_to=Subquery(last_event.values("to_stage")[:1]),
                event_id=Subquery(last_event.values("id")[:1]),
                history_value=Subquery(last_history.values(field)[:1]),
            )
            .values_list("pk", field, "event_to", "event_id", "history_value")
            .order_by("pk")
        )
        for pk, value, event_to, event_id, history_value in rows.iterator(chunk_size=chunk_size):
            chain = f"{subject}:{pk}"
            if event_id is None:
                yield AuditFinding(
                    NO_EVENTS, chain, None, f"{field} is “{value}” but no event records how"
                )
            elif value != event_to:
                yield AuditFinding(
                    STATE,
                    chain,
                    event_id,
                    f"{field} is “{value}” but its last event left it at “{event_to}”",
                )
            if history_value != value:
                yield AuditFinding(
                    HISTORY,
                    chain,
                    None,
                    f"{field} is “{value}” but its newest history row says “{history_value}”",
                )


def verify_all() -> list[AuditFinding]:
    return [*verify_chains(), *verify_states()]


class Command(BaseCommand):
    help = (
        "Recompute every event chain and check each case's stage against its events and history. "
        "Exits non-zero on any finding."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="one JSON object per finding")
        parser.add_argument(
            "--heads-out",
            metavar="FILE",
            help="also write every chain head (chain, last event, length, hash) to FILE, to keep elsewhere",
        )

    def handle(self, *args, **options):
        findings = 0
        for finding in verify_all():
            findings += 1
            self.stdout.write(
                json.dumps(asdict(finding), ensure_ascii=False) if options["json"] else str(finding)
            )
        if options["heads_out"]:
            with open(options["heads_out"], "w", encoding="utf-8") as out:
                for row in ChainHead.objects.order_by("chain").values_list(
                    "chain", "last_event_id", "length", "hash"
                ):
                    out.write("\t".join(map(str, row)) + "\n")
        chains = ChainHead.objects.count()
        events = Event.objects.count()
        if findings:
            raise CommandError(f"{findings} finding(s) in {events} events of {chains} chains.")
        self.stdout.write(
            self.style.SUCCESS(f"Audit trail intact: {events} events in {chains} chains.")
        )
