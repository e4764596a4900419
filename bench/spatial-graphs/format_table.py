"""Prints the graph benchmark's table from its JSON lines (bench/spatial-graphs/graph-bench.ts).

    python bench/spatial-graphs/format_table.py RESULTS.jsonl     (or - for stdin)

Rows are backend and operation; columns nodes, edges, seconds, nodes/s, edges/s.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from text_table import render


def main(path: str) -> int:
    text = sys.stdin.read() if path == "-" else Path(path).read_text()
    rows: list[list[str]] = []
    for line in text.splitlines():
        if not line.startswith("{"):
            continue
        entry = json.loads(line)
        if entry.get("meta"):
            print(
                f"{entry['nodes']} nodes ({entry['side']}^3 lattice), {entry['write_blocks']} write blocks, "
                f"{entry['read_rois']} read ROIs"
            )
            continue
        rows.append(
            [
                f"{entry['backend']}: {entry['op']}",
                str(entry["nodes"]),
                str(entry["edges"]),
                f"{entry['seconds']:.2f}",
                f"{entry['nodes_per_s']:,.0f}",
                f"{entry['edges_per_s']:,.0f}",
            ]
        )
    print(render(["backend: operation", "nodes", "edges", "s", "nodes/s", "edges/s"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "-"))
