"""Summarise result files as a Markdown table: per engine and scenario, the median over runs.

    .venv/bin/python bench/summarize.py [bench/results/*.json]

Without arguments, reads every file in ``bench/results/``. Runs are grouped by
database engine and data set; each figure in the table is the median of that figure
over the runs (so with three runs, a single disturbed run does not move it), and the
``p50 range`` column shows the lowest and highest p50 seen.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def load(paths: Sequence[Path]) -> list[dict[str, Any]]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(paths)]


def summarize(runs: Sequence[dict[str, Any]]) -> str:
    groups: dict[tuple[str, int, int], list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        dataset = run["dataset"]
        version = run["database"]["version"].split(" (")[0]  # "PostgreSQL 15.20 (Debian ...)"
        groups[(version, dataset["accounts"], dataset["book"])].append(run)
    lines = [
        "| database | scenario | accounts | queries | SQL p50 ms | p50 ms | p95 ms | max ms | p50 range ms | runs |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (version, _accounts, _book), group in groups.items():
        by_scenario: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for run in group:
            for result in run["results"]:
                by_scenario[result["key"]].append(result)
        for results in by_scenario.values():
            first = results[0]

            def median(name: str, results: list[dict[str, Any]] = results) -> float:
                return float(statistics.median(r[name] for r in results))

            p50s = [r["p50_ms"] for r in results]
            lines.append(
                f"| {version} | {first['kind']} `{first['url']}` | {first['total_rows']:,} | {first['queries']} "
                f"| {median('sql_p50_ms'):.1f} | {median('p50_ms'):.1f} | {median('p95_ms'):.1f} "
                f"| {median('max_ms'):.1f} | {min(p50s):.1f} to {max(p50s):.1f} | {len(results)} |"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    paths = [Path(arg) for arg in args] or sorted(RESULTS_DIR.glob("*.json"))
    if not paths:
        print("no result files", file=sys.stderr)
        return 1
    print(summarize(load(paths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
