"""Benchmark: from commit to 500 sockets. How long after a transition commits do all the county's
officers connected by WebSocket have its notification?

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h5 python bench/bench_push.py [--clients 500] [--rounds 20]

Set-up, not timed: a new database ``<name>_bench_push`` on the server DATABASE_URL names (dropped
at the end; the named database is never touched), a private redis-server on a free port (no
persistence), 500 county officers of 浔阳区 each with an API token, one union and one case per
round with a complete survey, and two uvicorn processes on that database and Redis, as production
runs them (``config/serve.py``). Each client is a ``websockets`` connection with its officer's
token, half on each process, all in this one asyncio process (its ``ulimit -n`` raised first).

Each round, a separate worker process fires ``submit_survey`` on the next case through
``workflows.services.do_transition`` (a 501st officer of the county acts, so the 500
connected ones are all notified) inside an outer transaction whose first ``on_commit`` callback takes the timestamp:
the moment right after COMMIT, before the notification push (the next callback) starts. Each
client stamps the moment its notification arrives. Reported: per-client latency (receipt minus
commit) over all rounds, and each round's last receipt (when the slowest of the 500 had it);
p50 and p99 of both.

The floor, in the same run on the same Redis: a bare channels-redis ``group_send`` to 500
channels (one group of 500 channels spread over two layer instances, as over two server
processes), received by 500 ``receive`` calls in this process, timed from the send. No
database, no server, no WebSocket: what the channel layer alone costs. Beside it, for
comparison, one ``group_send`` per channel's own group (one group per user, 32 at a time):
what the push cost before ``notifications.fanout``.

Goal: p99 of the per-client latency under 250 ms. Results go to bench/RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COUNTY = "360403"  # 浔阳区
WARMUP = 2
# Handshakes in flight at once while the clients connect: 500 at once on a loaded 2-CPU machine
# can keep a handshake waiting for its application longer than a client waits (daphne, the
# server before uvicorn, dropped it after 5 s), and a socket still opening misses the round.
OPENING_AT_ONCE = 50


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


# --- The worker: fires transitions on request, in a process of its own -------------------------


def _stamp(stamps: dict[str, float], name: str) -> None:
    stamps.setdefault(name, time.time())


def worker() -> None:
    """Read case ids on stdin; for each, fire submit_survey and print when it committed."""
    import django

    django.setup()
    from django.db import transaction

    from unions.models import User
    from workflows.services import do_transition

    actor = User.objects.get(username="bench-actor")
    for line in sys.stdin:
        case_id = int(line)
        stamps: dict[str, float] = {}
        with transaction.atomic():
            # Registered first, so it runs first after COMMIT: before the push does.
            transaction.on_commit(partial(_stamp, stamps, "committed"))
            do_transition(case_id, "submit_survey", actor=actor)
        stamps["pushed"] = time.time()  # every on_commit callback, the push included, has run
        print(json.dumps({"case": case_id, **stamps}), flush=True)


# --- Set-up -------------------------------------------------------------------------------------


def bench_database(base_url: str) -> tuple[str, callable]:
    import psycopg

    parts = urlsplit(base_url)
    name = f"{parts.path.lstrip('/') or 'postgres'}_bench_push"
    admin = urlunsplit(parts._replace(path="/postgres"))

    def run(sql: str) -> None:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(sql)

    run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    run(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}")), lambda: run(
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    )


def populate(clients: int, rounds: int) -> tuple[list[str], list[int]]:
    """Officers with tokens, and one case per round ready to submit. Returns (tokens, case ids)."""
    from datetime import date
    from decimal import Decimal

    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from inspections.services import do_save_survey
    from lib.demo_survey import full_survey
    from unions.models import Federation, Role
    from unions.services import do_create_union, do_create_user
    from workflows.services import do_create_campaign, do_create_case

    call_command("migrate", verbosity=0)
    password = make_password("bench-password-not-used")
    officers = [
        do_create_user(
            username=f"bench-officer-{n:03d}",
            role=Role.COUNTY_OFFICER,
            password="",
            encoded_password=password,
            federation_codes=[COUNTY],
        )
        for n in range(clients)
    ]
    tokens = [Token.objects.create(user=officer).key for officer in officers]
    city = do_create_user(
        username="bench-city", role=Role.FEDERATION_OFFICER, password="", encoded_password=password
    )
    campaign = do_create_campaign(
        actor=city,
        data={
            "year": 2022,
            "title": "六有六规范建设",
            "reference_date": date(2022, 5, 20),
            "survey_deadline": date(2022, 8, 31),
            "summary_deadline": date(2022, 12, 15),
            "subsidy_six_haves": Decimal("5000.00"),
            "subsidy_six_norms": Decimal("8000.00"),
            "subsidy_budget": Decimal("100000.00"),
        },
    )
    actor = do_create_user(
        username="bench-actor",
        role=Role.COUNTY_OFFICER,
        password="",
        encoded_password=password,
        federation_codes=[COUNTY],
    )
    county = Federation.objects.get(code=COUNTY)
    cases = []
    for n in range(rounds):
        union = do_create_union(
            actor=actor,
            data={
                "name": f"九江浔阳第{n + 1}工厂工会",
                "federation": county,
                "union_type": "enterprise",
                "ownership": "private",
                "founded_on": date(2015, 3, 1),
            },
        )
        case = do_create_case(actor=actor, campaign=campaign, union_id=union.pk)
        do_save_survey(case, full_survey(on=timezone.localdate()), actor=actor)
        cases.append(case.pk)
    return tokens, cases


# --- The measured part --------------------------------------------------------------------------


class Client:
    def __init__(self, index: int, token: str, url: str):
        self.index, self.token, self.url = index, token, url
        self.received: dict[int, float] = {}  # case id -> when its notification arrived
        self.arrived = asyncio.Event()

    async def run(self, ready: asyncio.Semaphore, opening: asyncio.Semaphore) -> None:
        from websockets.asyncio.client import connect

        async with opening:  # officers open their pages over time, not all in one instant
            socket = await connect(
                self.url,
                additional_headers=[("Authorization", f"Token {self.token}")],
                proxy=None,
                open_timeout=30,
                ping_interval=None,
                compression=None,
            )
        async with socket:
            ready.release()
            async for raw in socket:
                now = time.time()
                note = json.loads(raw)
                self.received.setdefault(note["case"], now)
                self.arrived.set()


async def measure_push(tokens, cases, servers, worker_proc) -> list[dict]:
    clients = [Client(i, t, servers[i % len(servers)].ws_url) for i, t in enumerate(tokens)]
    ready, opening = asyncio.Semaphore(0), asyncio.Semaphore(OPENING_AT_ONCE)
    tasks = [asyncio.create_task(c.run(ready, opening)) for c in clients]
    for _ in clients:
        await asyncio.wait_for(ready.acquire(), 60)
    print(f"{len(clients)} sockets open", flush=True)
    # The 500 connections are long-lived: keep the measuring client's own garbage collector
    # from walking them mid-round (a full collection here stalls every client at once).
    gc.collect()
    gc.freeze()
    await asyncio.sleep(1.0)
    rounds = []
    loop = asyncio.get_running_loop()
    for case_id in cases:
        worker_proc.stdin.write(f"{case_id}\n")
        worker_proc.stdin.flush()
        line = await loop.run_in_executor(None, worker_proc.stdout.readline)
        stamps = json.loads(line)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not all(case_id in c.received for c in clients):
            await asyncio.sleep(0.01)
        got = [c.received[case_id] for c in clients if case_id in c.received]
        by_server = [
            sorted(
                c.received[case_id] - stamps["committed"]
                for c in clients[k :: len(servers)]
                if case_id in c.received
            )
            for k in range(len(servers))
        ]
        rounds.append(
            {
                "case": case_id,
                "committed": stamps["committed"],
                "pushed": stamps["pushed"],
                "latencies": [t - stamps["committed"] for t in got],
                "missing": len(clients) - len(got),
                "by_server": by_server,
            }
        )
        await asyncio.sleep(0.3)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return rounds


async def _floor_round(layers, names, groups: list[str], message: dict, concurrency: int) -> dict:
    """Send ``message`` to ``groups`` (``concurrency`` group_sends at a time) and time until each
    of the channels ``names`` (``(layer, channel)``) has received it."""
    arrivals: list[float] = []

    async def receive(layer, name: str) -> None:
        await layer.receive(name)
        arrivals.append(time.time())

    receivers = [asyncio.create_task(receive(layer, name)) for layer, name in names]
    await asyncio.sleep(0.05)
    slots = asyncio.Semaphore(concurrency)
    sender = layers[0]

    async def send(group: str) -> None:
        async with slots:
            await sender.group_send(group, message)

    start = time.time()
    await asyncio.gather(*(send(group) for group in groups))
    await asyncio.wait_for(asyncio.gather(*receivers), 20)
    await asyncio.sleep(0.1)
    return {"latencies": [t - start for t in arrivals], "missing": len(names) - len(arrivals)}


async def measure_floor(redis_url: str, channels: int, rounds: int) -> dict[str, list[dict]]:
    """The channel layer alone, two layer instances standing for the two server processes.

    - ``one group``: ONE ``group_send`` to a group of all the channels: the cheapest fan-out
      channels-redis has (one stored message per process), the floor.
    - ``per-user groups``: one ``group_send`` per channel's own group, 32 at a time: what
      pushing to one group per user would cost without ``notifications.fanout``.
    """
    from channels_redis.core import RedisChannelLayer
    from django.conf import settings

    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]  # as the server processes have it
    layers = [RedisChannelLayer(**config) for _ in range(2)]
    names = []
    for n in range(channels):
        layer = layers[n % 2]
        names.append((layer, await layer.new_channel()))
    for n, (layer, name) in enumerate(names):
        await layer.group_add("floor.all", name)
        await layer.group_add(f"floor.{n}", name)
    payload = {"id": 1, "kind": "submit_survey", "text": "x" * 200, "case": 1, "previous": None}
    message = {"type": "notification.message", "notification": payload}
    per_user = [f"floor.{n}" for n in range(channels)]
    results = {
        "one group": [
            await _floor_round(layers, names, ["floor.all"], message, 1) for _ in range(rounds)
        ],
        "per-user groups": [
            await _floor_round(layers, names, per_user, message, 32) for _ in range(rounds)
        ],
    }
    for layer in layers:
        await layer.flush()
    return results


def summarize(rounds: list[dict]) -> dict:
    per_client = [latency for r in rounds for latency in r["latencies"]]
    last = [max(r["latencies"]) for r in rounds if r["latencies"]]
    return {
        "rounds": len(rounds),
        "p50": percentile(per_client, 50) * 1000,
        "p99": percentile(per_client, 99) * 1000,
        "max": max(per_client) * 1000 if per_client else float("nan"),
        "last_p50": percentile(last, 50) * 1000,
        "last_p99": percentile(last, 99) * 1000,
        "missing": sum(r["missing"] for r in rounds),
    }


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        ram = f"{kib / 1024 / 1024:.0f} GiB"
    except OSError:
        ram = "unknown RAM"
    return f"nproc {os.cpu_count()}, {cpu}, RAM {ram}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--verbose", action="store_true", help="print every round")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, max(soft, 4 * args.clients + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))

    from tests.notifications.live import RedisServer, Uvicorn, server_env

    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        base = "postgres://postgres@127.0.0.1:5432/postgres"
    database_url, drop = bench_database(base)
    logs = Path(tempfile.mkdtemp(prefix="bench_push_"))
    redis = RedisServer(logs)
    redis.start()
    servers: list = []
    worker_proc = None
    try:
        env = server_env(database_url, redis.url, LOG_LEVEL="WARNING")
        os.environ.update(
            DJANGO_SETTINGS_MODULE="config.settings", DATABASE_URL=database_url, REDIS_URL=redis.url
        )
        import django

        django.setup()
        started = time.time()
        tokens, cases = populate(args.clients, args.rounds + WARMUP)
        print(
            f"set up {len(tokens)} officers and {len(cases)} cases in {time.time() - started:.1f}s"
        )
        from django.db import connections

        connections.close_all()
        servers = [Uvicorn(env, logs, name) for name in ("one", "two")]
        worker_proc = subprocess.Popen(
            [sys.executable, __file__, "--worker"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        push_rounds = asyncio.run(measure_push(tokens, cases, servers, worker_proc))[WARMUP:]
        floors = asyncio.run(measure_floor(redis.url, args.clients, args.rounds + WARMUP))
        push = summarize(push_rounds)
        floor = summarize(floors["one group"][WARMUP:])
        naive = summarize(floors["per-user groups"][WARMUP:])
        commit_to_pushed = [(r["pushed"] - r["committed"]) * 1000 for r in push_rounds]
        print()
        print(f"machine: {machine()}; {time.strftime('%Y-%m-%d')}")
        print(f"{args.clients} clients, {push['rounds']} rounds (after {WARMUP} warm-up)")
        header = "| | per-client p50 | per-client p99 | max | last receipt p50 | last receipt p99 | missing |"
        print(header)
        print("|---|---|---|---|---|---|---|")
        for label, row in (
            ("push: commit → WebSocket frame", push),
            ("floor: one group_send → receive", floor),
            ("per-user group_send × N → receive", naive),
        ):
            print(
                f"| {label} | {row['p50']:.1f} ms | {row['p99']:.1f} ms | {row['max']:.1f} ms | "
                f"{row['last_p50']:.1f} ms | {row['last_p99']:.1f} ms | {row['missing']} |"
            )
        print(
            f"push ÷ floor: p50 ×{push['p50'] / floor['p50']:.1f}, p99 ×{push['p99'] / floor['p99']:.1f}, "
            f"last receipt p99 ×{push['last_p99'] / floor['last_p99']:.1f}"
        )
        print(
            f"commit → push sent, in the worker: p50 {percentile(commit_to_pushed, 50):.1f} ms, "
            f"p99 {percentile(commit_to_pushed, 99):.1f} ms"
        )
        if args.verbose:
            for r in push_rounds:
                lat = sorted(r["latencies"])
                print(
                    f"round case {r['case']}: pushed +{(r['pushed'] - r['committed']) * 1000:.0f} ms, "
                    f"first {lat[0] * 1000:.0f}, median {lat[len(lat) // 2] * 1000:.0f}, "
                    f"last {lat[-1] * 1000:.0f} ms; per process (first-last): "
                    + ", ".join(
                        f"{part[0] * 1000:.0f}-{part[-1] * 1000:.0f}"
                        for part in r["by_server"]
                        if part
                    )
                )
        print(f"goal p99 < 250 ms: {'met' if push['p99'] < 250 else 'NOT met'}")
    finally:
        if worker_proc is not None:
            worker_proc.stdin.close()
            worker_proc.wait(10)
        for server in servers:
            server.close()
        redis.stop()
        from django.db import connections

        connections.close_all()
        drop()


if __name__ == "__main__":
    main()
