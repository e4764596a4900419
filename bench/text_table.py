"""What the benchmark reports share: reading their JSON lines, ratios, and
the plain-text table they print."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable


def render(headers: list[str], rows: list[list[str]]) -> str:
    """First column left-aligned, the others right-aligned, ` | ` between them."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return " | ".join([first, *rest])

    rule = "-+-".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def fmt_ratio(ratio: float) -> str:
    return f"{ratio:.2f}×" if ratio < 100 else f"{ratio:,.0f}×"


def read_records(
    lines: Iterable[str], warnings: list[str], keys: tuple[str, ...]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Splits a results file into run records (JSON objects with every one of
    ``keys``) and meta records (``"meta": true``); anything else is a warning
    rather than an error, so a log with stray lines still renders."""
    runs: list[dict[str, Any]] = []
    metas: list[dict[str, Any]] = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError:
            warnings.append(f"line {number}: not JSON, skipped")
            continue
        if not isinstance(record, dict):
            warnings.append(f"line {number}: not a JSON object, skipped")
        elif record.get("meta"):
            metas.append(record)
        elif all(key in record for key in keys):
            runs.append(record)
        else:
            warnings.append(f"line {number}: no {'/'.join(keys)}, skipped")
    return runs, metas


def print_notes(notes: list[str], warnings: list[str]) -> None:
    """The footnotes a table's starred cells refer to (``*``, ``**``...),
    then the warnings of reading its file, on stderr."""
    if notes:
        print()
        for i, text in enumerate(notes, start=1):
            print(f"{'*' * i} {text}")
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
