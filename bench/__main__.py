"""Run every benchmark in `bench/`, print the figures, save results.json and results.md.

python -m bench                      # all benchmarks, up to 100,000 members
python -m bench --members 10000      # smaller (or BENCH_MAX_MEMBERS=10000)
python -m bench member_list          # only the named benchmark modules
DATABASE_URL=postgres://… python -m bench   # on PostgreSQL instead of a temp SQLite file
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bench
from bench import DEFAULT_MAX_MEMBERS, DEFAULT_REPEAT, DEFAULT_WARMUP, Options, Report

OUTPUT_DIR = Path(bench.__file__).resolve().parent


def benchmark_modules() -> list[str]:
    """Names of the benchmark modules: every public module of the `bench` package."""
    return sorted(
        info.name for info in pkgutil.iter_modules(bench.__path__) if not info.name.startswith("_")
    )


def parse_options(argv: list[str]) -> tuple[Options, list[str]]:
    """Options (defaults from BENCH_MAX_MEMBERS / BENCH_REPEAT) and the modules to run."""
    available = benchmark_modules()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "modules",
        nargs="*",
        metavar="MODULE",
        help=f"benchmarks to run (default: all of {', '.join(available)})",
    )
    parser.add_argument(
        "--members",
        type=int,
        default=int(os.environ.get("BENCH_MAX_MEMBERS", DEFAULT_MAX_MEMBERS)),
        help="largest member count (env BENCH_MAX_MEMBERS, default %(default)s)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=int(os.environ.get("BENCH_REPEAT", DEFAULT_REPEAT)),
        help="timed repetitions per measurement (env BENCH_REPEAT, default %(default)s)",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=DEFAULT_WARMUP,
        help="untimed calls before timing (default %(default)s)",
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.modules) - set(available))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    if args.members < 1 or args.repeat < 1 or args.warmup < 0:
        parser.error("--members and --repeat must be positive, --warmup not negative")
    options = Options(max_members=args.members, repeat=args.repeat, warmup=args.warmup)
    return options, list(args.modules) or available


def machine() -> dict[str, Any]:
    """Where the figures were taken."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
    }


def markdown(reports: list[Report], meta: dict[str, Any]) -> str:
    """The results as Markdown: one table per benchmark, then its checks and notes."""
    lines = [
        "# Benchmark results",
        "",
        f"Run {meta['finished']} on {meta['machine']['platform']}, "
        f"{meta['machine']['cpus']} CPUs, Python {meta['machine']['python']}.",
    ]
    for report in reports:
        context = report.context
        lines += [
            "",
            f"## {report.name}: {report.description}",
            "",
            f"Database `{context.get('database', '?')}` "
            f"({context.get('database_version', '?')}), Django {context.get('django', '?')}; "
            f"median of {context.get('repeat', '?')} runs after {context.get('warmup', '?')} "
            "warm-up calls. Baseline: "
            f"`{context.get('baseline', '?')}`.",
            "",
            "| Members | Target | Median (ms) | Baseline (ms) | Ratio | SQL queries |",
            "|--------:|--------|------------:|--------------:|------:|------------:|",
        ]
        lines += [
            f"| {m.size:,} | {m.target} | {m.time.median * 1000:.1f} "
            f"| {m.baseline.median * 1000:.2f} | {m.ratio:.1f} | {m.queries} |"
            for m in report.measurements
        ]
        lines.append("")
        lines += [f"- {check}: {'yes' if ok else 'no'}" for check, ok in report.checks.items()]
        lines += [f"- {note}" for note in report.notes]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and write the result files; returns the process exit status."""
    options, names = parse_options(sys.argv[1:] if argv is None else argv)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    reports: list[Report] = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}", flush=True)
        reports.append(module.run(options))
    meta = {
        "started": started,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "options": {
            "max_members": options.max_members,
            "repeat": options.repeat,
            "warmup": options.warmup,
        },
    }
    results = {**meta, "benchmarks": [report.as_dict() for report in reports]}
    (OUTPUT_DIR / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    table = markdown(reports, meta)
    (OUTPUT_DIR / "results.md").write_text(table)
    print()
    print(table)
    print(f"Saved {OUTPUT_DIR / 'results.json'} and {OUTPUT_DIR / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
