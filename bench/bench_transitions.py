"""Benchmark: case transitions through the service, through HTTP, and as bare SQL (the limit).

    python bench/bench_transitions.py            # the city database
    python bench/bench_transitions.py --quick    # the 2,000-union database, fewer transitions
    python bench/bench_transitions.py --profile  # also where the service's time goes (pyinstrument)
    python bench/bench_transitions.py --no-http  # only the service against the bare writes

The work is the pair ``return_survey`` / ``submit_survey`` on cases of the current campaign
waiting in ``survey_review`` (each pair leaves the case as it found it):

1. **service**: ``workflows.services.do_transition`` in this process, one at a time: lock, role,
   scope and condition checks, the FSM (``submit_survey`` validates the whole survey), save with
   history, the hash-chained event, the chain head, the notifications.
2. **HTTP**: ``POST /api/v1/cases/{id}/transitions/{name}/`` with a token, against two server
   processes (``config/serve.py``: uvicorn, as production runs it) on free ports: one at a time, alternating pair by pair with the bare writes (as
   the service does), then from 2 and from ``--clients`` concurrent clients (each its own cases).
3. **bare SQL**, the physical limit: the same writes as the service, no more and no fewer, each
   a plain psycopg statement, in one transaction, with only the reads those writes need:

   - ``return_survey``: lock the case and read it (``SELECT … FOR UPDATE``, joined to what the
     rows below name: union, county, campaign); ``UPDATE`` its stage and count of returns;
     ``INSERT`` its history row; read and lock the chain's head (its hash is the new event's
     ``prev_hash``); ``INSERT`` the event (hashed as ``Event.compute_hash`` does); ``UPDATE`` the
     head; read and lock the recipients (the county's officers and the union's reporters, not
     the actor); when there are any, read their last notification and ``INSERT`` one row each.
     With ``BEGIN`` and ``COMMIT``: 9 round trips, 11 with recipients.
   - ``submit_survey``: the same, and before the case: ``UPDATE`` the survey's
     ``submitted_at``, ``INSERT`` its history row, read and lock the member evaluation of the
     ballots' year (written, with its history row, only when the ballots changed it). 12 round
     trips, 14 with recipients.

   The writes go into copies of the nine tables (``CREATE TABLE … (LIKE … INCLUDING ALL)`` filled
   with every row, so indexes are as deep; identity sequences moved on; foreign keys re-created,
   checked at commit like Django's), dropped afterwards: the real rows are not changed. The
   bare SQL checks no role, scope or condition and renders no notification: that is the
   service's work the limit leaves out. One at a time it alternates with the service pair by
   pair, so both meet the same load; then from ``--clients`` connections at once.

Reported: p50/p95 latency, throughput, the ratios service ÷ bare and HTTP ÷ bare (p50, one at
a time), bare ÷ HTTP throughput (concurrent), and the round trips of each. The goal is within
3× of the limit.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from psycopg.types.json import Jsonb

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402
from servers import SERVER, cpu_seconds, process_cpu, start_servers, stop_servers  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HTTP_ERRORS: list[str] = []
# The work: each pair leaves the case as it found it.
PAIR = (("return_survey", "请补充材料"), ("submit_survey", ""))


def pick_cases(count: int) -> list[tuple[int, int]]:
    """(case id, county officer id) of current-campaign cases waiting in survey_review."""
    from unions.models import User
    from workflows.models import Campaign, Case

    campaign = Campaign.objects.order_by("-year").first()
    officers = dict(User.objects.filter(role="county_officer").values_list("federation_id", "pk"))
    rows = (
        Case.objects.filter(campaign=campaign, stage="survey_review", survey__isnull=False)
        .order_by("id")
        .values_list("id", "union__federation_id")[:count]
    )
    return [(case_id, officers[federation_id]) for case_id, federation_id in rows]


def service_run(cases, transitions: int) -> list[float]:
    from unions.models import User
    from workflows.services import do_transition

    users = {u.pk: u for u in User.objects.filter(pk__in={o for _c, o in cases})}
    timings = []
    for n in range(transitions // 2):
        case_id, officer = cases[n % len(cases)]
        for name, comment in PAIR:
            started = time.perf_counter()
            do_transition(case_id, name, actor=users[officer], comment=comment)
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def queries_per_transition(cases) -> dict[str, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from unions.models import User
    from workflows.services import do_transition

    case_id, officer = cases[0]
    user = User.objects.get(pk=officer)
    counts = {}
    for name, comment in (("return_survey", "请补充材料"), ("submit_survey", "")):
        with CaptureQueriesContext(connection) as captured:
            do_transition(case_id, name, actor=user, comment=comment)
        counts[name] = len(captured.captured_queries)
    return counts


def api_in_process(cases, tokens: dict[int, str], transitions: int) -> list[float]:
    """The API view without a server: Django's test client in this process, one at a time."""
    from rest_framework.test import APIClient

    client = APIClient()
    timings = []
    for n in range(transitions // 2):
        case_id, officer = cases[n % len(cases)]
        client.credentials(HTTP_AUTHORIZATION=f"Token {tokens[officer]}")
        timings += post_pair(client, case_id)
    return timings


def post_pair(client, case_id: int, clock=time.perf_counter) -> list[float]:
    """POST the pair's transitions through the test ``client`` (its credentials set); the
    milliseconds of each by ``clock``."""
    timings = []
    for name, comment in PAIR:
        started = clock()
        response = client.post(
            f"/api/v1/cases/{case_id}/transitions/{name}/", {"comment": comment}, format="json"
        )
        timings.append((clock() - started) * 1000)
        assert response.status_code == 200, response.content[:300]
    return timings


def profile_service(cases, transitions: int) -> str:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    service_run(cases, transitions)
    profiler.stop()
    text = profiler.output_text(unicode=True, color=False, show_all=False)
    return "\n".join(text.splitlines()[:70])


# --- HTTP ----------------------------------------------------------------------------------


def http_pair(conn, case_id: int, token: str) -> list[tuple[float, str]]:
    """POST the pair's transitions on ``conn``: for each, its milliseconds and, unless it
    answered 200, what failed."""
    answers = []
    for name, comment in PAIR:
        body = json.dumps({"comment": comment})
        started = time.perf_counter()
        conn.request(
            "POST",
            f"/api/v1/cases/{case_id}/transitions/{name}/",
            body=body,
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        response = conn.getresponse()
        response.read()
        elapsed = (time.perf_counter() - started) * 1000
        failure = "" if response.status == 200 else f"{name} {case_id}: {response.status}"
        answers.append((elapsed, failure))
    return answers


def http_run(
    cases, tokens: dict[int, str], ports: list[int], clients: int, transitions: int
) -> tuple[list[float], float]:
    timings: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    shares = [cases[i::clients] for i in range(clients)]
    per_client = transitions // clients // 2

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", ports[index % len(ports)], timeout=60)
        mine = shares[index]
        for n in range(per_client):
            case_id, officer = mine[n % len(mine)]
            pair = http_pair(conn, case_id, tokens[officer])
            with lock:
                timings.extend(elapsed for elapsed, _failure in pair)
                errors.extend(failure for _elapsed, failure in pair if failure)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    if errors:
        # Reported, not hidden: on a shared server "too many clients" turns into 500s here.
        print(f"{len(errors)} HTTP transitions failed, e.g. {errors[:3]}", file=sys.stderr)
        HTTP_ERRORS.extend(errors)
    return timings, wall


# --- Bare SQL ------------------------------------------------------------------------------


# Every table the two transitions write, copied (rows, indexes, constraints and foreign keys)
# so the bare writes cost what the service's do and the real rows stay as they are.
BARE_COPIED = (
    "workflows_case",
    "workflows_historicalcase",
    "workflows_event",
    "workflows_chainhead",
    "inspections_survey",
    "inspections_historicalsurvey",
    "inspections_memberevaluation",
    "inspections_historicalmemberevaluation",
    "notifications_notification",
)


def bare(table: str) -> str:
    """The copy of ``table`` this run writes (named by the process, so two runs cannot clash)."""
    return f"bench_bare{os.getpid()}_{table}"


def bare_setup(url: str) -> None:
    """Copy the written tables whole, with their identity sequences moved past the copied rows
    and their foreign keys re-created (to the copy when the target is copied too, else to the
    real table), so each insert checks what the application's does."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        bare_teardown(url)
        for source in BARE_COPIED:
            copy = sql.Identifier(bare(source))
            conn.execute(
                sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING ALL)").format(
                    copy, sql.Identifier(source)
                )
            )
            conn.execute(
                sql.SQL("INSERT INTO {} SELECT * FROM {}").format(copy, sql.Identifier(source))
            )
            for (column,) in conn.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attidentity <> ''",
                [bare(source)],
            ):
                conn.execute(
                    sql.SQL(
                        "SELECT setval(pg_get_serial_sequence({}, {}), (SELECT coalesce(max({}), 0) + 1 FROM {}))"
                    ).format(
                        sql.Literal(bare(source)), sql.Literal(column), sql.Identifier(column), copy
                    )
                )
        for source in BARE_COPIED:
            for (definition,) in conn.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
                [source],
            ).fetchall():
                for target in BARE_COPIED:
                    definition = definition.replace(
                        f"REFERENCES {target}(", f"REFERENCES {bare(target)}("
                    )
                conn.execute(
                    sql.SQL("ALTER TABLE {} ADD {} NOT VALID").format(
                        sql.Identifier(bare(source)), sql.SQL(definition)
                    )
                )
        conn.execute(
            sql.SQL("ANALYZE {}").format(
                sql.SQL(", ").join(sql.Identifier(bare(t)) for t in BARE_COPIED)
            )
        )


def bare_teardown(url: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        for source in BARE_COPIED:
            conn.execute(
                sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(sql.Identifier(bare(source)))
            )


@dataclass
class BareActor:
    pk: int
    name: str


def _event_hash(
    prev: str,
    chain: str,
    case_id,
    federation_id,
    actor_id,
    action,
    from_stage,
    to_stage,
    comment,
    data,
    created_at,
) -> str:
    """The hash is part of what is written: ``Event.compute_hash`` itself (its one definition),
    on an unsaved event holding the fields it reads."""
    from workflows.models import Event

    return Event(
        prev_hash=prev,
        chain=chain,
        case_id=case_id,
        federation_id=federation_id,
        actor_id=actor_id,
        action=action,
        from_stage=from_stage,
        to_stage=to_stage,
        comment=comment,
        data=data,
        created_at=created_at,
    ).compute_hash()


def _statements() -> dict[str, str]:
    """The bare statements, each naming the copies of the tables it writes (``{case}`` …)."""
    from psycopg import sql

    copies = {
        "case": "workflows_case",
        "historicalcase": "workflows_historicalcase",
        "event": "workflows_event",
        "chainhead": "workflows_chainhead",
        "survey": "inspections_survey",
        "historicalsurvey": "inspections_historicalsurvey",
        "evaluation": "inspections_memberevaluation",
        "historicalevaluation": "inspections_historicalmemberevaluation",
        "notification": "notifications_notification",
    }
    names = {key: sql.Identifier(bare(table)) for key, table in copies.items()}
    names["columns"] = sql.SQL(
        "held_on, written, satisfied, basically_satisfied, unsatisfied, grade"
    )
    texts = {
        "lock_case": "SELECT c.stage, c.returned_count, c.union_id, c.campaign_id, u.federation_id, "
        "u.name, f.name, cp.year, cp.evaluation_thresholds FROM {case} c "
        "JOIN unions_union u ON u.id = c.union_id JOIN unions_federation f ON f.id = u.federation_id "
        "JOIN workflows_campaign cp ON cp.id = c.campaign_id WHERE c.id = %s FOR UPDATE OF c",
        "submit_survey": "UPDATE {survey} SET submitted_at = %s, updated_at = %s WHERE case_id = %s "
        "RETURNING data -> 'member_evaluation'",
        "survey_history": "INSERT INTO {historicalsurvey} (id, schema_version, data, prefilled, typed, "
        "submitted_at, updated_at, case_id, history_date, history_change_reason, history_type, "
        "history_user_id) SELECT id, schema_version, data, prefilled, typed, submitted_at, updated_at, "
        "case_id, %s, %s, '~', %s FROM {survey} WHERE case_id = %s",
        "lock_evaluation": "SELECT id, {columns} FROM {evaluation} "
        "WHERE union_id = %s AND year = %s FOR UPDATE",
        "insert_evaluation": "INSERT INTO {evaluation} (union_id, year, {columns}) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        "update_evaluation": "UPDATE {evaluation} SET held_on = %s, written = %s, satisfied = %s, "
        "basically_satisfied = %s, unsatisfied = %s, grade = %s WHERE id = %s",
        "evaluation_history": "INSERT INTO {historicalevaluation} (union_id, year, {columns}, id, "
        "history_date, history_change_reason, history_type, history_user_id) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        "update_case": "UPDATE {case} SET stage = %s, returned_count = %s, updated_at = %s WHERE id = %s",
        "case_history": "INSERT INTO {historicalcase} (id, campaign_id, union_id, track, stage, "
        "returned_count, created_at, updated_at, history_date, history_change_reason, history_type, "
        "history_user_id) SELECT id, campaign_id, union_id, track, stage, returned_count, created_at, "
        "updated_at, %s, %s, '~', %s FROM {case} WHERE id = %s RETURNING history_id",
        "lock_head": "SELECT hash, length FROM {chainhead} WHERE chain = %s FOR UPDATE",
        "insert_event": "INSERT INTO {event} (subject, subject_id, case_id, campaign_id, federation_id, "
        "actor_id, action, from_stage, to_stage, comment, data, history_id, created_at, chain, "
        "prev_hash, hash) VALUES ('case', %s, %s, %s, %s, %s, %s, %s, %s, %s, '{{}}', %s, %s, %s, %s, %s) "
        "RETURNING id",
        "move_head": "UPDATE {chainhead} SET last_event_id = %s, length = %s, hash = %s WHERE chain = %s",
        "lock_recipients": "SELECT id FROM unions_user WHERE is_active AND id <> %s AND "
        "((role = 'county_officer' AND federation_id = %s) "
        "OR (%s AND role = 'union_reporter' AND union_id = %s)) ORDER BY id FOR NO KEY UPDATE",
        "previous": "SELECT recipient_id, max(id) FROM {notification} "
        "WHERE recipient_id = ANY(%s) GROUP BY recipient_id",
        "notify": "INSERT INTO {notification} (recipient_id, kind, params, link, case_id, event_id, "
        "previous, created_at, dedupe_key, read) "
        "SELECT * FROM unnest(%s::bigint[], %s::text[], %s::jsonb[], %s::text[], %s::bigint[], "
        "%s::bigint[], %s::bigint[], %s::timestamptz[]), '', false",
    }
    return {key: sql.SQL(text).format(**names).as_string() for key, text in texts.items()}


SQL = _statements()


def bare_transition(conn, case_id: int, actor: BareActor, action: str, comment: str) -> int:
    """One transition's writes in one transaction, each a plain statement (the module's
    docstring lists them); returns the number of round trips, ``BEGIN`` and ``COMMIT`` included."""
    from inspections.rules import evaluation_grade

    statements = 2

    def execute(name: str, params: list):
        nonlocal statements
        statements += 1
        return conn.execute(SQL[name], params)

    source, target = BARE_STEPS[action]
    with conn.transaction():
        # 1. Lock the case; read what the writes below need (and the stage, to check it).
        (
            stage,
            returned,
            union_id,
            campaign_id,
            federation_id,
            union_name,
            federation_name,
            year,
            thresholds,
        ) = execute("lock_case", [case_id]).fetchone()
        if stage != source:
            raise RuntimeError(f"case {case_id} is at {stage}, not {source}")
        now = datetime.now(UTC)
        if action == "submit_survey":
            # 2. The survey's submitted_at and its history row; 3. the member evaluation its
            # ballots make, written (with history) only when it changed, as the service does.
            (ballots,) = execute("submit_survey", [now, now, case_id]).fetchone()
            execute("survey_history", [now, "Survey submitted", actor.pk, case_id])
            if ballots:
                held_on = ballots.get("held_on")
                held = date.fromisoformat(held_on) if isinstance(held_on, str) else None
                counts = [
                    ballots.get(k) or 0 for k in ("satisfied", "basically_satisfied", "unsatisfied")
                ]
                values = (
                    held,
                    bool(ballots.get("written")),
                    *counts,
                    evaluation_grade(*counts, thresholds) or "",
                )
                key = [union_id, held.year if held else year]
                found = execute("lock_evaluation", key).fetchone()
                if found is None or tuple(found[1:]) != values:
                    if found is None:
                        (evaluation_id,) = execute("insert_evaluation", [*key, *values]).fetchone()
                    else:
                        evaluation_id = found[0]
                        execute("update_evaluation", [*values, evaluation_id])
                    kind = "+" if found is None else "~"
                    execute(
                        "evaluation_history",
                        [
                            *key,
                            *values,
                            evaluation_id,
                            now,
                            "Member evaluation recorded",
                            kind,
                            actor.pk,
                        ],
                    )
        else:
            returned += 1
        # 4. The case's new stage (and count of returns), then its history row.
        execute("update_case", [target, returned, now, case_id])
        (history_id,) = execute(
            "case_history", [now, comment or action, actor.pk, case_id]
        ).fetchone()
        # 5. The event, hashed onto the chain whose head it reads and then moves.
        chain = f"case:{case_id}"
        prev, length = execute("lock_head", [chain]).fetchone()
        digest = _event_hash(
            prev, chain, case_id, federation_id, actor.pk, action, source, target, comment, {}, now
        )
        (event_id,) = execute(
            "insert_event",
            [
                case_id,
                case_id,
                campaign_id,
                federation_id,
                actor.pk,
                action,
                source,
                target,
                comment,
                history_id,
                now,
                chain,
                prev,
                digest,
            ],
        ).fetchone()
        execute("move_head", [event_id, length + 1, digest, chain])
        # 6. The notifications: the recipients (the county's officers, and for a returned survey
        # the union's reporters; never the actor), locked in id order; then one row each.
        recipients = [
            pk
            for (pk,) in execute(
                "lock_recipients", [actor.pk, federation_id, action == "return_survey", union_id]
            )
        ]
        if recipients:
            previous = dict(execute("previous", [recipients]).fetchall())
            params = Jsonb(
                {
                    "comment": comment,
                    "union": union_name,
                    "case": case_id,
                    "federation": federation_name,
                    "actor": actor.name,
                }
            )
            n = len(recipients)
            execute(
                "notify",
                [
                    recipients,
                    [action] * n,
                    [params] * n,
                    [f"/cases/{case_id}/"] * n,
                    [case_id] * n,
                    [event_id] * n,
                    [previous.get(pk) for pk in recipients],
                    [now] * n,
                ],
            )
    return statements


BARE_STEPS = {
    "return_survey": ("survey_review", "survey"),
    "submit_survey": ("survey", "survey_review"),
}


def bare_statement_counts(url: str, case, actors: dict[int, BareActor]) -> dict[str, int]:
    """Round trips of each bare transition (on the copies; the pair leaves the case as it was)."""
    import psycopg

    case_id, officer = case
    with psycopg.connect(url, autocommit=True) as conn:
        return {
            name: bare_transition(conn, case_id, actors[officer], name, comment)
            for name, comment in PAIR
        }


def bare_run(
    url: str, cases, actors: dict[int, BareActor], transitions: int, clients: int
) -> tuple[list[float], float]:
    import psycopg

    timings: list[float] = []
    lock = threading.Lock()
    shares = [cases[i::clients] for i in range(clients)]
    per_client = transitions // clients // 2

    errors: list[Exception] = []

    def client(index: int) -> None:
        try:
            work(index)
        except Exception as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)

    def work(index: int) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            mine = shares[index]
            for n in range(per_client):
                case_id, officer = mine[n % len(mine)]
                for action, comment in PAIR:
                    started = time.perf_counter()
                    bare_transition(conn, case_id, actors[officer], action, comment)
                    with lock:
                        timings.append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return timings, time.perf_counter() - started


def alternating_run(
    url: str, cases, actors: dict[int, BareActor], transitions: int
) -> tuple[list[float], list[float], dict[str, float]]:
    """The service and the bare writes one at a time, a pair of each in turn on the same case
    (the service on the real rows, the bare SQL on the copies), so both meet the same load.
    Also the CPU milliseconds per transition of the PostgreSQL backend serving each (this
    machine's ``/proc``), keyed ``service`` and ``bare``: the database's share of the work."""
    import psycopg
    from django.db import connection

    from unions.models import User
    from workflows.services import do_transition

    users = {u.pk: u for u in User.objects.filter(pk__in={o for _c, o in cases})}
    service: list[float] = []
    bare_timings: list[float] = []
    connection.ensure_connection()
    service_pid = connection.connection.info.backend_pid
    with psycopg.connect(url, autocommit=True) as conn:
        bare_pid = conn.info.backend_pid
        before = {"service": process_cpu(service_pid), "bare": process_cpu(bare_pid)}
        for n in range(transitions // 2):
            case_id, officer = cases[n % len(cases)]
            for name, comment in PAIR:
                started = time.perf_counter()
                do_transition(case_id, name, actor=users[officer], comment=comment)
                service.append((time.perf_counter() - started) * 1000)
            for name, comment in PAIR:
                started = time.perf_counter()
                bare_transition(conn, case_id, actors[officer], name, comment)
                bare_timings.append((time.perf_counter() - started) * 1000)
        used = {"service": process_cpu(service_pid), "bare": process_cpu(bare_pid)}
    if connection.connection.info.backend_pid != service_pid:
        raise RuntimeError("the service's database connection changed during the run")
    database_cpu = {
        key: (used[key] - before[key]) * 1000 / len(timings)
        for key, timings in (("service", service), ("bare", bare_timings))
    }
    return service, bare_timings, database_cpu


def alternating_http_run(
    url: str,
    cases,
    actors: dict[int, BareActor],
    tokens: dict[int, str],
    port: int,
    transitions: int,
) -> tuple[list[float], list[float]]:
    """HTTP and the bare writes one at a time, a pair of each in turn on the same case, as
    ``alternating_run`` does for the service: the cost of one transition through a server
    against its limit, both under the same load."""
    import psycopg

    http_timings: list[float] = []
    bare_timings: list[float] = []
    server = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    with psycopg.connect(url, autocommit=True) as conn:
        for n in range(transitions // 2):
            case_id, officer = cases[n % len(cases)]
            for elapsed, failure in http_pair(server, case_id, tokens[officer]):
                http_timings.append(elapsed)
                if failure:
                    HTTP_ERRORS.append(failure)
            for name, comment in PAIR:
                started = time.perf_counter()
                bare_transition(conn, case_id, actors[officer], name, comment)
                bare_timings.append((time.perf_counter() - started) * 1000)
    return http_timings, bare_timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--size", default="city")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--transitions", type=int, default=600)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--db", help="an existing database made by generate.py --db (default: bench_<size>)"
    )
    parser.add_argument(
        "--no-http",
        action="store_true",
        help="only the service against the bare writes; prints, leaves RESULTS.md alone",
    )
    args = parser.parse_args()
    size = "quick" if args.quick else args.size
    transitions = 80 if args.quick else args.transitions
    if args.db:
        database = args.db
        generate.setup_django(database)
    else:
        database = generate.use_database(size)
    import logging

    logging.getLogger("django.request").setLevel(logging.ERROR)
    from rest_framework.authtoken.models import Token

    from unions.models import User

    cases = pick_cases(max(args.clients * 4, 40))
    if len(cases) < args.clients * 2:
        print(
            f"only {len(cases)} cases wait in survey_review; generate a larger database",
            file=sys.stderr,
        )
        return 1
    random.Random(7).shuffle(cases)
    url = generate.database_url(database)
    actors = {
        user.pk: BareActor(user.pk, user.name)
        for user in User.objects.filter(pk__in={o for _c, o in cases})
    }
    rows = []
    bare_setup(url)
    try:
        bare_statements = bare_statement_counts(url, cases[0], actors)
        service, bare_one, database_cpu = alternating_run(url, cases, actors, transitions)
        rows.append(("service, one at a time", service, len(service) / (sum(service) / 1000)))
        if not args.no_http:
            tokens = {
                pk: Token.objects.get_or_create(user=User.objects.get(pk=pk))[0].key
                for _c, pk in cases
            }
            in_process = api_in_process(cases, tokens, transitions)
            rows.append(
                (
                    "API view in-process (no server), one at a time",
                    in_process,
                    len(in_process) / (sum(in_process) / 1000),
                )
            )
            processes, ports = start_servers(database)
            try:
                http_one, bare_http_one = alternating_http_run(
                    url, cases, actors, tokens, ports[0], transitions
                )
                rows.append(
                    ("HTTP, one at a time", http_one, len(http_one) / (sum(http_one) / 1000))
                )
                two, wall_two = http_run(cases, tokens, ports, 2, transitions)
                rows.append((f"HTTP, 2 {SERVER}, 2 clients", two, len(two) / wall_two))
                cpu_before = cpu_seconds(processes)
                http_timings, wall = http_run(cases, tokens, ports, args.clients, transitions)
                server_cpu_ms = (cpu_seconds(processes) - cpu_before) * 1000 / len(http_timings)
            finally:
                stop_servers(processes)
            rows.append(
                (
                    f"HTTP, 2 {SERVER}, {args.clients} clients",
                    http_timings,
                    len(http_timings) / wall,
                )
            )
        rows.append(("bare SQL, one at a time", bare_one, len(bare_one) / (sum(bare_one) / 1000)))
        if not args.no_http:
            rows.append(
                (
                    "bare SQL, one at a time, beside HTTP",
                    bare_http_one,
                    len(bare_http_one) / (sum(bare_http_one) / 1000),
                )
            )
        bare_many, wall = bare_run(url, cases, actors, transitions, args.clients)
        rows.append((f"bare SQL, {args.clients} connections", bare_many, len(bare_many) / wall))
    finally:
        bare_teardown(url)

    table = ["| path | transitions | p50 ms | p95 ms | per second |", "|---|---|---|---|---|"]
    for label, timings, rate in rows:
        table.append(
            f"| {label} | {len(timings)} | {generate.percentile(timings, 50):.1f} | "
            f"{generate.percentile(timings, 95):.1f} | {rate:.0f} |"
        )
    by_label = {label: (timings, rate) for label, timings, rate in rows}
    service_ratio = generate.percentile(service, 50) / generate.percentile(bare_one, 50)
    queries = queries_per_transition(cases)
    verdict = f"Service ÷ bare SQL, p50 one at a time (alternating pair by pair): **{service_ratio:.1f}×**"
    if not args.no_http:
        http_ratio = (
            by_label[f"bare SQL, {args.clients} connections"][1]
            / by_label[f"HTTP, 2 {SERVER}, {args.clients} clients"][1]
        )
        http_one_ratio = generate.percentile(http_one, 50) / generate.percentile(bare_http_one, 50)
        verdict += (
            f"; HTTP ÷ bare SQL, p50 one at a time (alternating pair by pair): "
            f"**{http_one_ratio:.1f}×**"
            f"; bare SQL ÷ HTTP throughput at {args.clients} concurrent: **{http_ratio:.1f}×**"
            f" (the {SERVER} processes used {server_cpu_ms:.1f} ms of CPU per transition)"
        )
    verdict += (
        f" (goal: within 3×). Round trips per transition, `BEGIN` and `COMMIT` included: "
        f"service {queries}, bare SQL {bare_statements}. CPU of the PostgreSQL backend per "
        f"transition, one at a time: service {database_cpu['service']:.2f} ms, bare SQL "
        f"{database_cpu['bare']:.2f} ms."
    )
    if HTTP_ERRORS:
        verdict += (
            f" **{len(HTTP_ERRORS)} HTTP transitions failed** (e.g. {HTTP_ERRORS[:3]}); their cases "
            "went out of step, so later ones answer 409."
        )
    print("\n".join(table) + "\n\n" + verdict, flush=True)
    profile = ""
    if args.profile or service_ratio > 3:
        profile = profile_service(cases, min(transitions, 100))
        print(profile)
    if args.no_http:
        return 0
    title = "quick run" if args.quick else size
    generate.write_section(
        f"bench_transitions.py — transitions against the bare-SQL limit, {title}",
        f"## bench_transitions.py — transitions against the bare-SQL limit, {title}\n\n"
        f"`python bench/bench_transitions.py{' --quick' if args.quick else ''}`. Machine: {generate.machine()}. "
        "\n\n"
        + "\n".join(table)
        + "\n\n"
        + verdict
        + "\n"
        + (
            f"\nWhere the service's time goes (pyinstrument, {min(transitions, 100)} transitions):\n\n```\n{profile}\n```\n"
            if profile
            else ""
        ),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
