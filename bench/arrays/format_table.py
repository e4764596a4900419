"""Prints the array throughput benchmark's table from its raw JSON lines.

    python bench/arrays/format_table.py RESULTS.jsonl     (or - for stdin)

Each line is one measurement, as printed by bench/arrays/arrays-bench.ts and
bench/arrays/zarr_python_bench.py: impl, format, compressor, dtype, op,
mb_per_s, stored_bytes, data_sha256, ok, errors. One row per format x
compressor x dtype x op, one MB/s column per implementation (the median when
a case ran more than once), then one ratio column "daisychain ÷ <peer>" per
zarr-python: daisychain's MB/s over the peer's, so above 1 means daisychain
is faster. "-" marks a format a peer does not do (zarr-python 3 has no N5,
zarr-python 2 no Zarr v3).

A line with "meta": true (machine, load average...) is shown as a header.
Exit status is 1 when any measurement failed (its cell shows FAILED and a
footnote gives the errors) or when the implementations did not all read the
same volume (the sha256 of the data differs), 2 on bad arguments.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from typing import Any

# bench/ holds the table code the benchmark reports share.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from text_table import fmt_ratio, print_notes, read_records, render

CANDIDATE = "daisychain"
PEERS = ("zarr-python 3", "zarr-python 2")
KEYS = ("impl", "format", "compressor", "dtype", "op")
FORMAT_NAMES = {"zarr2": "Zarr v2", "zarr3": "Zarr v3", "n5": "N5"}
COMPRESSOR_NAMES = {"gzip": "gzip 5", "raw": "raw"}
ORDER = {
    "format": list(FORMAT_NAMES),
    "compressor": list(COMPRESSOR_NAMES),
    "dtype": ["uint8", "float32"],
    "op": ["write", "read"],
}
Case = tuple[str, str, str, str]


def case_sort_key(case: Case) -> tuple[int, ...]:
    return tuple(
        ORDER[field].index(value) if value in ORDER[field] else len(ORDER[field])
        for field, value in zip(("format", "compressor", "dtype", "op"), case, strict=True)
    )


def fmt_mb(rate: float) -> str:
    return f"{rate:,.0f}" if rate >= 100 else f"{rate:.1f}"


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] in ("-h", "--help"):
        print(__doc__, file=sys.stderr)
        return 2
    warnings: list[str] = []
    if argv[0] == "-":
        runs, metas = read_records(sys.stdin, warnings, KEYS)
    else:
        with Path(argv[0]).open(encoding="utf-8") as lines:
            runs, metas = read_records(lines, warnings, KEYS)
    if not runs:
        print(f"no measurements in {argv[0]}", file=sys.stderr)
        return 1

    impls = [CANDIDATE, *PEERS]
    impls += sorted({str(r["impl"]) for r in runs} - set(impls))
    impls = [i for i in impls if any(r["impl"] == i for r in runs)]
    peers = [i for i in impls if i != CANDIDATE]
    cells: dict[tuple[Case, str], list[dict[str, Any]]] = {}
    for run in runs:
        case = (str(run["format"]), str(run["compressor"]), str(run["dtype"]), str(run["op"]))
        cells.setdefault((case, str(run["impl"])), []).append(run)
    cases = sorted({case for case, _ in cells}, key=case_sort_key)

    notes: list[str] = []
    failed = False
    rows: list[list[str]] = []
    for case in cases:
        fmt, compressor, dtype, op = case
        row = [FORMAT_NAMES.get(fmt, fmt), COMPRESSOR_NAMES.get(compressor, compressor), dtype, op]
        rates: dict[str, float] = {}
        for impl in impls:
            measured = cells.get((case, impl))
            if measured is None:
                row.append("-")
            elif not all(m.get("ok") is True for m in measured):
                failed = True
                errors = [str(e) for m in measured for e in m.get("errors") or ["ok is false"]]
                notes.append(f"{impl}, {' '.join(case)}: " + "; ".join(errors))
                row.append("FAILED" + "*" * len(notes))
            else:
                rates[impl] = statistics.median(float(m["mb_per_s"]) for m in measured)
                repeats = f" (n={len(measured)})" if len(measured) > 1 else ""
                row.append(fmt_mb(rates[impl]) + repeats)
        for peer in peers:
            both = CANDIDATE in rates and peer in rates
            row.append(fmt_ratio(rates[CANDIDATE] / rates[peer]) if both else "-")
        rows.append(row)

    # Every implementation must have read the very same volume of each dtype.
    digests: dict[str, set[str]] = {}
    for run in runs:
        digests.setdefault(str(run["dtype"]), set()).add(str(run.get("data_sha256")))
    for dtype, found in sorted(digests.items()):
        if len(found) > 1:
            failed = True
            notes.append(f"{dtype}: the implementations read different volumes (sha256 {', '.join(sorted(found))})")

    for meta in metas:
        print("arrays benchmark: " + ", ".join(f"{k} {v}" for k, v in meta.items() if k != "meta"))
    first = runs[0]
    print(
        f"\nThroughput of chunk-aligned block writes and reads, MB/s of uncompressed data (10^6 bytes), "
        f"{first.get('blocks')} blocks of {first.get('block')}^3 voxels, one block at a time; "
        "ratio > 1 means daisychain is faster\n"
    )
    headers = [
        "format",
        "compressor",
        "dtype",
        "op",
        *(f"{i} MB/s" for i in impls),
        *(f"{CANDIDATE} ÷ {p}" for p in peers),
    ]
    print(render(headers, rows))
    versions = sorted({f"{r['impl']} {r.get('version', '?')}" for r in runs})
    print("\nversions: " + ", ".join(versions))
    print_notes(notes, warnings)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
