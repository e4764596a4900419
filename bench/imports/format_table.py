"""Prints the worker import benchmark's table from its raw JSON lines.

    python bench/imports/format_table.py RESULTS.jsonl     (or - for stdin)

Each line is one fresh process, as printed by bench/imports/imports-bench.ts:
case, empty (the case of the same runtime without the import, or null),
wall_ms (spawn to exit, measured by the parent) and import_ms (the import
alone, measured inside). One row per case: the wall time, the wall time
minus that of the empty process (median minus median), the in-process
import time, and the ratios "daisy 2.0.0 ÷ this" of the last two, so above
1 means the case loads faster than `import daisy` 2.0.0. Medians, with the
min and max in brackets. Exit status 2 on bad arguments.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

# bench/ holds the table code the reports share.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from text_table import fmt_ratio, print_notes, read_records, render

BASELINE = "import daisy (daisy 2.0.0)"


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}–{max(values):.1f})"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    lines = sys.stdin if argv[0] == "-" else Path(argv[0]).read_text().splitlines()
    warnings: list[str] = []
    runs, metas = read_records(lines, warnings, ("case", "wall_ms", "import_ms"))
    for meta in metas:
        load = ", ".join(f"{x:.2f}" for x in meta.get("loadavg", []))
        print(
            f"{meta.get('date')} on {meta.get('host')} ({meta.get('cpus')} cpus, load {load}), "
            f"node {meta.get('node')}, python {meta.get('python_client')} (client) / "
            f"{meta.get('python_daisy2')} (daisy 2.0.0), {meta.get('repeats')} processes per case"
        )
    walls: dict[str, list[float]] = {}
    imports: dict[str, list[float]] = {}
    empties: dict[str, str | None] = {}
    for run in runs:
        walls.setdefault(run["case"], []).append(run["wall_ms"])
        imports.setdefault(run["case"], []).append(run["import_ms"])
        empties[run["case"]] = run.get("empty")

    def net(case: str) -> float | None:
        empty = empties[case]
        if empty is None or empty not in walls:
            return None
        return statistics.median(walls[case]) - statistics.median(walls[empty])

    base_net = net(BASELINE) if BASELINE in walls else None
    base_import = statistics.median(imports[BASELINE]) if BASELINE in imports else None
    rows = []
    for case, wall in walls.items():
        case_net = net(case)
        case_import = statistics.median(imports[case])
        is_empty = empties[case] is None
        rows.append(
            [
                case,
                spread(wall),
                "-" if case_net is None else f"{case_net:.1f}",
                "-" if is_empty else spread(imports[case]),
                "-" if case_net is None or base_net is None or case_net <= 0 else fmt_ratio(base_net / case_net),
                "-" if is_empty or base_import is None or case_import <= 0 else fmt_ratio(base_import / case_import),
            ]
        )
    headers = [
        "case (ms)",
        "process",
        "minus empty",
        "import, in-process",
        "daisy 2.0.0 ÷ this (minus empty)",
        "daisy 2.0.0 ÷ this (in-process)",
    ]
    print(render(headers, rows))
    print_notes([], warnings)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
