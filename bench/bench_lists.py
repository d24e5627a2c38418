"""Benchmark: list and dashboard pages and API lists at the city and province sizes.

    python bench/bench_lists.py                 # city and province (generated if missing)
    python bench/bench_lists.py --sizes city
    python bench/bench_lists.py --quick         # the 2,000-union database, a few requests each
    python bench/bench_lists.py --sizes city --db bench_city_x   # another city, not recorded

For each URL, as a federation officer (city-wide: the largest scope) and a county officer:
p50 and p95 latency over ``--repeat`` requests through Django's test client in this process
(no network, no server: the view, the ORM and PostgreSQL) and the number of queries. Then the
proof that the query count does not grow with the rows shown: each API list at page size 50
and at 200, each page list showing 50 rows and showing a handful; the counts must be equal.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402

PAGES = ["/", "/cases/", "/unions/", "/subsidies/", "/dashboard/", "/audit/"]
APIS = [
    "/api/v1/cases/",
    "/api/v1/unions/",
    "/api/v1/subsidies/",
    "/api/v1/cases/?stage=guidance",
    "/api/v1/notifications/",
]


def measure(client, url: str, repeat: int) -> tuple[float, float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm caches, as a person's second request would find them
    timings = []
    queries = 0
    status = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        status = response.status_code
        queries = len(captured.captured_queries)
    return generate.percentile(timings, 50), generate.percentile(timings, 95), queries, status


def query_count(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured.captured_queries)


def figures_line(repeat: int) -> str:
    """The campaign's figures computed afresh (what the first page after a transition pays)
    ``repeat`` times, and read back from the cache once."""
    from django.core.cache import cache

    from workflows.figures import current_figures_by_federation, figures_by_federation
    from workflows.models import Campaign

    campaign = Campaign.objects.order_by("-year").first()
    cold = []
    for _ in range(repeat):
        started = time.perf_counter()
        figures_by_federation(campaign)
        cold.append((time.perf_counter() - started) * 1000)
    cache.clear()
    current_figures_by_federation(campaign)
    started = time.perf_counter()
    current_figures_by_federation(campaign)
    kept = (time.perf_counter() - started) * 1000
    return (
        f"Campaign {campaign.year}'s figures recomputed: "
        f"{', '.join(f'{ms:,.0f}' for ms in cold)} ms; read from the cache: {kept:.1f} ms."
    )


def run_size(size: str, repeat: int, database: str | None = None) -> list[str]:
    if database:
        generate.setup_django(database)
    else:
        generate.use_database(size)
    import logging

    logging.getLogger("django.request").setLevel(logging.ERROR)  # the 403s below are expected
    from django.test import Client
    from rest_framework.authtoken.models import Token
    from rest_framework.pagination import PageNumberPagination
    from rest_framework.test import APIClient

    from unions.models import Union, User
    from workflows.models import Case, Event

    people = {
        "federation officer": User.objects.get(username="fed"),
        "county officer 浔阳区": User.objects.get(username="c360403"),
    }
    lines = [
        f"\n### {size}: {Union.objects.count():,} unions, {Case.objects.count():,} cases, "
        f"{Event.objects.count():,} events\n",
        "| who | URL | p50 ms | p95 ms | queries | status |",
        "|---|---|---|---|---|---|",
    ]
    for label, user in people.items():
        browser = Client()
        browser.force_login(user)
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
        for url in PAGES:
            p50, p95, queries, status = measure(browser, url, repeat)
            lines.append(f"| {label} | `{url}` | {p50:.0f} | {p95:.0f} | {queries} | {status} |")
        for url in APIS:
            p50, p95, queries, status = measure(api, url, repeat)
            lines.append(f"| {label} | `{url}` | {p50:.0f} | {p95:.0f} | {queries} | {status} |")
        print("\n".join(lines[-len(PAGES) - len(APIS) :]), flush=True)

    # Query count against rows shown.
    user = people["federation officer"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    browser = Client()
    browser.force_login(user)
    lines += ["", "| list | rows | queries | rows | queries | equal |", "|---|---|---|---|---|---|"]
    unequal = []
    original = PageNumberPagination.page_size
    for url in APIS[:3]:
        counts = {}
        for page_size in (50, 200):
            PageNumberPagination.page_size = (
                page_size  # this process only: the same view at 200 rows
            )
            counts[page_size] = query_count(api, url)
        PageNumberPagination.page_size = original
        equal = counts[50] == counts[200]
        unequal += [] if equal else [url]
        lines.append(
            f"| `{url}` | 50 | {counts[50]} | 200 | {counts[200]} | {'yes' if equal else '**no**'} |"
        )
    few_union = Union.objects.order_by("id").values_list("name", flat=True).first()
    for url, narrow in [
        ("/cases/", f"/cases/?q={few_union}"),
        ("/unions/", f"/unions/?q={few_union}"),
    ]:
        many, few = query_count(browser, url), query_count(browser, narrow)
        equal = many == few
        unequal += [] if equal else [url]
        lines.append(
            f"| `{url}` | 50 | {many} | a handful (`?q=`) | {few} | {'yes' if equal else '**no**'} |"
        )
    print("\n".join(lines[-7:]), flush=True)
    lines += ["", figures_line(repeat=3)]
    print(lines[-1], flush=True)
    if unequal:
        print(f"query count grows with the rows on: {unequal}", file=sys.stderr)
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--sizes", default="city,province")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="the quick database, 5 requests each")
    parser.add_argument(
        "--db",
        help="measure this database (generated beforehand, one size) instead of bench_<size>; "
        "the results are printed, not written to RESULTS.md",
    )
    args = parser.parse_args()
    sizes = ["quick"] if args.quick else args.sizes.split(",")
    if args.db:
        if len(sizes) > 1:
            parser.error("--db measures one database: give one size")
        run_size(sizes[0], repeat=args.repeat, database=args.db)
        return 0
    repeat = 5 if args.quick else args.repeat
    if len(sizes) > 1:  # Django binds to one database per process: one process per size
        import subprocess

        codes = [
            subprocess.run(
                [sys.executable, __file__, "--sizes", s, "--repeat", str(repeat)], check=False
            ).returncode
            for s in sizes
        ]
        return max(codes)
    lines = run_size(sizes[0], repeat)
    title = "quick run" if args.quick else sizes[0]
    generate.write_section(
        f"bench_lists.py — list pages and API lists, {title}",
        f"## bench_lists.py — list pages and API lists, {title}\n\n"
        f"`python bench/bench_lists.py{' --quick' if args.quick else ' --sizes ' + sizes[0]}` "
        f"({repeat} requests each, Django test client in-process against PostgreSQL; DEBUG off). "
        f"Machine: {generate.machine()}.\n" + "\n".join(lines),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
