"""Prints the end-to-end benchmark's table from its raw JSON lines.

    python bench/e2e/format_table.py RESULTS.jsonl     (or - for stdin)

Each line is one run, as printed by bench/e2e/daisy_e2e_bench.py and by the
daisychain side: impl, version, workers, blocks, seconds, blocks_per_s, ok,
errors. Rows are worker counts, columns the blocks/s of each implementation
present (the median when a combination ran more than once), then one ratio
column "<daisychain impl> ÷ daisy 2.0.0" per daisychain implementation: its
blocks/s over daisy 2.0.0's, so above 1 means daisychain is faster.
Implementations absent from the file are absent from the table. Runs with
done markers ("tracking": true) and without make one table each, every
ratio against daisy 2.0.0 with the same setting.

A line with "meta": true (machine, load average...) is shown as a header;
lines that are not JSON objects with an "impl" and a "workers" are skipped
with a warning. Exit status is 1 when any run failed (its cell shows FAILED
and a footnote gives the errors), 2 on bad arguments.
"""

from __future__ import annotations

import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# bench/ holds the table code the two reports share.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from text_table import fmt_ratio, print_notes, read_records, render

# Column order when present; implementations not listed follow, in the
# order they first appear in the file.
KNOWN_IMPLS = (
    "daisychain (TS workers)",
    "daisychain (Python workers)",
    "daisychain (Python workers, prefetch 1)",
    "daisychain (Python workers, prefetch 1, SCHED_OTHER)",
    "daisychain (Python driver)",
    "daisychain (Python workers, before)",
    "daisychain (Python workers, before, prefetch 1)",
    "daisy 2.0.0",
    "daisy 1.2.3",
)
BASELINE = "daisy 2.0.0"
CANDIDATE_PREFIX = "daisychain"


@dataclass
class Cell:
    """The runs of one implementation with one worker count."""

    runs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(run.get("ok") is True for run in self.runs)

    def errors(self) -> list[str]:
        found = [str(e) for run in self.runs if run.get("ok") is not True for e in run.get("errors") or []]
        return found or ["ok is false, no error given"]

    def rate(self) -> float | None:
        """Median blocks/s over the runs; None unless every run succeeded."""
        values = [float(run["blocks_per_s"]) for run in self.runs if run.get("blocks_per_s") is not None]
        if not self.ok or not values:
            return None
        return statistics.median(values)

    def blocks(self) -> set[int]:
        return {int(run["blocks"]) for run in self.runs if run.get("blocks") is not None}


def fmt_rate(rate: float) -> str:
    if rate >= 1e6:
        return f"{rate / 1e6:.2f} M/s"
    if rate >= 1e4:
        return f"{rate / 1e3:.1f} k/s"
    if rate >= 1e3:
        return f"{rate / 1e3:.2f} k/s"
    return f"{rate:.1f} /s"


def order_impls(runs: list[dict[str, Any]]) -> list[str]:
    seen: list[str] = []
    for run in runs:
        if run["impl"] not in seen:
            seen.append(str(run["impl"]))
    return [i for i in KNOWN_IMPLS if i in seen] + [i for i in seen if i not in KNOWN_IMPLS]


def meta_line(meta: dict[str, Any]) -> str:
    parts = [f"{key} {value}" for key, value in meta.items() if key != "meta"]
    return "e2e benchmark: " + ", ".join(parts)


def print_table(runs: list[dict[str, Any]], title: str, notes: list[str]) -> bool:
    """Prints one table of ``runs``, adding footnotes to ``notes``; returns whether a run failed."""
    impls = order_impls(runs)
    candidates = [i for i in impls if i.startswith(CANDIDATE_PREFIX)]
    ratio_impls = candidates if BASELINE in impls else []
    cells: dict[tuple[int, str], Cell] = {}
    for run in runs:
        cells.setdefault((int(run["workers"]), str(run["impl"])), Cell()).runs.append(run)
    worker_counts = sorted({workers for workers, _ in cells})

    failed = False
    rows: list[list[str]] = []
    for workers in worker_counts:
        row = [str(workers)]
        for impl in impls:
            cell = cells.get((workers, impl))
            if cell is None:
                row.append("-")
                continue
            rate = cell.rate()
            if not cell.ok:
                failed = True
                notes.append(f"{impl}, {workers} workers: " + "; ".join(cell.errors()))
                row.append("FAILED" + "*" * len(notes))
            elif rate is None:
                row.append("?")
            else:
                row.append(fmt_rate(rate) + (f" (n={len(cell.runs)})" if len(cell.runs) > 1 else ""))
        base = cells.get((workers, BASELINE))
        base_rate = base.rate() if base is not None else None
        for impl in ratio_impls:
            cell = cells.get((workers, impl))
            rate = cell.rate() if cell is not None else None
            row.append(fmt_ratio(rate / base_rate) if rate is not None and base_rate else "-")
        rows.append(row)

    headers = ["workers", *impls, *(f"{impl} ÷ {BASELINE}" for impl in ratio_impls)]
    print(
        f"\nEnd to end{title}: blocks/s of run_blockwise with a no-op block function;"
        " ratio > 1 means daisychain is faster\n"
    )
    print(render(headers, rows))
    sizes = []
    for impl in impls:
        counts: set[int] = set()
        for (_, name), cell in cells.items():
            if name == impl:
                counts |= cell.blocks()
        sizes.append(f"{impl} {'/'.join(f'{n:,}' for n in sorted(counts)) or '?'}")
    print("\nblocks per run: " + ", ".join(sizes))
    return failed


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] in ("-h", "--help"):
        print(__doc__, file=sys.stderr)
        return 2
    source = argv[0]
    warnings: list[str] = []
    if source == "-":
        runs, metas = read_records(sys.stdin, warnings, ("impl", "workers"))
    else:
        with Path(source).open(encoding="utf-8") as lines:
            runs, metas = read_records(lines, warnings, ("impl", "workers"))
    if not runs:
        print(f"no run records in {source}", file=sys.stderr)
        return 1

    for meta in metas:
        print(meta_line(meta))
    notes: list[str] = []
    failed = False
    # Old files have no "tracking" field: one table, unlabelled.
    modes = sorted({run.get("tracking") for run in runs}, key=lambda mode: (mode is not None, mode))
    for mode in modes:
        title = "" if mode is None else f" (done markers {'on' if mode else 'off'} on every side)"
        failed |= print_table([run for run in runs if run.get("tracking") == mode], title, notes)
    print_notes(notes, warnings)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
