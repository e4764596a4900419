"""Shared helpers of the array round-trip tests: run daisychain's array tool."""

from __future__ import annotations

import json
import subprocess
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "dist" / "tests" / "arrays" / "array-tool.js"


class DaisychainError(RuntimeError):
    pass


def daisychain(request: dict[str, Any]) -> dict[str, Any]:
    """Runs one request of tests/arrays/array-tool.ts and returns the array it describes."""
    if not TOOL.exists():
        raise RuntimeError(f"{TOOL} is missing: run `npm run build` first")
    done = subprocess.run(
        ["node", str(TOOL), json.dumps(request)], capture_output=True, text=True, check=False, timeout=120
    )
    if done.returncode != 0:
        raise DaisychainError(done.stderr.strip())
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def write_with_daisychain(
    path: Path, dataset: str, offset: list[int], shape: list[int], data: np.ndarray, block_shape: list[int]
) -> None:
    raw = path.parent / f"{path.name}.{dataset.replace('/', '_')}.in"
    raw.write_bytes(np.ascontiguousarray(data).astype(data.dtype.newbyteorder("<")).tobytes())
    daisychain(
        {
            "op": "write",
            "file": str(path),
            "dataset": dataset,
            "offset": offset,
            "shape": shape,
            "input": str(raw),
            "blockShape": block_shape,
        }
    )


def read_with_daisychain(path: Path, dataset: str, **region: Any) -> tuple[np.ndarray, dict[str, Any]]:
    raw = path.parent / f"{path.name}.{dataset.replace('/', '_')}.out"
    meta = daisychain({"op": "read", "file": str(path), "dataset": dataset, "output": str(raw), **region})
    shape = meta["shape"] if "offset" not in region else None
    data = np.frombuffer(raw.read_bytes(), dtype=np.dtype(meta["dtype"]).newbyteorder("<"))
    if shape is None:
        voxel = meta["voxelSize"]
        channels = meta["dataShape"][: meta["nChannelDims"]]
        shape = channels + [s // v for s, v in zip(region["shape"], voxel, strict=True)]
    return data.reshape(shape), meta


def random_volume(rng: np.random.Generator, dtype: str, shape: list[int]) -> np.ndarray:
    kind = np.dtype(dtype)
    if kind.kind == "f":
        return rng.standard_normal(shape).astype(kind)
    info = np.iinfo(kind)
    return rng.integers(info.min, info.max, size=shape, dtype=kind, endpoint=True)


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(request.node.name.encode()))
