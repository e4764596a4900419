"""daisy's tools read the graphs daisychain writes.

daisychain writes tests/spatial-graphs/reference-graph.json (tests/fixtures/write-reference-graph.ts)
into a MongoDB database on the server at DAISYCHAIN_MONGO_URL (FerretDB, started by
tests/run-all.sh) and into a SQLite file. Here daisy's own provider (funlib.persistence 0.1.0's
MongoDbGraphProvider, where daisy 1.x moved it) writes the same graph into a second database,
and the two are compared document by document, field types included; daisy's provider then
reads daisychain's database; and Python's sqlite3 reads the SQLite file as
funlib.persistence's SQLiteGraphDataBase lays it out.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from funlib.geometry import Roi
from funlib.persistence.graphs import MongoDbGraphProvider
from pymongo import MongoClient

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = json.loads((ROOT / "tests" / "spatial-graphs" / "reference-graph.json").read_text())
WRITER = ROOT / "dist" / "tests" / "fixtures" / "write-reference-graph.js"
TOTAL_ROI = Roi(REFERENCE["total_roi"]["offset"], REFERENCE["total_roi"]["shape"])


def mongo_url() -> str:
    url = os.environ.get("DAISYCHAIN_MONGO_URL")
    if not url:
        pytest.fail("DAISYCHAIN_MONGO_URL is not set: run `npm test`, which starts FerretDB")
    return url


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """(daisychain's database, daisy's database, daisychain's SQLite file)."""
    suffix = uuid.uuid4().hex[:8]
    ours, theirs = f"interop_daisychain_{suffix}", f"interop_daisy_{suffix}"
    sqlite_file = tmp_path_factory.mktemp("sqlite") / "graph.db"
    subprocess.run(["node", str(WRITER), mongo_url(), ours, str(sqlite_file)], check=True)

    provider = MongoDbGraphProvider(
        theirs, host=mongo_url(), mode="w", directed=REFERENCE["directed"], total_roi=TOTAL_ROI
    )
    graph = provider[TOTAL_ROI]
    for node_id, attrs in REFERENCE["nodes"]:
        graph.add_node(node_id, **attrs)
    for u, v, attrs in REFERENCE["edges"]:
        graph.add_edge(u, v, **attrs)
    graph.write_nodes()
    graph.write_edges()
    yield ours, theirs, sqlite_file
    client: MongoClient[dict[str, Any]] = MongoClient(mongo_url())
    client.drop_database(ours)
    client.drop_database(theirs)
    client.close()


def typed(value: Any) -> Any:
    """A value with the Python type of every part, so that 1 and 1.0 (int32 and double) differ."""
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    return (type(value).__name__, value)


def documents(db_name: str, collection: str, key: list[str]) -> list[Any]:
    client: MongoClient[dict[str, Any]] = MongoClient(mongo_url())
    try:
        docs = list(client[db_name][collection].find({}, {"_id": False}))
    finally:
        client.close()
    return [typed(d) for d in sorted(docs, key=lambda d: [d[k] for k in key])]


def indexes(db_name: str, collection: str) -> dict[str, Any]:
    client: MongoClient[dict[str, Any]] = MongoClient(mongo_url())
    try:
        info = client[db_name][collection].index_information()
    finally:
        client.close()
    return {name: (spec["key"], spec.get("unique", False)) for name, spec in info.items()}


def test_documents_are_the_ones_daisy_writes(written: tuple[str, str, Path]) -> None:
    ours, theirs, _ = written
    nodes = documents(ours, "nodes", ["id"])
    assert len(nodes) == len(REFERENCE["nodes"])
    assert nodes == documents(theirs, "nodes", ["id"])
    edges = documents(ours, "edges", ["u", "v"])
    assert len(edges) == len(REFERENCE["edges"])
    assert edges == documents(theirs, "edges", ["u", "v"])
    assert documents(ours, "meta", ["directed"]) == documents(theirs, "meta", ["directed"])


def test_indexes_are_the_ones_daisy_creates(written: tuple[str, str, Path]) -> None:
    ours, theirs, _ = written
    for collection in ("nodes", "edges"):
        assert indexes(ours, collection) == indexes(theirs, collection)


def test_daisy_reads_daisychain_graph_by_roi(written: tuple[str, str, Path]) -> None:
    ours, theirs, _ = written
    roi = Roi((0, 30, 0), (65, 30, 100))  # half-open: 35 in, 65 out
    readers = [MongoDbGraphProvider(name, host=mongo_url(), mode="r") for name in (ours, theirs)]
    graphs = [reader.get_graph(roi) for reader in readers]
    assert readers[0].directed is False
    assert readers[0].total_roi == TOTAL_ROI
    nodes = [sorted((int(n), sorted(d.items())) for n, d in g.nodes(data=True)) for g in graphs]
    edges = [sorted((int(u), int(v), sorted(d.items())) for u, v, d in g.edges(data=True)) for g in graphs]
    assert nodes[0] == nodes[1]
    assert edges[0] == edges[1]
    inside = [n for n, a in REFERENCE["nodes"] if roi.contains(a["position"])]
    assert len(inside) == 6
    assert sum(1 for _, d in nodes[0] if d) == len(inside)


def test_sqlite_file_has_funlib_persistence_layout(written: tuple[str, str, Path]) -> None:
    _, _, sqlite_file = written
    meta = json.loads(sqlite_file.with_name("graph-meta.json").read_text())
    assert meta == {
        "position_attribute": "position",
        "directed": False,
        "total_roi_offset": [0, 0, 0],
        "total_roi_shape": [100, 100, 100],
        "nodes_table_name": "nodes",
        "edges_table_name": "edges",
        "endpoint_names": ["u", "v"],
        "node_attrs": {"position": "Vec(int, 3)", "score": "float", "size": "int", "label": "str", "flag": "bool"},
        "edge_attrs": {"aff": "float", "kind": "str"},
        "ndims": 3,
    }
    con = sqlite3.connect(sqlite_file)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        node_columns = [row[1] for row in con.execute("PRAGMA table_info(nodes)")]
        assert node_columns == ["id", "position_0", "position_1", "position_2", "score", "size", "label", "flag"]
        edge_columns = [row[1] for row in con.execute("PRAGMA table_info(edges)")]
        assert edge_columns == ["u", "v", "aff", "kind"]
        index_sql = con.execute("SELECT sql FROM sqlite_master WHERE name = 'pos_index'").fetchone()[0]
        assert "nodes(position_0,position_1,position_2)" in index_sql.replace(" ", "")

        # funlib's ROI query: position_<d> >= begin AND position_<d> < end
        rows = con.execute(
            "SELECT id, position_0, position_1, position_2, score, size, label, flag FROM nodes "
            "WHERE position_0 >= 0 AND position_0 < 65 AND position_1 >= 30 AND position_1 < 60 ORDER BY id"
        ).fetchall()
        expected = sorted(
            (n, *a["position"], a["score"], a["size"], a["label"], int(a["flag"]))
            for n, a in REFERENCE["nodes"]
            if 0 <= a["position"][0] < 65 and 30 <= a["position"][1] < 60
        )
        assert [typed(list(r)) for r in rows] == [typed(list(e)) for e in expected]

        stored_edges = sorted(con.execute("SELECT u, v, aff, kind FROM edges").fetchall())
        expected_edges = sorted((min(u, v), max(u, v), a["aff"], a["kind"]) for u, v, a in REFERENCE["edges"])
        assert stored_edges == expected_edges
    finally:
        con.close()
