"""Benchmark: one case's history at the city size. Goal: p95 under 50 ms.

    python bench/bench_history.py            # the city database (generated if missing)
    python bench/bench_history.py --quick    # the 2,000-union database

Over the cases with the longest timelines (most events) of every campaign: p50 and p95 of
``workflows.history.case_timeline(case)`` called directly, and of
``GET /api/v1/cases/{id}/history/`` as an auditor through Django's test client in this process,
with the query count of each (which must not grow with the timeline's length).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402

GOAL_P95_MS = 50


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--size", default="city")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    size = "quick" if args.quick else args.size
    repeat = 2 if args.quick else args.repeat
    generate.use_database(size)
    from django.db import connection
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from unions.models import User
    from workflows.history import case_timeline
    from workflows.models import Case, Event

    longest = list(
        Event.objects.filter(case__isnull=False)
        .values("case_id")
        .annotate(n=Count("id"))
        .order_by("-n", "case_id")
        .values_list("case_id", "n")[: args.cases]
    )
    cases = list(
        Case.objects.filter(pk__in=[c for c, _n in longest]).select_related("campaign", "union")
    )
    auditor = User.objects.get(username="auditor")
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=auditor)[0].key}"
    )

    direct, api, direct_queries, api_queries, entries = [], [], set(), set(), []
    for case in cases:
        case_timeline(case)  # warm
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                timeline = case_timeline(case)
                direct.append((time.perf_counter() - started) * 1000)
            direct_queries.add(len(captured.captured_queries))
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(f"/api/v1/cases/{case.pk}/history/")
                api.append((time.perf_counter() - started) * 1000)
            api_queries.add(len(captured.captured_queries))
            assert response.status_code == 200, response.content[:200]
        entries.append(len(timeline))

    lines = [
        f"{len(cases)} cases with the longest timelines ({min(entries)}–{max(entries)} entries, "
        f"{min(n for _c, n in longest)}–{max(n for _c, n in longest)} events each), {repeat} calls each, "
        f"among {Case.objects.count():,} cases and {Event.objects.count():,} events.",
        "",
        "| what | calls | p50 ms | p95 ms | queries per call |",
        "|---|---|---|---|---|",
        f"| `case_timeline(case)` | {len(direct)} | {generate.percentile(direct, 50):.1f} | "
        f"{generate.percentile(direct, 95):.1f} | {'–'.join(map(str, sorted(direct_queries)))} |",
        f"| `GET /api/v1/cases/{{id}}/history/` (auditor) | {len(api)} | {generate.percentile(api, 50):.1f} | "
        f"{generate.percentile(api, 95):.1f} | {'–'.join(map(str, sorted(api_queries)))} |",
    ]
    p95 = generate.percentile(api, 95)
    lines.append("")
    lines.append(
        f"Goal p95 < {GOAL_P95_MS} ms: **{'met' if p95 < GOAL_P95_MS else 'not met'}** ({p95:.1f} ms through the API)."
    )
    print("\n".join(lines))
    title = "quick run" if args.quick else size
    generate.write_section(
        f"bench_history.py — one case's history, {title}",
        f"## bench_history.py — one case's history, {title}\n\n"
        f"`python bench/bench_history.py{' --quick' if args.quick else ''}` (Django test client in-process, "
        f"PostgreSQL; DEBUG off). Machine: {generate.machine()}.\n\n" + "\n".join(lines),
    )
    return 0 if p95 < GOAL_P95_MS or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
