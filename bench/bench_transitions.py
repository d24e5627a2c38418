"""Benchmark: case transitions through the service, through HTTP, and as bare SQL (the limit).

    python bench/bench_transitions.py            # the city database
    python bench/bench_transitions.py --quick    # the 2,000-union database, fewer transitions
    python bench/bench_transitions.py --profile  # also where the service's time goes (pyinstrument)

The work is the pair ``return_survey`` / ``submit_survey`` on cases of the current campaign
waiting in ``survey_review`` (each pair leaves the case as it found it):

1. **service**: ``workflows.services.do_transition`` in this process, one at a time: lock, role,
   scope and condition checks, the FSM (``submit_survey`` validates the whole survey), save with
   history, the hash-chained event, the chain head, the notifications.
2. **HTTP**: ``POST /api/v1/cases/{id}/transitions/{name}/`` with a token, against two daphne
   processes on free ports, from ``--clients`` concurrent clients (each its own cases).
3. **bare SQL**, the physical limit of the same writes: with psycopg and nothing else, in one
   transaction, ``UPDATE`` the case's stage, ``INSERT`` the event and ``INSERT`` the historical
   row — into copies of the three tables (``CREATE TABLE … (LIKE … INCLUDING ALL)``: same
   columns, indexes and WAL, dropped afterwards), one at a time and from the same number of
   concurrent connections.

Reported: p50/p95 latency, throughput, and the ratios service ÷ bare (one at a time) and
HTTP ÷ bare (concurrent). The goal is within 3× of the limit.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402
from servers import start_servers, stop_servers  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HTTP_ERRORS: list[str] = []


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
        for name, comment in (("return_survey", "请补充材料"), ("submit_survey", "")):
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
        for name, comment in (("return_survey", "请补充材料"), ("submit_survey", "")):
            started = time.perf_counter()
            response = client.post(
                f"/api/v1/cases/{case_id}/transitions/{name}/", {"comment": comment}, format="json"
            )
            timings.append((time.perf_counter() - started) * 1000)
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
            for name, comment in (("return_survey", "请补充材料"), ("submit_survey", "")):
                body = json.dumps({"comment": comment})
                started = time.perf_counter()
                conn.request(
                    "POST",
                    f"/api/v1/cases/{case_id}/transitions/{name}/",
                    body=body,
                    headers={
                        "Authorization": f"Token {tokens[officer]}",
                        "Content-Type": "application/json",
                    },
                )
                response = conn.getresponse()
                response.read()
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    timings.append(elapsed)
                    if response.status != 200:
                        errors.append(f"{name} {case_id}: {response.status}")

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


BARE_TABLES = {
    "workflows_case": "bench_bare_case",
    "workflows_event": "bench_bare_event",
    "workflows_historicalcase": "bench_bare_historicalcase",
}


def bare_setup(url: str, case_ids: list[int]) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        for source, copy in BARE_TABLES.items():
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(copy)))
            conn.execute(
                sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING ALL)").format(
                    sql.Identifier(copy), sql.Identifier(source)
                )
            )
        conn.execute(
            "INSERT INTO bench_bare_case SELECT * FROM workflows_case WHERE id = ANY(%s)",
            [case_ids],
        )
        # The copies hold as many rows as the real tables: the same index depth, a fair insert cost.
        conn.execute("INSERT INTO bench_bare_event SELECT * FROM workflows_event")
        conn.execute("INSERT INTO bench_bare_historicalcase SELECT * FROM workflows_historicalcase")
        for table, column in (
            ("bench_bare_event", "id"),
            ("bench_bare_historicalcase", "history_id"),
        ):
            conn.execute(
                sql.SQL(
                    "SELECT setval(pg_get_serial_sequence({}, {}), (SELECT coalesce(max({}), 0) + 1 FROM {}))"
                ).format(
                    sql.Literal(table),
                    sql.Literal(column),
                    sql.Identifier(column),
                    sql.Identifier(table),
                )
            )
        conn.execute("ANALYZE bench_bare_case, bench_bare_event, bench_bare_historicalcase")


def bare_teardown(url: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        for copy in BARE_TABLES.values():
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(copy)))


def bare_transition(
    conn, case_id: int, officer: int, stage_from: str, stage_to: str, action: str, counter
) -> None:
    with conn.transaction():
        conn.execute(
            "UPDATE bench_bare_case SET stage = %s, updated_at = now() WHERE id = %s",
            [stage_to, case_id],
        )
        conn.execute(
            "INSERT INTO bench_bare_historicalcase (id, campaign_id, union_id, track, stage, returned_count, "
            "created_at, updated_at, history_date, history_change_reason, history_type, history_user_id) "
            "SELECT id, campaign_id, union_id, track, stage, returned_count, created_at, updated_at, now(), %s, '~', %s "
            "FROM bench_bare_case WHERE id = %s",
            [action, officer, case_id],
        )
        conn.execute(
            "INSERT INTO bench_bare_event (subject, subject_id, case_id, campaign_id, federation_id, actor_id, action, "
            "from_stage, to_stage, comment, data, created_at, chain, prev_hash, hash) "
            "VALUES ('case', %s, %s, 1, 1, %s, %s, %s, %s, '', '{}', now(), %s, %s, %s)",
            [
                case_id,
                case_id,
                officer,
                action,
                stage_from,
                stage_to,
                f"case:{case_id}",
                "0" * 64,
                "f" * 64,
            ],
        )
    counter.append(1)


def bare_run(url: str, cases, transitions: int, clients: int) -> tuple[list[float], float]:
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
            mine, done = shares[index], []
            for n in range(per_client):
                case_id, officer = mine[n % len(mine)]
                for source, dest, action in (
                    ("survey_review", "survey", "return_survey"),
                    ("survey", "survey_review", "submit_survey"),
                ):
                    started = time.perf_counter()
                    bare_transition(conn, case_id, officer, source, dest, action, done)
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--size", default="city")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--transitions", type=int, default=600)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    size = "quick" if args.quick else args.size
    transitions = 80 if args.quick else args.transitions
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
    rows = []

    service = service_run(cases, transitions)
    rows.append(("service, one at a time", service, len(service) / (sum(service) / 1000)))

    tokens = {
        pk: Token.objects.get_or_create(user=User.objects.get(pk=pk))[0].key for _c, pk in cases
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
        two, wall_two = http_run(cases, tokens, ports, 2, transitions)
        rows.append(("HTTP, 2 daphne, 2 clients", two, len(two) / wall_two))
        http_timings, wall = http_run(cases, tokens, ports, args.clients, transitions)
    finally:
        stop_servers(processes)
    rows.append((f"HTTP, 2 daphne, {args.clients} clients", http_timings, len(http_timings) / wall))

    bare_setup(url, [c for c, _o in cases])
    try:
        bare_one, _wall = bare_run(url, cases, transitions, 1)
        rows.append(("bare SQL, one at a time", bare_one, len(bare_one) / (sum(bare_one) / 1000)))
        bare_many, wall = bare_run(url, cases, transitions, args.clients)
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
    bare_one_p50 = generate.percentile(bare_one, 50)
    service_ratio = generate.percentile(service, 50) / bare_one_p50
    http_ratio = (
        by_label[f"bare SQL, {args.clients} connections"][1]
        / by_label[f"HTTP, 2 daphne, {args.clients} clients"][1]
    )
    queries = queries_per_transition(cases)
    verdict = (
        f"Service ÷ bare SQL, p50 one at a time: **{service_ratio:.1f}×**; bare SQL ÷ HTTP throughput at "
        f"{args.clients} concurrent: **{http_ratio:.1f}×** (goal: within 3×). Queries per transition "
        f"through the service: {queries} (bare SQL: 3 statements and the commit)."
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
    title = "quick run" if args.quick else size
    generate.write_section(
        f"bench_transitions.py — transitions against the bare-SQL limit, {title}",
        f"## bench_transitions.py — transitions against the bare-SQL limit, {title}\n\n"
        f"`python bench/bench_transitions.py{' --quick' if args.quick else ''}`. Machine: {generate.machine()}. "
        "**Shared machine: six other engineers were running test suites on its 2 cores; re-run when idle.**\n\n"
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
