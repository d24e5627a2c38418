"""Benchmark: assess() + summarize() over N synthetic surveys in one process.

    python bench/bench_rules.py [--n 20000] [--seed 2022] [--repeat 3]

Surveys are generated deterministically (``random.Random(seed)``) from the example of NORMS.md:
every union type, both tracks, sizes around the 25 and 200 boundaries, some answers missing,
dates on both sides of their windows, committees of up to eight members. Generation is not timed;
the figure is the best of ``--repeat`` runs of assessing and summarizing every survey. The target
(DESIGN.md scale: a city of 10,000–20,000 unions) is 20,000 surveys in under 2 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.conf import settings  # noqa: E402

if not settings.configured and not os.environ.get("DJANGO_SETTINGS_MODULE"):
    settings.configure(USE_I18N=False)  # the rules need no settings; gettext_lazy stays lazy

from inspections.rules import SIX_NORMS, assess, summarize, track_for  # noqa: E402
from inspections.survey import FIELDS, example_survey, flatten, unflatten  # noqa: E402

REFERENCE_DATE = date(2022, 5, 20)
ASSESSED_ON = date(2022, 9, 1)
UNION_TYPES = [
    "enterprise",
    "enterprise",
    "enterprise",
    "institution",
    "social_org",
    "township_street",
    "industrial_park",
    "county_industry_federation",
    "regional_federation",
    "new_employment",
]
OWNERSHIPS = ["state_owned", "collective", "state_controlled", "private", "foreign", "other"]
PARK_LEVELS = ["national", "provincial", "below_provincial"]
NAMES = ["李强", "王芳", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "黄勇"]


def _member(rng: random.Random) -> dict[str, Any]:
    return {
        "name": rng.choice(NAMES),
        "is_admin_head": rng.random() < 0.03,
        "is_partner": rng.random() < 0.02,
        "is_relative_of_admin": rng.random() < 0.02 or None,
    }


def _value(rng: random.Random, path: str, kind: str, example: Any) -> Any:
    if kind == "bool":
        return rng.random() < 0.85
    if kind == "int":
        if path.endswith("term_years"):
            return rng.choice([3, 5, 5, 4])
        if path.endswith("meetings_last_year"):
            return rng.choice([0, 1, 1, 2, 3])
        return rng.choice([0, 1, rng.randint(2, 30), rng.randint(20, 30), rng.randint(150, 400)])
    if kind == "date":
        days = rng.randint(-5, 500)
        if path == "collective_contract.expires_on":
            days = -days  # mostly in the future
        return (ASSESSED_ON - timedelta(days=days)).isoformat()
    if kind == "list":
        return [_member(rng) for _ in range(rng.randint(0, 8))]
    return example


def make_cases(n: int, seed: int) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """``n`` (track, union, survey) triples."""
    rng = random.Random(seed)
    example = flatten(example_survey())
    cases = []
    for _ in range(n):
        union_type = rng.choice(UNION_TYPES)
        union = {
            "union_type": union_type if rng.random() > 0.01 else None,
            "ownership": rng.choice(OWNERSHIPS) if union_type == "enterprise" else None,
            "park_level": rng.choice(PARK_LEVELS) if union_type == "industrial_park" else None,
            "founded_on": REFERENCE_DATE - timedelta(days=rng.randint(100, 4000)),
        }
        flat: dict[str, Any] = {}
        for spec in FIELDS:
            draw = rng.random()
            if draw < 0.03:
                continue  # missing
            if draw < 0.75:
                flat[spec.path] = example[spec.path]
            else:
                flat[spec.path] = _value(rng, spec.path, spec.kind, example[spec.path])
        track = track_for(union["founded_on"], REFERENCE_DATE)
        cases.append((track, union, unflatten(flat)))
    return cases


def run(cases: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> tuple[float, int]:
    met = 0
    start = time.perf_counter()
    for track, union, survey in cases:
        findings = assess(track, union, survey, ASSESSED_ON)
        summary = summarize(track, {f.rule: f.outcome for f in findings})
        met += summary.meets_standard
    return time.perf_counter() - start, met


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    print(f"python {platform.python_version()} ({platform.python_implementation()})")
    print(f"cpu {cpu_model()}, nproc {os.cpu_count()}")
    cases = make_cases(args.n, args.seed)
    norms = sum(track == SIX_NORMS for track, _union, _survey in cases)
    print(f"{args.n} surveys ({norms} six_norms, {args.n - norms} six_haves), seed {args.seed}")
    times = []
    met = 0
    for _ in range(args.repeat):
        elapsed, met = run(cases)
        times.append(elapsed)
    best = min(times)
    print(f"runs: {', '.join(f'{t:.3f} s' for t in times)}; {met} meet their standard")
    print(
        f"best of {args.repeat}: {best:.3f} s for {args.n} surveys ({best / args.n * 1e6:.1f} µs each)"
    )
    target = 2.0 * args.n / 20_000
    print("within target" if best < target else f"OVER TARGET of {target:.2f} s")


if __name__ == "__main__":
    main()
