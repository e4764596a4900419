"""A Python worker of the main job (`npm run demo`): a plain daisy-style
worker script, started by daisychain's worker pool with DAISY_CONTEXT set.
For every block it thresholds the smoothed volume that the TypeScript
workers wrote and writes the mask, both Zarr datasets read and written with
zarr-python.

    python threshold_worker.py VOLUME.zarr
"""

from __future__ import annotations

import sys

import numpy as np
import zarr

import daisychain as daisy


def main(container: str) -> None:
    smoothed = zarr.open_array(f"{container}/smoothed", mode="r")
    mask = zarr.open_array(f"{container}/mask", mode="r+")
    client = daisy.Client()
    while True:
        with client.acquire_block() as block:
            if block is None:
                break
            # Voxel size 1 and offset 0: world ROIs are voxel slices.
            region = block.write_roi.to_slices()
            mask[region] = (smoothed[region] > 0.5).astype(np.uint8)


if __name__ == "__main__":
    main(sys.argv[1])
