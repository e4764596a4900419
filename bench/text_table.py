"""The plain-text table both benchmark reports print."""

from __future__ import annotations


def render(headers: list[str], rows: list[list[str]]) -> str:
    """First column left-aligned, the others right-aligned, ` | ` between them."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return " | ".join([first, *rest])

    rule = "-+-".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])
