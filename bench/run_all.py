"""Run every benchmark in bench/ (each ``bench_*.py``, in its own process) and report which failed.

    python bench/run_all.py            # full sizes (the figures in RESULTS.md)
    python bench/run_all.py --quick    # small sizes: proves each script works, in a few minutes
    python bench/run_all.py bench_lists bench_history   # only these

``--quick`` is passed to the scripts that take it; the others get the small-size arguments
listed in ``QUICK_ARGS``. ``FULL_ARGS`` holds arguments a script needs for the full run beyond
its defaults (bench_import at the city's 20,000 unions). Exits non-zero if any script failed.

Scripts that need PostgreSQL take the server from ``DATABASE_URL`` and make their own databases
on it (``<name>_bench_…``, dropped afterwards); bench_lists, bench_transitions and bench_history
use ``bench/generate.py``'s ``bench_<size>`` databases on ``BENCH_PG``. On this machine:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/run_all.py
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# For scripts that do not take --quick (written before it): their small size.
QUICK_ARGS = {
    "bench_import.py": ["--unions", "200"],
    "bench_rules.py": ["--n", "2000", "--repeat", "1"],
    "bench_push.py": ["--clients", "50", "--rounds", "3"],
    "bench_http_cpu.py": ["--db", "bench_quick", "--transitions", "40"],
}
FULL_ARGS = {
    "bench_import.py": ["--unions", "20000"],
    "bench_pages.py": ["--record"],
}


def takes_quick(script: Path) -> bool:
    return "--quick" in script.read_text(encoding="utf-8")


def arguments(script: Path, quick: bool) -> list[str]:
    if not quick:
        return FULL_ARGS.get(script.name, [])
    if takes_quick(script):
        return ["--quick"]
    return QUICK_ARGS.get(script.name, [])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("only", nargs="*", help="script names to run (default: all)")
    args = parser.parse_args()
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.only:
        wanted = {name.removesuffix(".py") for name in args.only}
        scripts = [s for s in scripts if s.stem in wanted]
    results = []
    for script in scripts:
        command = [sys.executable, str(script), *arguments(script, args.quick)]
        print(f"\n=== {script.name} {' '.join(command[2:])}", flush=True)
        started = time.monotonic()
        code = subprocess.run(command, cwd=HERE.parent, check=False).returncode
        results.append((script.name, code, time.monotonic() - started))
    print("\n=== summary")
    for name, code, seconds in results:
        print(f"  {'ok    ' if code == 0 else 'FAILED'} {name:28} {seconds:7.1f} s")
    return 1 if any(code for _name, code, _s in results) else 0


if __name__ == "__main__":
    sys.exit(main())
