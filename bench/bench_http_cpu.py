"""Benchmark: the CPU a transition costs outside the service, in-process and in the servers.

    python bench/bench_http_cpu.py --db bench_city
    python bench/bench_http_cpu.py --db bench_city --profile             # where the view's time goes

CPU seconds, not wall time: on a shared machine other people's work stretches wall time but
not the CPU a process itself uses. The work is bench_transitions.py's: the pair
``return_survey`` / ``submit_survey`` on current-campaign cases waiting in ``survey_review``.

1. **in-process**: alternating pair by pair on the same case, ``do_transition`` called
   directly, then ``POST /api/v1/cases/{id}/transitions/{name}/`` through Django's test client
   with a token (the whole middleware chain, DRF, the view, the answer's serializer), each timed
   with ``time.process_time``. The difference is what the API adds around the service.
2. **servers**: two server processes, started as production starts them (``config/serve.py``:
   uvicorn; daphne, measured beside it in bench/RESULTS.md, runs nothing of the project now); the CPU
   seconds of the server processes (``/proc/<pid>/stat``) over the transitions they served from ``--clients``
   threads, and the same for ``GET /healthz/`` (one ``SELECT 1``: the server's and Django's
   fixed cost of a request).

Prints a table; leaves RESULTS.md alone.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402
from bench_transitions import PAIR, pick_cases, post_pair  # noqa: E402
from servers import SERVER, cpu_seconds, start_servers, stop_servers  # noqa: E402


def in_process(cases, users, tokens, pairs: int) -> tuple[list[float], list[float]]:
    """CPU ms of each service call and of each API request, alternating pair by pair."""
    from rest_framework.test import APIClient

    from workflows.services import do_transition

    client = APIClient()
    service, api = [], []
    for n in range(pairs):
        case_id, officer = cases[n % len(cases)]
        for name, comment in PAIR:
            started = time.process_time()
            do_transition(case_id, name, actor=users[officer], comment=comment)
            service.append((time.process_time() - started) * 1000)
        client.credentials(HTTP_AUTHORIZATION=f"Token {tokens[officer]}")
        api += post_pair(client, case_id, clock=time.process_time)
    return service, api


def profile_api(cases, tokens, pairs: int) -> str:
    from pyinstrument import Profiler
    from rest_framework.test import APIClient

    client = APIClient()
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for n in range(pairs):
        case_id, officer = cases[n % len(cases)]
        client.credentials(HTTP_AUTHORIZATION=f"Token {tokens[officer]}")
        for name, comment in PAIR:
            client.post(
                f"/api/v1/cases/{case_id}/transitions/{name}/", {"comment": comment}, format="json"
            )
    profiler.stop()
    return profiler.output_text(unicode=True, color=False, show_all=False)


def _clients(ports: list[int], clients: int, work) -> tuple[int, float, list[str]]:
    """Run ``work(conn, index)`` (returning a list of statuses) in ``clients`` threads."""
    statuses: list[int] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", ports[index % len(ports)], timeout=60)
        mine = work(conn, index)
        with lock:
            statuses.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    bad = [s for s in statuses if s != 200]
    return len(statuses), wall, bad


def transitions_work(cases, tokens, clients: int, pairs_per_client: int):
    shares = [cases[i::clients] for i in range(clients)]

    def work(conn, index: int) -> list[int]:
        statuses = []
        mine = shares[index]
        for n in range(pairs_per_client):
            case_id, officer = mine[n % len(mine)]
            for name, comment in PAIR:
                conn.request(
                    "POST",
                    f"/api/v1/cases/{case_id}/transitions/{name}/",
                    body=json.dumps({"comment": comment}),
                    headers={
                        "Authorization": f"Token {tokens[officer]}",
                        "Content-Type": "application/json",
                    },
                )
                response = conn.getresponse()
                response.read()
                statuses.append(response.status)
        return statuses

    return work


def healthz_work(requests_per_client: int):
    def work(conn, index: int) -> list[int]:
        statuses = []
        for _ in range(requests_per_client):
            conn.request("GET", "/healthz/")
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
        return statuses

    return work


def measure_server(database, cases, tokens, clients, transitions) -> list[tuple]:
    processes, ports = start_servers(database, 2)
    rows = []
    try:
        # Warm up: imports done on first use, the pool's connections, the first queries.
        _clients(ports, 2, transitions_work(cases, tokens, 2, 5))
        _clients(ports, 2, healthz_work(20))
        for label, work in (
            ("healthz", healthz_work(transitions // clients)),
            ("transition", transitions_work(cases, tokens, clients, transitions // clients // 2)),
        ):
            cpu_before = cpu_seconds(processes)
            count, wall, bad = _clients(ports, clients, work)
            cpu = cpu_seconds(processes) - cpu_before
            rows.append((SERVER, label, count, cpu * 1000 / count, count / wall, len(bad)))
    finally:
        stop_servers(processes)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--db", default="bench_city", help="a database made by generate.py")
    parser.add_argument("--no-servers", action="store_true", help="only the in-process part")
    parser.add_argument("--transitions", type=int, default=400)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--no-in-process", action="store_true")
    args = parser.parse_args()
    generate.setup_django(args.db)
    import logging

    logging.getLogger("django.request").setLevel(logging.ERROR)
    from rest_framework.authtoken.models import Token

    from unions.models import User

    cases = pick_cases(max(args.clients * 4, 40))
    users = {u.pk: u for u in User.objects.filter(pk__in={o for _c, o in cases})}
    tokens = {pk: Token.objects.get_or_create(user=user)[0].key for pk, user in users.items()}
    print(f"load average at start: {os.getloadavg()}")
    if not args.no_in_process:
        in_process(cases, users, tokens, 5)  # warm up
        service, api = in_process(cases, users, tokens, args.transitions // 2)
        s50, a50 = statistics.median(service), statistics.median(api)
        print("| in-process | transitions | CPU ms p50 | CPU ms mean |")
        print("|---|---|---|---|")
        print(f"| service | {len(service)} | {s50:.2f} | {statistics.mean(service):.2f} |")
        print(f"| API view (test client) | {len(api)} | {a50:.2f} | {statistics.mean(api):.2f} |")
        print(
            f"API minus service: p50 {a50 - s50:.2f} ms, "
            f"mean {statistics.mean(api) - statistics.mean(service):.2f} ms"
        )
    if args.profile:
        print(profile_api(cases, tokens, 50))
    rows = []
    if not args.no_servers:
        rows = measure_server(args.db, cases, tokens, args.clients, args.transitions)
    if rows:
        print(f"\n2 processes, {args.clients} clients; load average now {os.getloadavg()}")
        print("| server | request | requests | server CPU ms per request | per second | not 200 |")
        print("|---|---|---|---|---|---|")
        for server, label, count, cpu, rate, bad in rows:
            print(f"| {server} | {label} | {count} | {cpu:.2f} | {rate:.0f} | {bad} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
