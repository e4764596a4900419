"""Prints the scheduler benchmark's table from its raw JSON lines.

    python bench/scheduler/format_table.py .cache/bench/scheduler-<stamp>.jsonl

Rows are cases, columns the implementations (daisychain, daisy 2.0.0,
daisy 1.2.3) and the ratios "daisy X ÷ daisychain": above 1 means
daisychain is faster (time) or smaller (memory). A case repeated in several
processes (first-block) shows the median. A run stopped by its time budget
shows an estimated total time marked "~" with a footnote giving the blocks it
was measured on; a ratio computed from such a time is marked "~" too.
"""

from __future__ import annotations

import json
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# bench/ holds the table code the two reports share.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from text_table import render

IMPLS = ("daisychain", "daisychain, no warm-up", "daisy 2.0.0", "daisy 1.2.3")
BASE = "daisychain"
# Shown for reference, without a ratio column: daisychain's cold path.
NO_RATIO = ("daisychain, no warm-up",)
CASE_TITLES = {
    "conflict": "(a) all blocks, conflicts",
    "no-conflict": "(b) all blocks, no conflicts",
    "first-block": "(c) time to first block, cold process",
    "first-block-warm": "(d) time to first block, after a 1,000-block task",
}


@dataclass
class Cell:
    """One implementation's aggregated result for one case."""

    runs: list[dict[str, Any]]

    @property
    def ok(self) -> bool:
        return all(run.get("ok") for run in self.runs)

    @property
    def crashed(self) -> bool:
        return any(run.get("crashed") for run in self.runs)

    @property
    def timed_out(self) -> bool:
        return any(run.get("timed_out") for run in self.runs)

    @property
    def extrapolated(self) -> bool:
        return any(run.get("extrapolated") for run in self.runs)

    def median(self, key: str) -> float | None:
        values = [run[key] for run in self.runs if run.get(key) is not None]
        return statistics.median(values) if values else None

    def total_seconds(self) -> float | None:
        """Measured time of a complete run, or the estimate of a stopped one."""
        key = "estimated_seconds" if self.extrapolated else "seconds"
        return self.median(key)


