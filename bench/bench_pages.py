"""Each role's home page at the demo data's size, timed with the Django test client.

    python bench/bench_pages.py                      # SQLite: a temporary file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h6 python bench/bench_pages.py
    python bench/bench_pages.py --quick              # 300 unions, 10 requests: proves it works
    python bench/bench_pages.py --record             # also write the section of bench/RESULTS.md

The database is made for the run (a temporary SQLite file, or ``<name>_bench_pages`` on the
PostgreSQL server of ``DATABASE_URL``, dropped afterwards), migrated, and filled by
``manage.py load_demo`` (2,000 unions, a case each, every stage; the demo users). Each page is
requested a few times to warm up, then ``--requests`` times; p50/p95 are wall-clock milliseconds
of the whole request through the middleware and templates, in-process (no network, no server).
The query count is that of one request. Goal: every home under 300 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BASE_DIR))

GOAL_MS = 300
HOMES = [
    ("county officer 浔阳区", "xunyang", "/"),
    ("federation officer", "fed", "/"),
    ("leader (linked 浔阳区, 濂溪区)", "leader", "/"),
    ("auditor (home is the audit explorer)", "auditor", "/audit/"),
    ("union reporter", "reporter", "/"),
]
OTHER_PAGES = [
    ("federation officer", "fed", "/dashboard/"),
    ("federation officer", "fed", "/cases/"),
    ("county officer 浔阳区", "xunyang", "/dashboard/"),
]


def _database(args) -> tuple[str, callable]:
    configured = os.environ.get("DATABASE_URL", "")
    if configured.startswith(("postgres://", "postgresql://")):
        import psycopg

        parts = urlsplit(configured)
        name = f"{parts.path.lstrip('/') or 'postgres'}_bench_pages"
        admin = urlunsplit(parts._replace(path="/postgres")).replace(
            "postgres://", "postgresql://", 1
        )

        def run(sql: str) -> None:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(sql)

        run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        run(f'CREATE DATABASE "{name}"')
        return urlunsplit(parts._replace(path=f"/{name}")), (
            (lambda: None)
            if args.keep
            else (lambda: run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        )
    directory = tempfile.mkdtemp(prefix="bench_pages_")
    return f"sqlite:///{directory}/bench.sqlite3", lambda: None


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered), p95


def measure(client, path: str, requests: int) -> dict:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        client.get(path)
    reset_queries()  # the log is a bounded deque: full after load_demo, it would count nothing
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
    p50, p95 = _ms(samples)
    return {
        "status": response.status_code,
        "queries": len(captured),
        "p50": p50,
        "p95": p95,
        "bytes": len(response.content),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--unions", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="300 unions, 10 requests")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument(
        "--record", action="store_true", help="write the section of bench/RESULTS.md"
    )
    args = parser.parse_args()
    if args.quick:
        args.unions, args.requests = 300, 10

    url, drop = _database(args)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from unions.models import Union, User
    from workflows.models import Case, Event

    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("load_demo", unions=args.unions, verbosity=0)
        loaded = time.perf_counter() - started
        sizes = {
            "unions": Union.objects.count(),
            "cases": Case.objects.count(),
            "events": Event.objects.count(),
        }
        rows = []
        for group in (HOMES, OTHER_PAGES):
            for who, username, path in group:
                client = Client()
                client.force_login(User.objects.get(username=username))
                client.cookies["django_language"] = "zh-hans"
                rows.append(
                    {
                        "who": who,
                        "path": path,
                        "home": group is HOMES,
                        **measure(client, path, args.requests),
                    }
                )
        vendor = connection.vendor
        version = (
            connection.cursor().connection.info.server_version if vendor == "postgresql" else None
        )
    finally:
        from django.db import connections

        connections.close_all()
        drop()

    database = (
        f"PostgreSQL {version // 10000}.{version % 100}" if version else "SQLite (a temporary file)"
    )
    lines = [
        f"## bench_pages.py — each role's home at the demo's size ({timezone.localdate().isoformat()})",
        "",
        f"`{' '.join(['python', 'bench/bench_pages.py', *sys.argv[1:]])}` on {database}. Django test client "
        f"in-process, DEBUG={settings.DEBUG}, Chinese pages; {args.requests} timed requests per page after 3 "
        f"to warm up. Machine: `nproc` {os.cpu_count()}, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}; load average "
        f"{' / '.join(f'{x:.1f}' for x in os.getloadavg())} (1/5/15 min) when written, which says "
        "whether other work shared the cores.",
        "",
        f"Data: `load_demo --unions {args.unions}`: {sizes['unions']:,} unions, {sizes['cases']:,} cases, "
        f"{sizes['events']:,} events (loaded in {loaded:.0f} s, not timed below).",
        "",
        "| who | page | status | queries | p50 ms | p95 ms | KiB |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        mark = "" if not row["home"] else (" ✓" if row["p95"] < GOAL_MS else " ✗")
        lines.append(
            f"| {row['who']} | `{row['path']}` | {row['status']} | {row['queries']} | {row['p50']:.0f} | "
            f"{row['p95']:.0f}{mark} | {row['bytes'] / 1024:.0f} |"
        )
    slowest = max(r["p95"] for r in rows if r["home"])
    lines += [
        "",
        f"Goal: every home under {GOAL_MS} ms. Slowest home p95: {slowest:.0f} ms "
        f"({'met' if slowest < GOAL_MS else 'NOT met'}). Query counts do not depend on the number of unions "
        "(each queue is one query for its first rows and one for its count; figures per county are "
        "`workflows.figures`' three aggregated queries).",
        "",
    ]
    report = "\n".join(lines)
    print(report)  # noqa: T201
    if args.record:
        results = BASE_DIR / "bench" / "RESULTS.md"
        text = (
            results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n\n"
        )
        marker = "## bench_pages.py"
        if marker in text:
            head, _, rest = text.partition(marker)
            tail = rest.split("\n## ", 1)
            text = head + report + ("\n## " + tail[1] if len(tail) > 1 else "")
        else:
            text = text.rstrip("\n") + "\n\n" + report
        results.write_text(text, encoding="utf-8")
    return 0 if slowest < GOAL_MS else 1


if __name__ == "__main__":
    sys.exit(main())
