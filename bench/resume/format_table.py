"""The resume benchmark's table: reads .cache/bench/resume-*.jsonl (bench/resume/run.sh) and prints, per
implementation, the median time to the first block handed out, the blocks skipped per second, the whole
resume and peak RSS, with daisy 2.0.0 ÷ daisychain ratios."""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import json

from text_table import fmt_ratio, render


def main() -> int:
    lines = Path(sys.argv[1]).read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    meta = next((r for r in records if r.get("meta")), {})
    group = next((r for r in records if r.get("mode") == "make-group"), {})
    rows_by_label: dict[str, list[dict]] = {}
    for r in records:
        if r.get("meta") or r.get("mode") == "make-group":
            continue
        label = f"{r['impl']} {r['mode']}"
        rows_by_label.setdefault(label, []).append(r)

    def median(runs: list[dict], key: str) -> float | None:
        values = [r[key] for r in runs if r.get(key) is not None]
        return statistics.median(values) if values else None

    daisy = next((runs for label, runs in rows_by_label.items() if label.startswith("daisy 2.0.0")), [])
    daisy_first = median(daisy, "firstSeconds")
    daisy_total = median(daisy, "totalSeconds")
    rows = []
    for label, runs in rows_by_label.items():
        first = median(runs, "firstSeconds")
        total = median(runs, "totalSeconds")
        skipped = median(runs, "skipped")
        rate = skipped / total if skipped is not None and total else None
        ok = all(r.get("ok") for r in runs)
        rows.append(
            [
                label + ("" if ok else " (FAILED)"),
                "-" if first is None else f"{first:.2f} s",
                "-" if daisy_first is None or first is None else fmt_ratio(daisy_first / first),
                "-" if rate is None else f"{rate / 1000:,.0f} k/s",
                "-" if total is None else f"{total:.2f} s",
                "-" if daisy_total is None or total is None else fmt_ratio(daisy_total / total),
                f"{median(runs, 'peakRssMb') or 0:.0f} MB",
            ]
        )
    headers = [
        "resume",
        "first block",
        "daisy 2.0.0 ÷",
        "skipped/s",
        "whole resume",
        "daisy 2.0.0 ÷",
        "peak RSS",
    ]
    print(
        f"{group.get('blocks', '?'):,} blocks ({group.get('perAxis')}³), {group.get('marked', '?'):,} marked done, "
        f"{group.get('lastLevel', '?'):,} to run (the last of {group.get('levels')} levels); "
        f"load average {meta.get('loadavg')} on {meta.get('cores')} cores"
    )
    print(render(headers, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
