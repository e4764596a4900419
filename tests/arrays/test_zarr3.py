"""Round trips between daisychain and zarr-python 3 / funlib.persistence 0.7.0
(voxel_size, offset, axis_names, units, types attributes) for Zarr v3 and v2.

Run with .cache/venv-arrays-zarr3 (clients/python/env) after `npm run build`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import zarr
from conftest import daisychain, random_volume, read_with_daisychain, write_with_daisychain
from funlib.geometry import Coordinate, Roi
from funlib.persistence import open_ds, prepare_ds

assert zarr.__version__.startswith("3."), "this file needs zarr-python 3 (Zarr v3 support)"


@pytest.mark.parametrize("zarr_format", [2, 3])
@pytest.mark.parametrize(
    "compressor",
    [None, "default", {"id": "zstd", "level": 3}, {"id": "blosc", "cname": "zstd", "clevel": 4, "shuffle": 2}],
    ids=["raw", "gzip", "zstd", "blosc"],
)
def test_daisychain_writes_what_zarr3_reads(
    tmp_path: Path, rng: np.random.Generator, zarr_format: int, compressor: object
) -> None:
    container = tmp_path / "out.zarr"
    offset, shape, voxel_size = [-12, 40, 6], [36, 30, 48], [3, 5, 2]
    meta = daisychain(
        {
            "op": "prepare",
            "file": str(container),
            "dataset": "seg/labels",
            "offset": offset,
            "shape": shape,
            "voxelSize": voxel_size,
            "dtype": "uint64",
            "writeSize": [12, 15, 24],
            "numChannels": 2,
            "compressor": compressor,
            "zarrFormat": zarr_format,
        }
    )
    data = random_volume(rng, "uint64", meta["shape"])
    write_with_daisychain(container, "seg/labels", offset, shape, data, [4, 3, 12])

    stored = zarr.open_array(str(container / "seg" / "labels"), mode="r")
    assert stored.metadata.zarr_format == zarr_format
    np.testing.assert_array_equal(stored[:], data)
    array = open_ds(str(container / "seg" / "labels"))
    assert array.roi == Roi(offset, shape)
    assert array.voxel_size == Coordinate(voxel_size)
    assert array.axis_names == ["c0^", "d0", "d1", "d2"]
    assert array.types == ["channel", "space", "space", "space"]
    np.testing.assert_array_equal(array.to_ndarray(array.roi), data)


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_funlib_writes_what_daisychain_reads(tmp_path: Path, rng: np.random.Generator, zarr_format: int) -> None:
    store = tmp_path / "in.zarr" / "raw"
    offset, voxel_size = Coordinate(30, -8), Coordinate(10, 4)
    array = prepare_ds(
        str(store),
        shape=(3, 25, 40),
        offset=offset,
        voxel_size=voxel_size,
        axis_names=["c^", "y", "x"],
        units=["nm", "nm"],
        chunk_shape=(3, 10, 16),
        dtype=np.float32,
        zarr_format=zarr_format,
    )
    data = random_volume(rng, "float32", [3, 25, 40])
    array[array.roi] = data

    back, meta = read_with_daisychain(tmp_path / "in.zarr", "raw")
    assert meta["roi"] == {"offset": [30, -8], "shape": [250, 160]}
    assert meta["voxelSize"] == [10, 4]
    assert meta["nChannelDims"] == 1
    assert meta["chunkShape"] == [3, 10, 16]
    np.testing.assert_array_equal(back, data)
    region = Roi((40, 0), (100, 40))
    part, _ = read_with_daisychain(tmp_path / "in.zarr", "raw", offset=list(region.offset), shape=list(region.shape))
    np.testing.assert_array_equal(part, array.to_ndarray(region))
