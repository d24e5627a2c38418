"""Benchmark: one case's history at the city size. Goal: p95 under 50 ms.

    python bench/bench_history.py               # the city database (generated if missing)
    python bench/bench_history.py --quick       # the 2,000-union database
    python bench/bench_history.py --no-write    # print only, leave bench/RESULTS.md alone

Over the cases with the longest timelines (most events) of every campaign: p50 and p95 of
``workflows.history.case_timeline(case)`` called directly, and of
``GET /api/v1/cases/{id}/history/`` as an auditor through Django's test client in this process,
with the query count of each (which must not grow with the timeline's length), and how many
entries the timelines measured had (min, p50, p95, max), since the figures depend on it.
"""

from __future__ import annotations

import argparse
import random
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
    parser.add_argument(
        "--no-write", action="store_true", help="print the table, do not write bench/RESULTS.md"
    )
    args = parser.parse_args()
    size = "quick" if args.quick else args.size
    repeat = 2 if args.quick else args.repeat
    generate.use_database(size)
    from django.db import connection, reset_queries
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
    # The typical case: drawn at random (seeded) from every campaign, not only the ones the
    # transition benchmark keeps cycling (those are the longest above).
    ids = list(Case.objects.order_by("id").values_list("id", flat=True))
    typical_ids = random.Random(2022).sample(ids, min(len(ids), args.cases * 5))
    auditor = User.objects.get(username="auditor")
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=auditor)[0].key}"
    )

    def measure(case_ids: list[int]) -> dict:
        cases = Case.objects.filter(pk__in=case_ids).select_related("campaign", "union")
        found = {"direct": [], "api": [], "direct_q": set(), "api_q": set(), "entries": []}
        for case in cases:
            case_timeline(case)  # warm
            for _ in range(repeat):
                reset_queries()  # the query log keeps 9,000: past that a capture counts nothing
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    timeline = case_timeline(case)
                    found["direct"].append((time.perf_counter() - started) * 1000)
                found["direct_q"].add(len(captured.captured_queries))
                reset_queries()
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get(f"/api/v1/cases/{case.pk}/history/")
                    found["api"].append((time.perf_counter() - started) * 1000)
                found["api_q"].add(len(captured.captured_queries))
                assert response.status_code == 200, response.content[:200]
            found["entries"].append(len(timeline))
        return found

    groups = [
        ("typical: cases drawn at random", measure(typical_ids)),
        ("the longest timelines", measure([c for c, _n in longest])),
    ]
    lines = [
        f"Among {Case.objects.count():,} cases and {Event.objects.count():,} events, {repeat} calls "
        "each: cases drawn at random (seed 2022), and the cases with the longest timelines (the "
        "ones bench_transitions.py keeps cycling; a real case has a handful of entries).",
        "",
        "| cases | entries | what | calls | p50 ms | p95 ms | queries per call |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, found in groups:
        span = f"{min(found['entries'])}–{max(found['entries'])}"
        for what, key in (
            ("`case_timeline(case)`", "direct"),
            ("`GET /api/v1/cases/{id}/history/` (auditor)", "api"),
        ):
            values = found[key]
            lines.append(
                f"| {label} | {span} | {what} | {len(values)} | {generate.percentile(values, 50):.1f} | "
                f"{generate.percentile(values, 95):.1f} | {'–'.join(map(str, sorted(found[key + '_q'])))} |"
            )
    lines += [
        "",
        "Entries per timeline measured (one per case):",
        "",
        "| cases | cases measured | min | p50 | p95 | max | mean |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, found in groups:
        entries = found["entries"]
        lines.append(
            f"| {label} | {len(entries)} | {min(entries)} | {generate.percentile(entries, 50)} | "
            f"{generate.percentile(entries, 95)} | {max(entries)} | {sum(entries) / len(entries):.1f} |"
        )
    p95 = generate.percentile(groups[0][1]["api"], 95)
    worst = generate.percentile(groups[1][1]["api"], 95)
    lines.append("")
    lines.append(
        f"Goal p95 < {GOAL_P95_MS} ms through the API: typical cases **{'met' if p95 < GOAL_P95_MS else 'not met'}** "
        f"({p95:.1f} ms); the longest timelines **{'met' if worst < GOAL_P95_MS else 'not met'}** ({worst:.1f} ms)."
    )
    print("\n".join(lines))
    print(f"\nLoad average {generate.load()} (1/5/15 min).")
    met = p95 < GOAL_P95_MS and worst < GOAL_P95_MS
    if args.no_write:
        return 0 if met or args.quick else 1
    title = "quick run" if args.quick else size
    generate.write_section(
        f"bench_history.py — one case's history, {title}",
        f"## bench_history.py — one case's history, {title}\n\n"
        f"`python bench/bench_history.py{' --quick' if args.quick else ''}` (Django test client in-process, "
        f"PostgreSQL; DEBUG off). Machine: {generate.machine()}.\n\n" + "\n".join(lines),
    )
    return 0 if met or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
