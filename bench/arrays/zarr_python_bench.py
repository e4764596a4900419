"""Array throughput benchmark, zarr-python side (zarr-python 3 or 2).

Two commands, run with the python of a venv that has zarr and numpy
(``.cache/venv-arrays-zarr3`` or ``.cache/venv-arrays-zarr2``)::

    python bench/arrays/zarr_python_bench.py generate --data DIR --shape 512,512,256
    python bench/arrays/zarr_python_bench.py run --data DIR --work DIR [--formats zarr2,zarr3]
        [--compressors gzip,raw] [--dtypes uint8,float32] [--block 64] [--repeats 1]

``generate`` writes the volume every implementation reads: ``DIR/uint8.raw``
and ``DIR/float32.raw`` (C order, little-endian) and ``DIR/volume.json``
(shape, dtypes). The same smooth field plus uniform noise makes both: the
uint8 volume is the field quantised to 0..255 (it compresses about 2:1 with
gzip), the float32 one the field itself (a full-precision mantissa, which
gzip barely shrinks, like a network's predictions).

``run`` cuts the volume into chunk-aligned blocks (``--block`` voxels a side,
one chunk each), then for each case (format x compressor x dtype) creates a
dataset with chunks of the block shape and times (1) writing every block,
one ``z[block] = data`` after another, into a freshly created array, and
(2) reading every block, one ``z[block]`` after another, from the array
opened afresh. Cutting the blocks, creating the array and checking the data
are not timed. Every block read must equal the block written; a case where
one does not fails. Each measurement is one JSON line on stdout (impl,
version, format, compressor, dtype, op, blocks, bytes, seconds, mb_per_s,
stored_bytes, data_sha256, ok, errors), the same fields as
bench/arrays/arrays-bench.ts prints. MB/s counts uncompressed bytes, 10^6 to
the MB.

Formats: ``zarr2`` (Zarr v2, either zarr-python), ``zarr3`` (Zarr v3,
zarr-python 3 only), ``n5`` (zarr-python 2's N5Store; zarr-python 3 has no
N5). Compressors: ``gzip`` (level 5, daisy's default) and ``raw`` (none).

Exit status: 0 when every case succeeded, 1 when one failed, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import shutil
import sys
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import zarr

if TYPE_CHECKING:
    from collections.abc import Callable

ZARR_MAJOR = int(zarr.__version__.split(".")[0])
IMPL = f"zarr-python {ZARR_MAJOR}"
GZIP_LEVEL = 5
DTYPES = ("uint8", "float32")
FORMATS_BY_MAJOR = {3: ("zarr2", "zarr3"), 2: ("zarr2", "n5")}
SEED = 20240605
# zarr-python 2 warns at every N5Store that zarr-python 3 drops N5.
warnings.filterwarnings("ignore", message="The N5Store is deprecated", category=FutureWarning)
Slices = tuple[slice, ...]


def volume_field(shape: tuple[int, ...]) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Values in [0, 1]: large smooth structures and voxel noise, so that a
    block is neither constant nor random."""
    z, y, x = np.ogrid[: shape[0], : shape[1], : shape[2]]
    field = 0.5 + 0.25 * np.sin(x / 9.0) * np.cos(y / 13.0) + 0.15 * np.sin(z / 17.0 + x / 23.0)
    noise = np.random.default_rng(SEED).uniform(-0.1, 0.1, size=shape)
    return np.clip(field + noise, 0.0, 1.0)