def fmt_seconds(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    if seconds < 100:
        return f"{seconds:.2f} s"
    return f"{seconds:,.0f} s"


def fmt_rate(rate: float) -> str:
    if rate >= 1e6:
        return f"{rate / 1e6:.2f} M/s"
    if rate >= 1e3:
        return f"{rate / 1e3:.1f} k/s"
    return f"{rate:.0f} /s"


def fmt_ratio(value: float, *, approx: bool, lower_bound: bool) -> str:
    prefix = ">" if lower_bound else ("~" if approx else "")
    return f"{prefix}{value:.2f}×" if value < 100 else f"{prefix}{value:,.0f}×"


def main(path: str) -> int:
    meta: dict[str, Any] = {}
    cells: dict[tuple[str, str], Cell] = {}
    order: list[str] = []
    with Path(path).open(encoding="utf-8") as lines:
        for text in lines:
            if not text.strip():
                continue
            record = json.loads(text)
            if record.get("meta"):
                meta = record
                continue
            case = record["case"]
            if case not in order:
                order.append(case)
            cells.setdefault((case, record["impl"]), Cell([])).runs.append(record)

    impls = [i for i in IMPLS if any(k[1] == i for k in cells)]
    others = [i for i in impls if i != BASE and i not in NO_RATIO]
    notes: list[str] = []
    warnings: list[str] = []

    def note(text: str) -> str:
        notes.append(text)
        return "*" * len(notes)

    time_rows: list[list[str]] = []
    rss_rows: list[list[str]] = []
    for case in order:
        row_cells = {i: cells.get((case, i)) for i in impls}
        present = [c for c in row_cells.values() if c is not None]
        sizes: set[int] = {
            int(run["blocks_expected"]) for c in present for run in c.runs if run.get("blocks_expected") is not None
        }
        if len(sizes) > 1:
            warnings.append(f"{case}: implementations ran different sizes {sorted(sizes)}")
        size = next(iter(sizes)) if sizes else None
        repeats = max(len(c.runs) for c in present)
        title = CASE_TITLES.get(case, case)
        if size is not None:
            title += f", {size:,} blocks"
        if repeats > 1:
            title += f" (median of {repeats})"
        time_row = [title]
        rss_row = [title]
        for impl in impls:
            cell = row_cells[impl]
            if cell is None:
                time_row.append("-")
                rss_row.append("-")
                continue
            if not cell.ok:
                errors = "; ".join(e for r in cell.runs for e in r.get("errors", []))
                time_row.append("FAILED " + note(f"{impl}, {case}: {errors}"))
                rss_row.append("FAILED")
                continue
            total = cell.total_seconds()
            rate = cell.median("blocks_per_s")
            if cell.timed_out:
                budget = cell.runs[0].get("budget_seconds")
                text = f"> {fmt_seconds(float(budget or 0))} (timed out)"
            elif total is None:
                text = "?"
            elif cell.extrapolated:
                done = min(int(r["blocks_done"]) for r in cell.runs)
                budget = float(cell.runs[0].get("budget_seconds") or 0)
                footnote = (
                    f"{impl}, {case}: stopped by its {fmt_seconds(budget)} budget; "
                    f"estimated from the rate measured on {done:,} of "
                    f"{int(cell.runs[0]['blocks_expected']):,} blocks"
                    " (assumes a constant rate)"
                )
                first = cell.median("rate_first_half")
                second = cell.median("rate_second_half")
                if first and second:
                    footnote += (
                        f"; the rate went from {fmt_rate(first)} over the first half"
                        f" of those blocks to {fmt_rate(second)} over the second"
                    )
                    if second < 0.9 * first:
                        footnote += ", so the real total is likely longer"
                mark = note(footnote)
                text = f"~{fmt_seconds(total)}{mark}"
            else:
                text = fmt_seconds(total)
            if rate is not None and not case.startswith("first-block"):
                text += f" ({fmt_rate(rate)})"
            time_row.append(text)
            peak = cell.median("peak_rss_mb")
            base = cell.median("baseline_rss_mb")
            if peak is None:
                rss_row.append("?")
            else:
                rss_text = f"{peak:,.0f} MB"
                if base is not None:
                    rss_text += f" (+{max(0.0, peak - base):,.0f})"
                if cell.extrapolated or cell.timed_out:
                    rss_text += " partial"
                rss_row.append(rss_text)
        base_cell = row_cells.get(BASE)
        for other in others:
            cell = row_cells[other]
            if base_cell is None or cell is None or not base_cell.ok or not cell.ok:
                time_row.append("-")
                rss_row.append("-")
                continue
            base_time = base_cell.total_seconds()
            if cell.timed_out:
                other_time = cell.runs[0].get("budget_seconds")
            else:
                other_time = cell.total_seconds()
            if base_time and other_time and not base_cell.timed_out:
                time_row.append(
                    fmt_ratio(
                        float(other_time) / base_time,
                        approx=cell.extrapolated or base_cell.extrapolated,
                        lower_bound=cell.timed_out,
                    )
                )
            else:
                time_row.append("-")
            base_peak = base_cell.median("peak_rss_mb")
            other_peak = cell.median("peak_rss_mb")
            if base_peak and other_peak:
                partial = cell.extrapolated or cell.timed_out
                rss_row.append(fmt_ratio(other_peak / base_peak, approx=partial, lower_bound=False))
            else:
                rss_row.append("-")
        time_rows.append(time_row)
        rss_rows.append(rss_row)

    import_medians: dict[str, float] = {}
    for impl in impls:
        values = [
            float(run["import_seconds"])
            for (_, name), cell in cells.items()
            if name == impl
            for run in cell.runs
            if run.get("import_seconds") is not None
        ]
        if values:
            import_medians[impl] = statistics.median(values)
    import_row = ["load the library (import), median of every run"]
    import_row += [fmt_seconds(import_medians[i]) if i in import_medians else "-" for i in impls]
    base_import = import_medians.get(BASE)
    for other in others:
        other_import = import_medians.get(other)
        ratio = other_import / base_import if base_import and other_import else None
        import_row.append(fmt_ratio(ratio, approx=False, lower_bound=False) if ratio is not None else "-")
    time_rows.append(import_row)

    ratio_headers = [f"{o} ÷ {BASE}" for o in others]
    headers = ["case", *impls, *ratio_headers]
    if meta:
        load = ", ".join(str(x) for x in meta.get("loadavg", []))
        print(
            f"\nscheduler benchmark {meta.get('timestamp', '')}: "
            f"scale {meta.get('scale')}, "
            f"{meta.get('cores')} cores ({meta.get('cpu')}), node {meta.get('node')}, "
            f"load average at start {load}"
        )
        budgets = meta.get("budgets", {})
        shown = ", ".join(f"{k} {v or 'none'}" for k, v in budgets.items())
        print(f"time budgets (s): {shown}")
    print("\nTime: total (blocks/s); ratio > 1 means daisychain is faster\n")
    print(render(headers, time_rows))
    print("\nPeak RSS: MB (+ growth over the runtime's own footprint); ratio > 1 means daisychain uses less\n")
    print(render(headers, rss_rows))
    if notes:
        print()
        for i, text in enumerate(notes, start=1):
            print(f"{'*' * i} {text}")
    for warning in warnings:
        print(f"warning: {warning}")
    print(f"\nraw results: {path}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
