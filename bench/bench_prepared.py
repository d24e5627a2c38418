"""Benchmark: a transition with prepared statements and without, in the service and its database.

    python bench/bench_prepared.py                  # the city, 3 rounds of 300 transitions each
    python bench/bench_prepared.py --quick          # the 2,000-union database, 1 round of 60

Django binds values into the SQL text on the client and turns psycopg's statement preparation
off; config/settings.py turns both on for PostgreSQL (``DATABASE_PREPARED_STATEMENTS``). This
measures what that changes for bench_transitions.py's work (the pair ``return_survey`` /
``submit_survey`` through ``do_transition``, one at a time): each round runs the same number of
transitions in a process of its own with the setting on, then off (the order alternates round
by round), and reports per transition

- the p50 wall time;
- the CPU of the Python process (``time.process_time``);
- the CPU of the PostgreSQL backend serving it (``/proc/<pid>/stat`` of that backend: the
  benchmark runs on the database's machine), which is where parsing and planning go.

CPU seconds, not wall time, are the figures to compare on a shared machine. Prints a table and
writes its section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402
from servers import process_cpu  # noqa: E402

MODES = {"prepared": "true", "not prepared": "false"}


def measure(database: str, transitions: int) -> dict:
    """In this process (its settings from the environment): the service's pairs, one at a
    time, after a warm-up that lets every statement reach psycopg's threshold."""
    generate.setup_django(database)
    from bench_transitions import pick_cases, service_run
    from django.db import connection

    cases = pick_cases(40)

    service_run(cases, 20)
    pid = connection.connection.info.backend_pid
    backend, python = process_cpu(pid), time.process_time()
    timings = service_run(cases, transitions)
    assert connection.connection.info.backend_pid == pid, "the connection changed mid-run"
    count = len(timings)
    return {
        "p50": statistics.median(timings),
        "python": (time.process_time() - python) * 1000 / count,
        "database": (process_cpu(pid) - backend) * 1000 / count,
        "transitions": count,
    }


def in_subprocess(database: str, transitions: int, prepared: str) -> dict:
    env = {**os.environ, "DATABASE_PREPARED_STATEMENTS": prepared}
    result = subprocess.run(  # noqa: S603 - this script, our own interpreter
        [sys.executable, __file__, "--child", database, str(transitions)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--size", default="city")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--transitions", type=int, default=300)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child[0], int(args.child[1]))))
        return 0
    size, rounds, transitions = args.size, args.rounds, args.transitions
    if args.quick:
        size, rounds, transitions = "quick", 1, 60
    database = generate.use_database(size)
    results: dict[str, list[dict]] = {mode: [] for mode in MODES}
    load = os.getloadavg()
    for index in range(rounds):
        order = list(MODES) if index % 2 == 0 else list(reversed(MODES))
        for mode in order:
            results[mode].append(in_subprocess(database, transitions, MODES[mode]))
    lines = [
        "| statements | round | transitions | p50 ms | Python CPU ms | database CPU ms |",
        "|---|---|---|---|---|---|",
    ]
    for mode, runs in results.items():
        for index, run in enumerate(runs, 1):
            lines.append(
                f"| {mode} | {index} | {run['transitions']} | {run['p50']:.2f} | "
                f"{run['python']:.2f} | {run['database']:.2f} |"
            )
    on, off = results["prepared"], results["not prepared"]
    summary = (
        "Mean of the rounds, prepared against not: database CPU "
        f"{statistics.mean(r['database'] for r in on):.2f} against "
        f"{statistics.mean(r['database'] for r in off):.2f} ms per transition; Python CPU "
        f"{statistics.mean(r['python'] for r in on):.2f} against "
        f"{statistics.mean(r['python'] for r in off):.2f} ms; p50 "
        f"{statistics.mean(r['p50'] for r in on):.2f} against "
        f"{statistics.mean(r['p50'] for r in off):.2f} ms."
    )
    table = "\n".join(lines)
    print(table)
    print(summary)
    generate.write_section(
        "bench_prepared.py",
        f"## bench_prepared.py — a transition with prepared statements and without, {size}\n\n"
        f"`python bench/bench_prepared.py{' --quick' if args.quick else ''}`. Machine: "
        f"{generate.machine()}; {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the start. "
        "Each round is a process "
        "of its own per setting, the order alternating; the database CPU is the PostgreSQL "
        "backend's own, from /proc.\n\n"
        f"{table}\n\n{summary}\n",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