def generate(data_dir: Path, shape: tuple[int, ...]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    field = volume_field(shape)
    volumes = {"uint8": np.rint(field * 255).astype("<u1"), "float32": field.astype("<f4")}
    for dtype, volume in volumes.items():
        volume.tofile(data_dir / f"{dtype}.raw")
    meta = {"shape": list(shape), "dtypes": list(volumes), "order": "C", "endian": "little"}
    (data_dir / "volume.json").write_text(json.dumps(meta) + "\n", encoding="utf-8")


def load_blocks(
    data_dir: Path, shape: tuple[int, ...], dtype: str, block: int
) -> tuple[list[tuple[Slices, np.ndarray[Any, Any]]], str]:
    """The volume of ``dtype`` cut into contiguous blocks (C order of the
    block grid), and the sha256 of the volume's bytes."""
    raw = (data_dir / f"{dtype}.raw").read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    volume = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).reshape(shape)
    if any(extent % block for extent in shape):
        raise ValueError(f"volume shape {shape} is not a multiple of the block size {block}")
    blocks = []
    for index in np.ndindex(*(extent // block for extent in shape)):
        slices = tuple(slice(i * block, (i + 1) * block) for i in index)
        blocks.append((slices, np.ascontiguousarray(volume[slices])))
    return blocks, digest


def create_array(
    path: Path, fmt: str, compressor: str, shape: tuple[int, ...], chunks: tuple[int, ...], dtype: str
) -> Any:
    """An empty dataset at ``path`` with the given format and compressor."""
    gzip = compressor == "gzip"
    if ZARR_MAJOR >= 3:
        from numcodecs import GZip
        from zarr.codecs import GzipCodec

        if fmt == "zarr3":
            codecs: Any = GzipCodec(level=GZIP_LEVEL) if gzip else None
        else:
            codecs = GZip(level=GZIP_LEVEL) if gzip else None
        return zarr.create_array(
            store=str(path),
            shape=shape,
            chunks=chunks,
            dtype=dtype,
            compressors=codecs,
            fill_value=0,
            zarr_format=3 if fmt == "zarr3" else 2,
        )
    from numcodecs import GZip

    zarr2: Any = zarr
    store = zarr2.N5Store(str(path)) if fmt == "n5" else str(path)
    return zarr2.open_array(
        store,
        mode="w",
        shape=shape,
        chunks=chunks,
        dtype=dtype,
        compressor=GZip(level=GZIP_LEVEL) if gzip else None,
        fill_value=0,
    )


def open_array(path: Path, fmt: str) -> Any:
    zarr_any: Any = zarr
    store = zarr_any.N5Store(str(path)) if fmt == "n5" else str(path)
    return zarr_any.open_array(store, mode="r")


def stored_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def timed(action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def run_case(
    work: Path,
    fmt: str,
    compressor: str,
    dtype: str,
    blocks: list[tuple[Slices, np.ndarray[Any, Any]]],
    shape: tuple[int, ...],
    block: int,
) -> list[dict[str, Any]]:
    """Writes then reads every block; one record per operation."""
    path = work / f"{IMPL.replace(' ', '-')}-{fmt}-{compressor}-{dtype}.{'n5' if fmt == 'n5' else 'zarr'}"
    shutil.rmtree(path, ignore_errors=True)
    written = create_array(path, fmt, compressor, shape, (block,) * len(shape), dtype)

    def write_all() -> None:
        for slices, data in blocks:
            written[slices] = data

    write_seconds = timed(write_all)
    size = stored_bytes(path)
    reader = open_array(path, fmt)
    got: list[np.ndarray[Any, Any]] = []

    def read_all() -> None:
        got.extend(reader[slices] for slices, _ in blocks)

    read_seconds = timed(read_all)
    wrong = sum(1 for (_, data), back in zip(blocks, got, strict=True) if not np.array_equal(data, back))
    shutil.rmtree(path, ignore_errors=True)
    errors = [f"{wrong} of {len(blocks)} blocks read back differ from the blocks written"] if wrong else []
    nbytes = sum(data.nbytes for _, data in blocks)
    return [
        {
            "impl": IMPL,
            "version": zarr.__version__,
            "numpy": importlib.metadata.version("numpy"),
            "format": fmt,
            "compressor": compressor,
            "dtype": dtype,
            "op": op,
            "block": block,
            "blocks": len(blocks),
            "bytes": nbytes,
            "seconds": seconds,
            "mb_per_s": nbytes / seconds / 1e6,
            "stored_bytes": size,
            "ok": not errors,
            "errors": errors,
        }
        for op, seconds in (("write", write_seconds), ("read", read_seconds))
    ]


def run(args: argparse.Namespace) -> int:
    formats = args.formats.split(",") if args.formats else list(FORMATS_BY_MAJOR[ZARR_MAJOR])
    unsupported = [f for f in formats if f not in FORMATS_BY_MAJOR[ZARR_MAJOR]]
    if unsupported:
        print(f"{IMPL} does not do {', '.join(unsupported)}", file=sys.stderr)
        return 2
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    data_dir = Path(args.data)
    shape = tuple(json.loads((data_dir / "volume.json").read_text(encoding="utf-8"))["shape"])
    failed = False
    for dtype in args.dtypes.split(","):
        blocks, digest = load_blocks(data_dir, shape, dtype, args.block)
        for _ in range(args.repeats):
            for fmt in formats:
                for compressor in args.compressors.split(","):
                    for record in run_case(work, fmt, compressor, dtype, blocks, shape, args.block):
                        record["data_sha256"] = digest
                        failed |= not record["ok"]
                        print(json.dumps(record), flush=True)
    return 1 if failed else 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("generate", help="write the benchmark volume")
    gen.add_argument("--data", required=True)
    gen.add_argument("--shape", default="512,512,256")
    bench = commands.add_parser("run", help="time writing and reading every block")
    bench.add_argument("--data", required=True)
    bench.add_argument("--work", required=True)
    bench.add_argument("--formats", default="")
    bench.add_argument("--compressors", default="gzip,raw")
    bench.add_argument("--dtypes", default=",".join(DTYPES))
    bench.add_argument("--block", type=int, default=64)
    bench.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    if args.command == "run":
        if set(args.compressors.split(",")) - {"gzip", "raw"}:
            parser.error("--compressors: gzip and/or raw")
        if set(args.dtypes.split(",")) - set(DTYPES):
            parser.error(f"--dtypes: {' and/or '.join(DTYPES)}")
        if args.block < 1 or args.repeats < 1:
            parser.error("--block and --repeats must be positive")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.command == "generate":
        shape = tuple(int(n) for n in args.shape.split(","))
        if len(shape) != 3 or min(shape) < 1:
            print(f"--shape: three positive extents, got {args.shape}", file=sys.stderr)
            return 2
        generate(Path(args.data), shape)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
