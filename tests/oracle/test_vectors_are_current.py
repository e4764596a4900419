"""The vectors the TypeScript tests replay are what daisy 1.2.3 produces now.

Both generators are run against the installed oracle (daisy 1.2.3 and
funlib.geometry 0.3.0, pinned in clients/python/env/daisy1.in) and their output is
compared byte for byte with tests/vectors, so a vector file edited by hand, or
a generator changed without regenerating, fails here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VECTORS = HERE.parent / "vectors"


def test_graph_and_scheduler_vectors_are_current() -> None:
    result = subprocess.run(
        [sys.executable, str(HERE / "generate_vectors.py"), "--out", str(VECTORS), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_geometry_vectors_are_current(tmp_path: Path) -> None:
    out = tmp_path / "geometry.json"
    subprocess.run(
        [sys.executable, str(HERE / "generate_geometry_vectors.py"), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.read_bytes() == (VECTORS / "geometry.json").read_bytes()


def test_vectors_hold_daisy_answers() -> None:
    import json

    graph = json.loads((VECTORS / "graph.json").read_text(encoding="utf-8"))
    scheduler = json.loads((VECTORS / "scheduler.json").read_text(encoding="utf-8"))
    assert graph["daisy"] == "1.2.3" and scheduler["daisy"] == "1.2.3"
    single = [c for c in graph["cases"] if len(c["tasks"]) == 1]
    multi = [c for c in graph["cases"] if len(c["tasks"]) > 1]
    assert len(single) >= 150
    assert len([c for c in multi if c["daisyDownstreamMismatches"] == 0]) >= 30
    fits = {t["fit"] for c in single for t in c["tasks"]}
    assert fits == {"valid", "overhang", "shrink"}
    assert {len(c["tasks"][0]["totalRoi"]["offset"]) for c in single} == {1, 2, 3}


def daisy2_output(generator: str) -> str:
    # daisy 2.0.0 is the oracle of these vectors: its own virtualenv runs their generators.
    daisy2 = HERE.parent.parent / ".cache" / "venv-daisy2" / "bin" / "python"
    return subprocess.run([str(daisy2), str(HERE / generator)], capture_output=True, text=True, check=True).stdout


def test_double_orphan_vector_is_current() -> None:
    # daisy 1.2.3 raises on this vector's configuration.
    expected = (VECTORS / "double-orphan.json").read_text(encoding="utf-8")
    assert daisy2_output("generate_double_orphan_vector.py") == expected


def test_context_vector_is_current() -> None:
    assert daisy2_output("generate_context_vector.py") == (VECTORS / "context.json").read_text(encoding="utf-8")


def test_tracking_hash_vector_is_current() -> None:
    expected = (VECTORS / "tracking-hash.json").read_text(encoding="utf-8")
    assert daisy2_output("generate_tracking_hash_vector.py") == expected
