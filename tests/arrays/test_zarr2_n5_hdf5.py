"""Round trips between daisychain and zarr-python 2 / funlib.persistence 0.1.0
(daisy's open_ds and prepare_ds) for Zarr v2 and N5, and h5py for HDF5.

Run with .cache/venv-arrays-zarr2 (clients/python/env) after `npm run build`.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import zarr
from conftest import DaisychainError, daisychain, random_volume, read_with_daisychain, write_with_daisychain
from funlib.geometry import Coordinate, Roi
from funlib.persistence import open_ds, prepare_ds
from funlib.persistence.arrays.datasets import get_chunk_shape

assert zarr.__version__.startswith("2."), "this file needs zarr-python 2 (N5 support)"

CASES = [
    # (container suffix, dtype, offset, shape, voxel size, write size, channels)
    (".zarr", "float32", [8, -4, 12], [40, 24, 36], [4, 2, 2], [20, 12, 12], None),
    (".zarr", "uint8", [0, 0, 0], [30, 50, 70], [1, 1, 1], [10, 25, 35], None),
    (".zarr", "int64", [-6, 3], [18, 21], [3, 3], [9, 6], 2),
    (".n5", "uint16", [8, -4, 12], [40, 24, 36], [4, 2, 2], [20, 12, 12], None),
    (".n5", "float64", [0, 10, 20], [16, 30, 14], [2, 5, 1], [8, 15, 7], 3),
]


def case_id(case: tuple[object, ...]) -> str:
    return f"{case[0][1:]}-{case[1]}-{len(case[3])}d" + ("-channels" if case[6] else "")  # type: ignore[index]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_daisychain_writes_what_daisy_reads(tmp_path: Path, rng: np.random.Generator, case: tuple) -> None:
    suffix, dtype, offset, shape, voxel_size, write_size, channels = case
    container = tmp_path / f"out{suffix}"
    request = {
        "op": "prepare",
        "file": str(container),
        "dataset": "volumes/raw",
        "offset": offset,
        "shape": shape,
        "voxelSize": voxel_size,
        "dtype": dtype,
        "writeSize": write_size,
    }
    if channels:
        request["numChannels"] = channels
    meta = daisychain(request)
    voxels = [s // v for s, v in zip(shape, voxel_size, strict=True)]
    full_shape = ([channels] if channels else []) + voxels
    data = random_volume(rng, dtype, full_shape)
    block = [w // v for w, v in zip(write_size, voxel_size, strict=True)]
    write_with_daisychain(container, "volumes/raw", offset, shape, data, block)

    array = open_ds(str(container), "volumes/raw")
    assert array.roi == Roi(offset, shape)
    assert array.voxel_size == Coordinate(voxel_size)
    assert array.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(array.to_ndarray(), data)
    # The chunks follow daisy's rule for the same write size.
    expected_chunks = get_chunk_shape(Coordinate(block))
    assert tuple(array.data.chunks) == tuple(([channels] if channels else []) + list(expected_chunks))
    assert meta["chunkShape"] == list(array.data.chunks)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_daisy_writes_what_daisychain_reads(tmp_path: Path, rng: np.random.Generator, case: tuple) -> None:
    suffix, dtype, offset, shape, voxel_size, write_size, channels = case
    container = str(tmp_path / f"in{suffix}")
    array = prepare_ds(
        container,
        "volumes/raw",
        Roi(offset, shape),
        Coordinate(voxel_size),
        np.dtype(dtype),
        write_size=Coordinate(write_size),
        num_channels=channels,
    )
    data = random_volume(rng, dtype, list(array.shape))
    array[array.roi] = data

    back, meta = read_with_daisychain(Path(container), "volumes/raw")
    assert meta["roi"] == {"offset": offset, "shape": shape}
    assert meta["voxelSize"] == voxel_size
    assert meta["dtype"] == dtype
    assert meta["chunkShape"] == list(array.data.chunks)
    np.testing.assert_array_equal(back, data)

    # A part of it, and a region reaching outside it filled as asked.
    inner = Roi(offset, shape).grow(-Coordinate(voxel_size), -Coordinate(voxel_size))
    part, _ = read_with_daisychain(Path(container), "volumes/raw", offset=list(inner.offset), shape=list(inner.shape))
    np.testing.assert_array_equal(part, array.to_ndarray(inner))
    outer = Roi(offset, shape).grow(Coordinate(voxel_size) * 2, Coordinate(voxel_size))
    filled, _ = read_with_daisychain(
        Path(container), "volumes/raw", offset=list(outer.offset), shape=list(outer.shape), fillValue=7
    )
    np.testing.assert_array_equal(filled, array.to_ndarray(outer, fill_value=7))


@pytest.mark.parametrize(
    "compressor",
    [None, {"id": "gzip", "level": 9}, {"id": "zlib", "level": 3}, {"id": "zstd", "level": 5}, {"id": "blosc"}],
    ids=["raw", "gzip", "zlib", "zstd", "blosc"],
)
def test_zarr_v2_compressors(tmp_path: Path, rng: np.random.Generator, compressor: dict | None) -> None:
    container = tmp_path / "c.zarr"
    daisychain(
        {
            "op": "prepare",
            "file": str(container),
            "dataset": "a",
            "offset": [0, 0, 0],
            "shape": [20, 20, 20],
            "voxelSize": [1, 1, 1],
            "dtype": "int16",
            "writeSize": [10, 10, 10],
            "compressor": compressor,
        }
    )
    data = random_volume(rng, "int16", [20, 20, 20])
    write_with_daisychain(container, "a", [0, 0, 0], [20, 20, 20], data, [10, 10, 10])
    stored = zarr.open(str(container), mode="r")["a"]
    assert (stored.compressor.codec_id if stored.compressor else None) == (compressor["id"] if compressor else None)
    np.testing.assert_array_equal(stored[:], data)
    back, _ = read_with_daisychain(container, "a")
    np.testing.assert_array_equal(back, data)


def test_prepare_reuses_a_compatible_dataset_and_refuses_another(tmp_path: Path) -> None:
    container = str(tmp_path / "r.zarr")
    base = {"op": "prepare", "file": container, "dataset": "a", "offset": [0, 0], "shape": [8, 8], "dtype": "uint8"}
    daisychain({**base, "voxelSize": [1, 1], "writeSize": [4, 4]})
    write_with_daisychain(Path(container), "a", [0, 0], [8, 8], np.full((8, 8), 3, np.uint8), [4, 4])
    daisychain({**base, "voxelSize": [1, 1], "writeSize": [4, 4]})
    assert (zarr.open(container, mode="r")["a"][:] == 3).all(), "reusing a dataset must keep its data"
    with pytest.raises(DaisychainError, match="not compatible.*voxel size"):
        daisychain({**base, "voxelSize": [2, 2], "writeSize": [4, 4]})
    meta = daisychain({**base, "voxelSize": [2, 2], "writeSize": [4, 4], "delete": True})
    assert meta["voxelSize"] == [2, 2]
    assert open_ds(container, "a").voxel_size == Coordinate(2, 2)


def test_hdf5_read_and_write(tmp_path: Path, rng: np.random.Generator) -> None:
    path = tmp_path / "v.h5"
    data = random_volume(rng, "float32", [2, 12, 16, 20])
    with h5py.File(path, "w") as f:
        ds = f.create_dataset("group/raw", data=data, chunks=(1, 4, 8, 10))
        ds.attrs["resolution"] = [5, 4, 2]
        ds.attrs["offset"] = [10, 0, -20]
    back, meta = read_with_daisychain(path, "group/raw")
    assert meta["roi"] == {"offset": [10, 0, -20], "shape": [60, 64, 40]}
    assert meta["voxelSize"] == [5, 4, 2]
    assert meta["nChannelDims"] == 1
    np.testing.assert_array_equal(back, data)

    update = random_volume(rng, "float32", [2, 4, 8, 10])
    write_with_daisychain(path, "group/raw", [15, 16, -10], [20, 32, 20], update, [4, 8, 10])
    data[:, 1:5, 4:12, 5:15] = update
    with h5py.File(path, "r") as f:
        np.testing.assert_array_equal(f["group/raw"][:], data)
    assert open_ds(str(path), "group/raw").roi == Roi((10, 0, -20), (60, 64, 40))
