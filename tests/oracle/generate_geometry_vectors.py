"""Record funlib.geometry's Coordinate and Roi behaviour as JSON test vectors.

Usage::

    <python with funlib.geometry 0.3.0> tests/oracle/generate_geometry_vectors.py \
        tests/vectors/geometry.json

The script only *calls* funlib.geometry; daisychain's TypeScript port
(src/geometry) replays every case in tests/geometry.test.ts.

Output: ``{"cases": [...], "funlibGeometry": "<version>", "seed": <seed>}``
with one case per line. A case is::

    {"op": "Roi.snap_to_grid", "args": [...], "result": ...}
    {"op": "Coordinate.floordiv", "args": [...], "raises": "ZeroDivisionError"}

plus ``"mixedDims": true`` when the geometric arguments of a case differ in
their number of dimensions. Encoding: a Coordinate is a list with null for
None, a Roi is ``{"offset": [...], "shape": [...]}``, a slice is
``{"start": ..., "stop": ...}``; numbers keep their Python type (floats stay
floats). How an op reads its arguments is given by ``OPS`` below; a list
argument is passed as a Coordinate except for the constructors (raw lists, so
that float entries reach funlib) and for ``Roi.contains`` (a raw tuple, since
funlib compares a tuple's entries without converting them to integers).

All random choices come from one ``random.Random(SEED)`` and the JSON has
sorted keys, so two runs produce byte-identical files. NaN and infinity are
never drawn (JSON cannot carry them).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from random import Random
from typing import Any

from funlib.geometry import Coordinate, Roi

SEED = 20240917
RANDOM_CASES_PER_OP = 16
EXTRA_RANDOM_CASES = {
    "Coordinate.floordiv": 24,
    "Coordinate.mod": 24,
    "Roi.snap_to_grid": 40,
    "Roi.contains": 40,
    "Roi.intersect": 30,
    "Roi.intersects": 16,
    "Roi.union": 30,
    "Roi.grow": 20,
}
MIXED_DIMS_PROBABILITY = 0.08
FLOAT_SCALARS = (0.5, -0.5, 1.5, -1.5, 2.5, 0.1, -0.25, 3.0)
SNAP_MODES = ("grow", "shrink", "closest")

# What funlib raises on bad input; anything else is a bug in this script.
FUNLIB_ERRORS = (
    AssertionError,
    IndexError,
    OverflowError,
    RuntimeError,
    TypeError,
    ValueError,
    ZeroDivisionError,
)

Json = Any
Entry = int | float | None
Operand = Coordinate | int | float
OpFunction = Callable[[list[Json]], object]


# --------------------------------------------------------------------------
# turning JSON arguments into funlib objects and funlib results into JSON


def coord(value: Json) -> Coordinate:
    assert isinstance(value, list), f"expected a coordinate, got {value!r}"
    return Coordinate(value)


def roi(value: Json) -> Roi:
    assert isinstance(value, dict), f"expected a ROI, got {value!r}"
    return Roi(value["offset"], value["shape"])


def operand(value: Json) -> Operand:
    return coord(value) if isinstance(value, list) else value


def roi_or_point(value: Json) -> Roi | tuple[Entry, ...]:
    return tuple(value) if isinstance(value, list) else roi(value)


def encode(value: object) -> Json:
    if isinstance(value, Roi):
        return {"offset": encode(value.offset), "shape": encode(value.shape)}
    if isinstance(value, slice):
        return {"start": value.start, "stop": value.stop}
    if isinstance(value, tuple | list):
        return [encode(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"cannot encode {type(value).__name__} result {value!r}")


def geometric_dims(value: Json) -> int | None:
    if isinstance(value, list):
        return len(value)
    if isinstance(value, dict):
        return len(value["offset"])
    return None


# --------------------------------------------------------------------------
# the operations, keyed by the names the TypeScript test uses


def _grow(a: list[Json]) -> Roi:
    return roi(a[0]).grow(*(operand(x) for x in a[1:]))


def _snap(a: list[Json]) -> Roi:
    return roi(a[0]).snap_to_grid(coord(a[1]), *a[2:])


def _roi_squeeze(a: list[Json]) -> Roi:
    return roi(a[0]).squeeze(*a[1:])


OPS: dict[str, OpFunction] = {
    "Coordinate": lambda a: Coordinate(a[0]),
    "Coordinate.dims": lambda a: coord(a[0]).dims,
    "Coordinate.getitem": lambda a: coord(a[0])[a[1]],
    "Coordinate.repr": lambda a: repr(coord(a[0])),
    "Coordinate.eq": lambda a: coord(a[0]) == coord(a[1]),
    "Coordinate.add": lambda a: coord(a[0]) + operand(a[1]),
    "Coordinate.sub": lambda a: coord(a[0]) - operand(a[1]),
    "Coordinate.mul": lambda a: coord(a[0]) * operand(a[1]),
    "Coordinate.truediv": lambda a: coord(a[0]) / operand(a[1]),
    "Coordinate.floordiv": lambda a: coord(a[0]) // operand(a[1]),
    "Coordinate.mod": lambda a: coord(a[0]) % operand(a[1]),
    "Coordinate.pow": lambda a: coord(a[0]) ** operand(a[1]),
    "Coordinate.neg": lambda a: -coord(a[0]),
    "Coordinate.abs": lambda a: abs(coord(a[0])),
    "Coordinate.is_multiple_of": lambda a: coord(a[0]).is_multiple_of(coord(a[1])),
    "Coordinate.round_division": lambda a: coord(a[0]).round_division(operand(a[1])),
    "Coordinate.floor_division": lambda a: coord(a[0]).floor_division(operand(a[1])),
    "Coordinate.ceil_division": lambda a: coord(a[0]).ceil_division(operand(a[1])),
    "Coordinate.squeeze": lambda a: coord(a[0]).squeeze(a[1]),
    "Roi": lambda a: Roi(a[0], a[1]),
    "Roi.offset": lambda a: roi(a[0]).offset,
    "Roi.shape": lambda a: roi(a[0]).shape,
    "Roi.begin": lambda a: roi(a[0]).begin,
    "Roi.end": lambda a: roi(a[0]).end,
    "Roi.center": lambda a: roi(a[0]).center,
    "Roi.dims": lambda a: roi(a[0]).dims,
    "Roi.empty": lambda a: roi(a[0]).empty,
    "Roi.unbounded": lambda a: roi(a[0]).unbounded,
    "Roi.size": lambda a: roi(a[0]).size,
    "Roi.contains": lambda a: roi(a[0]).contains(roi_or_point(a[1])),
    "Roi.intersects": lambda a: roi(a[0]).intersects(roi(a[1])),
    "Roi.intersect": lambda a: roi(a[0]).intersect(roi(a[1])),
    "Roi.union": lambda a: roi(a[0]).union(roi(a[1])),
    "Roi.grow": _grow,
    "Roi.shift": lambda a: roi(a[0]).shift(operand(a[1])),
    "Roi.snap_to_grid": _snap,
    "Roi.to_slices": lambda a: roi(a[0]).to_slices(),
    "Roi.copy": lambda a: roi(a[0]).copy(),
    "Roi.eq": lambda a: roi(a[0]) == roi(a[1]),
    "Roi.squeeze": _roi_squeeze,
    "Roi.add": lambda a: roi(a[0]) + operand(a[1]),
    "Roi.sub": lambda a: roi(a[0]) - operand(a[1]),
    "Roi.mul": lambda a: roi(a[0]) * operand(a[1]),
    "Roi.truediv": lambda a: roi(a[0]) / operand(a[1]),
    "Roi.floordiv": lambda a: roi(a[0]) // operand(a[1]),
    "Roi.mod": lambda a: roi(a[0]) % operand(a[1]),
    "Roi.repr": lambda a: repr(roi(a[0])),
}


def run_case(op: str, args: list[Json]) -> dict[str, Json]:
    case: dict[str, Json] = {"op": op, "args": args}
    dims = {d for d in map(geometric_dims, args) if d is not None}
    if len(dims) > 1:
        case["mixedDims"] = True
    try:
        case["result"] = encode(OPS[op](args))
    except FUNLIB_ERRORS as error:
        case["raises"] = type(error).__name__
    return case


# --------------------------------------------------------------------------
# random arguments


class Draw:
    """Random coordinates, ROIs and scalars in the small ranges that matter."""

    def __init__(self, rng: Random) -> None:
        self.rng = rng

    def dims(self) -> int:
        return self.rng.randint(1, 3)

    def other_dims(self, dims: int) -> int:
        """Usually ``dims``; sometimes another count, to probe mismatches."""
        if self.rng.random() >= MIXED_DIMS_PROBABILITY:
            return dims
        return self.rng.choice([d for d in (1, 2, 3) if d != dims])

    def value(self, low: int = -12, high: int = 12, none: float = 0.0) -> int | None:
        if self.rng.random() < none:
            return None
        if self.rng.random() < 0.1:
            return 0
        return self.rng.randint(low, high)

    def coord(self, dims: int, low: int = -12, high: int = 12, none: float = 0.1) -> list[int | None]:
        return [self.value(low, high, none) for _ in range(dims)]

    def divisor(self, dims: int) -> list[int | None]:
        """Mostly non-zero entries of both signs, with the odd zero and None."""
        out: list[int | None] = []
        for _ in range(dims):
            r = self.rng.random()
            if r < 0.06:
                out.append(0)
            elif r < 0.14:
                out.append(None)
            else:
                out.append(self.rng.choice([-1, 1]) * self.rng.randint(1, 7))
        return out

    def scalar(self, low: int = -6, high: int = 6, floats: float = 0.2) -> int | float:
        if self.rng.random() < floats:
            return self.rng.choice(FLOAT_SCALARS)
        return self.rng.randint(low, high)

    def operand(self, dims: int, divisor: bool = False) -> Json:
        if self.rng.random() < 0.35:
            return self.scalar()
        d = self.other_dims(dims)
        return self.divisor(d) if divisor else self.coord(d)

    def roi(self, dims: int) -> Json:
        kind = self.rng.choices(
            [
                "bounded",
                "partial",
                "unbounded",
                "empty",
                "zero",
                "negative",
                "no_offset",
            ],
            weights=[50, 12, 8, 10, 8, 6, 6],
        )[0]
        offset: list[int | None] = [self.rng.randint(-20, 20) for _ in range(dims)]
        shape: list[int | None] = [self.rng.randint(1, 12) for _ in range(dims)]
        d = self.rng.randrange(dims)
        if kind == "partial":
            shape[d] = None
            offset[d] = None
        elif kind == "unbounded":
            offset, shape = [None] * dims, [None] * dims
        elif kind == "empty":
            offset, shape = [None] * dims, [0] * dims
        elif kind == "zero":
            shape[d] = 0
        elif kind == "negative":
            shape[d] = -self.rng.randint(1, 5)
        elif kind == "no_offset":
            offset[d] = None
        return {"offset": offset, "shape": shape}

    def roi_near(self, first: Json, dims: int) -> Json:
        """A ROI that often overlaps, touches or encloses ``first``."""
        if dims != len(first["offset"]) or self.rng.random() < 0.4:
            return self.roi(dims)
        offset = [self.rng.randint(-10, 10) if o is None else o + self.rng.randint(-6, 6) for o in first["offset"]]
        shape: list[int | None] = [self.rng.randint(0, 14) if self.rng.random() < 0.9 else None for _ in range(dims)]
        return {"offset": offset, "shape": shape}

    def point(self, region: Json, dims: int) -> list[Entry]:
        """A point in, on the border of, or outside ``region``."""
        out: list[Entry] = []
        padded = zip(region["offset"] + [0] * dims, region["shape"] + [5] * dims, strict=False)
        for o, s in padded:
            if len(out) == dims:
                break
            r = self.rng.random()
            if r < 0.05:
                out.append(None)
            elif r < 0.12:
                out.append(self.rng.choice([-0.5, 0.5, 9.5, -1.5]))
            elif o is None or s is None:
                out.append(self.rng.randint(-15, 15))
            else:
                out.append(self.rng.choice([o - 1, o, o + s // 2, o + s - 1, o + s]))
        return out


# --------------------------------------------------------------------------
# cases


ArgsFunction = Callable[[Draw], list[Json]]


def unary_coord(draw: Draw) -> list[Json]:
    return [draw.coord(draw.dims())]


def binary_coord(divisor: bool) -> ArgsFunction:
    def args(draw: Draw) -> list[Json]:
        dims = draw.dims()
        return [draw.coord(dims), draw.operand(dims, divisor)]

    return args


def pow_args(draw: Draw) -> list[Json]:
    dims = draw.dims()
    base = draw.coord(dims, -6, 6)
    if draw.rng.random() < 0.5:
        exponent: Json = draw.rng.choice([-2, -1, 0, 1, 2, 3, 0.5, 2.0, -0.5])
    else:
        exponent = draw.coord(draw.other_dims(dims), -2, 3)
    return [base, exponent]


def multiple_args(draw: Draw) -> list[Json]:
    dims = draw.dims()
    other = draw.divisor(draw.other_dims(dims))
    if draw.rng.random() < 0.5 and len(other) == dims:
        # multiples of ``other`` (or almost) to get both answers
        first: list[int | None] = [
            None if b is None else b * draw.rng.randint(-4, 4) + draw.rng.choice([0, 0, 0, 1]) for b in other
        ]
        return [first, other]
    return [draw.coord(dims), other]


def division_args(draw: Draw) -> list[Json]:
    dims = draw.dims()
    if draw.rng.random() < 0.3:
        return [draw.coord(dims), draw.rng.choice([1, 2, 3, 4, -2, -3, 0, 2.5, 0.5])]
    return [draw.coord(dims), draw.divisor(draw.other_dims(dims))]


def getitem_args(draw: Draw) -> list[Json]:
    dims = draw.dims()
    return [draw.coord(dims), draw.rng.randint(-dims - 1, dims)]


def squeeze_coord_args(draw: Draw) -> list[Json]:
    dims = draw.dims()
    return [draw.coord(dims), draw.rng.randint(-2, dims)]


def coord_eq_args(draw: Draw) -> list[Json]:
    dims = draw.dims()
    first = draw.coord(dims, -3, 3)
    second = list(first) if draw.rng.random() < 0.5 else draw.coord(draw.other_dims(dims), -3, 3)
    return [first, second]


def coord_new_args(draw: Draw) -> list[Json]:
    entries: list[Entry] = []
    for _ in range(draw.rng.randint(0, 3)):
        r = draw.rng.random()
        if r < 0.15:
            entries.append(None)
        elif r < 0.55:
            entries.append(draw.rng.choice([1.5, -1.5, 2.7, -2.7, -0.4, 0.99, 3.0, -7.25]))
        else:
            entries.append(draw.rng.randint(-9, 9))
    return [entries]


def roi_new_args(draw: Draw) -> list[Json]:
    dims = draw.dims()
    region = draw.roi(dims)
    shape = region["shape"] if draw.rng.random() > 0.1 else draw.coord(draw.other_dims(dims))
    offset: list[Entry] = list(region["offset"])
    if draw.rng.random() < 0.3:
        # offsets left where the shape is None must be dropped by funlib
        offset = [draw.rng.randint(-9, 9) if o is None else o for o in offset]
    if draw.rng.random() < 0.15 and offset[0] is not None:
        offset[0] += 0.5  # funlib truncates float entries
    return [offset, shape]


def unary_roi(draw: Draw) -> list[Json]:
    return [draw.roi(draw.dims())]


def roi_pair(draw: Draw) -> list[Json]:
    dims = draw.dims()
    first = draw.roi(dims)
    return [first, draw.roi_near(first, draw.other_dims(dims))]


def contains_args(draw: Draw) -> list[Json]:
    dims = draw.dims()
    first = draw.roi(dims)
    other_dims = draw.other_dims(dims)
    if draw.rng.random() < 0.45:
        return [first, draw.point(first, other_dims)]
    return [first, draw.roi_near(first, other_dims)]


def grow_amount(draw: Draw, dims: int) -> Json:
    if draw.rng.random() < 0.5:
        return draw.rng.randint(-3, 5)
    return draw.coord(draw.other_dims(dims), -3, 5, none=0.08)


def grow_args(draw: Draw) -> list[Json]:
    dims = draw.dims()
    count = draw.rng.choice([0, 1, 2, 2, 2])
    return [draw.roi(dims)] + [grow_amount(draw, dims) for _ in range(count)]


def shift_args(draw: Draw) -> list[Json]:
    dims = draw.dims()
    if draw.rng.random() < 0.4:
        return [draw.roi(dims), draw.scalar()]
    return [draw.roi(dims), draw.coord(draw.other_dims(dims), none=0.08)]


def snap_args(draw: Draw) -> list[Json]:
    dims = draw.dims()
    region = draw.roi(dims)
    voxel: list[int | None] = [draw.rng.choice([1, 2, 3, 4, 5, 8]) for _ in range(draw.other_dims(dims))]
    r = draw.rng.random()
    if r < 0.08:
        voxel[0] = 0
    elif r < 0.16:
        voxel[0] = None
    elif r < 0.24:
        voxel[0] = -(voxel[0] or 1)
    m = draw.rng.random()
    if m < 0.1:
        return [region, voxel]
    if m < 0.13:
        return [region, voxel, "bogus"]
    return [region, voxel, draw.rng.choice(SNAP_MODES)]


def roi_eq_args(draw: Draw) -> list[Json]:
    dims = draw.dims()
    first = draw.roi(dims)
    if draw.rng.random() < 0.5:
        return [first, {"offset": list(first["offset"]), "shape": list(first["shape"])}]
    return [first, draw.roi_near(first, draw.other_dims(dims))]


def roi_squeeze_args(draw: Draw) -> list[Json]:
    dims = draw.dims()
    if draw.rng.random() < 0.2:
        return [draw.roi(dims)]
    return [draw.roi(dims), draw.rng.randint(-1, dims)]


def roi_arith(divisor: bool) -> ArgsFunction:
    def args(draw: Draw) -> list[Json]:
        dims = draw.dims()
        r = draw.rng.random()
        if r < 0.4:
            # Roi arithmetic takes only ints: non-integral floats must fail
            scalar = draw.scalar(-4, 4, floats=0.15)
            if isinstance(scalar, float) and scalar.is_integer():
                scalar += 0.5
            return [draw.roi(dims), scalar]
        other = draw.divisor(draw.other_dims(dims)) if divisor else draw.coord(draw.other_dims(dims), -6, 6, none=0.08)
        return [draw.roi(dims), other]

    return args


RANDOM_ARGS: dict[str, ArgsFunction] = {
    "Coordinate": coord_new_args,
    "Coordinate.dims": unary_coord,
    "Coordinate.getitem": getitem_args,
    "Coordinate.repr": unary_coord,
    "Coordinate.eq": coord_eq_args,
    "Coordinate.add": binary_coord(divisor=False),
    "Coordinate.sub": binary_coord(divisor=False),
    "Coordinate.mul": binary_coord(divisor=False),
    "Coordinate.truediv": binary_coord(divisor=True),
    "Coordinate.floordiv": binary_coord(divisor=True),
    "Coordinate.mod": binary_coord(divisor=True),
    "Coordinate.pow": pow_args,
    "Coordinate.neg": unary_coord,
    "Coordinate.abs": unary_coord,
    "Coordinate.is_multiple_of": multiple_args,
    "Coordinate.round_division": division_args,
    "Coordinate.floor_division": division_args,
    "Coordinate.ceil_division": division_args,
    "Coordinate.squeeze": squeeze_coord_args,
    "Roi": roi_new_args,
    "Roi.offset": unary_roi,
    "Roi.shape": unary_roi,
    "Roi.begin": unary_roi,
    "Roi.end": unary_roi,
    "Roi.center": unary_roi,
    "Roi.dims": unary_roi,
    "Roi.empty": unary_roi,
    "Roi.unbounded": unary_roi,
    "Roi.size": unary_roi,
    "Roi.contains": contains_args,
    "Roi.intersects": roi_pair,
    "Roi.intersect": roi_pair,
    "Roi.union": roi_pair,
    "Roi.grow": grow_args,
    "Roi.shift": shift_args,
    "Roi.snap_to_grid": snap_args,
    "Roi.to_slices": unary_roi,
    "Roi.copy": unary_roi,
    "Roi.eq": roi_eq_args,
    "Roi.squeeze": roi_squeeze_args,
    "Roi.add": roi_arith(divisor=False),
    "Roi.sub": roi_arith(divisor=False),
    "Roi.mul": roi_arith(divisor=False),
    "Roi.truediv": roi_arith(divisor=True),
    "Roi.floordiv": roi_arith(divisor=True),
    "Roi.mod": roi_arith(divisor=True),
    "Roi.repr": unary_roi,
}


def _roi_json(offset: list[Entry], shape: list[Entry]) -> Json:
    return {"offset": offset, "shape": shape}


EMPTY_1D = _roi_json([None], [0])
UNBOUNDED_2D = _roi_json([None, None], [None, None])
BOX_2D = _roi_json([0, 0], [10, 10])

# Hand-picked cases for the corners random draws may miss.
FIXED_CASES: list[tuple[str, list[Json]]] = [
    ("Coordinate", [[]]),
    ("Coordinate", [[1.5, -1.5, None, -0.4]]),
    ("Coordinate.repr", [[]]),
    ("Coordinate.repr", [[5]]),
    ("Coordinate.repr", [[None, 4]]),
    ("Coordinate.floordiv", [[7, -7, 7, -7, 0], [2, 2, -2, -2, 3]]),
    ("Coordinate.floordiv", [[7, -7, 1], 0.1]),
    ("Coordinate.floordiv", [[None, 3], 0]),
    ("Coordinate.floordiv", [[None, 3], [0, 1]]),
    ("Coordinate.floordiv", [[1, 3], [0, 1]]),
    ("Coordinate.mod", [[7, -7, 7, -7, 0], [3, 3, -3, -3, -3]]),
    ("Coordinate.mod", [[7, -7], 2.5]),
    ("Coordinate.mod", [[7, -7], -2.5]),
    ("Coordinate.mod", [[1, 2], 0]),
    ("Coordinate.truediv", [[7, -7, 1, -1], 2]),
    ("Coordinate.truediv", [[7, -7], 0.5]),
    ("Coordinate.truediv", [[7, None], 0]),
    ("Coordinate.truediv", [[7, -7], [0, 1]]),
    ("Coordinate.pow", [[0, 2, -2], -1]),
    ("Coordinate.pow", [[2, -2], -1]),
    ("Coordinate.pow", [[4, -8], 0.5]),
    ("Coordinate.pow", [[4, 9], 0.5]),
    ("Coordinate.pow", [[None, 3], [2, None]]),
    ("Coordinate.mul", [[3, -3], 0.5]),
    ("Coordinate.add", [[1, -1], 0.5]),
    ("Coordinate.add", [[1, 2], [1, 2, 3]]),
    ("Coordinate.sub", [[None, 2], [1, None]]),
    ("Coordinate.neg", [[0, None, -3]]),
    ("Coordinate.abs", [[0, None, -3]]),
    ("Coordinate.is_multiple_of", [[4, 6], [2, 3]]),
    ("Coordinate.is_multiple_of", [[4, 6], [2, 4]]),
    ("Coordinate.is_multiple_of", [[-4, 6], [2, -3]]),
    ("Coordinate.is_multiple_of", [[4, 6], [0, 3]]),
    ("Coordinate.is_multiple_of", [[4, None], [2, 3]]),
    ("Coordinate.is_multiple_of", [[4, 6], [2]]),
    ("Coordinate.is_multiple_of", [[4], [2, 3]]),
    ("Coordinate.round_division", [[5, 7, -5, -7, 6, -6], [2, 2, 2, 2, 4, 4]]),
    ("Coordinate.round_division", [[5, 6], 4]),
    ("Coordinate.ceil_division", [[5, -5, 4], [2, 2, 2]]),
    ("Coordinate.ceil_division", [[5, 7], 2.5]),
    ("Coordinate.floor_division", [[5, -5], [2, 2]]),
    ("Coordinate.squeeze", [[1, 2, 3], -1]),
    ("Coordinate.squeeze", [[1, 2, 3], 5]),
    ("Coordinate.squeeze", [[1], 0]),
    ("Coordinate.getitem", [[1, 2, 3], -1]),
    ("Coordinate.getitem", [[1, 2, 3], 3]),
    ("Coordinate.eq", [[1, 2], [1, 2, 3]]),
    ("Roi", [[1, 2], [3]]),
    ("Roi", [[1, 2], [None, 3]]),
    ("Roi", [[None, None], [3, 4]]),
    ("Roi", [[], []]),
    ("Roi.center", [_roi_json([0, 0, -3], [5, -5, 3])]),
    ("Roi.center", [_roi_json([None, 1], [None, 3])]),
    ("Roi.size", [_roi_json([], [])]),
    ("Roi.size", [_roi_json([0, 0], [3, -2])]),
    ("Roi.size", [UNBOUNDED_2D]),
    ("Roi.empty", [_roi_json([0, 0], [-1, None])]),
    ("Roi.repr", [EMPTY_1D]),
    ("Roi.repr", [UNBOUNDED_2D]),
    ("Roi.repr", [_roi_json([None, 1], [None, 3])]),
    ("Roi.repr", [_roi_json([None, 1], [4, 3])]),
    ("Roi.repr", [_roi_json([-3], [7])]),
    ("Roi.repr", [_roi_json([], [])]),
    ("Roi.to_slices", [_roi_json([None, 1, 2], [None, 0, 3])]),
    ("Roi.to_slices", [_roi_json([None], [4])]),
    ("Roi.to_slices", [_roi_json([2], [-4])]),
    ("Roi.contains", [BOX_2D, EMPTY_1D]),
    ("Roi.contains", [BOX_2D, _roi_json([None, None], [0, 0])]),
    ("Roi.contains", [UNBOUNDED_2D, _roi_json([None, None], [0, 0])]),
    ("Roi.contains", [_roi_json([None, None], [0, 0]), _roi_json([3, 3], [0, 1])]),
    ("Roi.contains", [BOX_2D, BOX_2D]),
    ("Roi.contains", [BOX_2D, UNBOUNDED_2D]),
    ("Roi.contains", [UNBOUNDED_2D, BOX_2D]),
    ("Roi.contains", [BOX_2D, [9.5, 0]]),
    ("Roi.contains", [BOX_2D, [-0.5, 0]]),
    ("Roi.contains", [BOX_2D, [10, 0]]),
    ("Roi.contains", [BOX_2D, [None, 0]]),
    ("Roi.contains", [UNBOUNDED_2D, [None, 0]]),
    ("Roi.contains", [BOX_2D, [1]]),
    ("Roi.contains", [BOX_2D, [1, 1, 1]]),
    ("Roi.contains", [_roi_json([0], [10]), BOX_2D]),
    ("Roi.intersects", [BOX_2D, _roi_json([10, 0], [5, 5])]),
    ("Roi.intersects", [BOX_2D, _roi_json([0], [5])]),
    ("Roi.intersect", [BOX_2D, _roi_json([10, 0], [5, 5])]),
    ("Roi.intersect", [BOX_2D, _roi_json([9, -3], [5, 5])]),
    ("Roi.intersect", [BOX_2D, UNBOUNDED_2D]),
    ("Roi.intersect", [UNBOUNDED_2D, UNBOUNDED_2D]),
    ("Roi.intersect", [BOX_2D, _roi_json([None, None], [0, 0])]),
    (
        "Roi.intersect",
        [_roi_json([None, 2], [None, 3]), _roi_json([1, None], [4, None])],
    ),
    ("Roi.union", [BOX_2D, _roi_json([None, None], [0, 0])]),
    ("Roi.union", [_roi_json([None, None], [0, 0]), BOX_2D]),
    ("Roi.union", [BOX_2D, UNBOUNDED_2D]),
    ("Roi.union", [BOX_2D, _roi_json([20, -5], [1, 1])]),
    ("Roi.union", [EMPTY_1D, BOX_2D]),
    ("Roi.union", [_roi_json([0], [10]), BOX_2D]),
    ("Roi.grow", [BOX_2D]),
    ("Roi.grow", [BOX_2D, 2]),
    ("Roi.grow", [BOX_2D, 2, 3]),
    ("Roi.grow", [BOX_2D, [1, 2], [3, 4]]),
    ("Roi.grow", [BOX_2D, [1, None], 0]),
    ("Roi.grow", [BOX_2D, -6, -6]),
    ("Roi.grow", [BOX_2D, [1, 2, 3]]),
    ("Roi.grow", [EMPTY_1D, 1, 1]),
    ("Roi.shift", [BOX_2D, 1.5]),
    ("Roi.shift", [BOX_2D, [1]]),
    ("Roi.snap_to_grid", [_roi_json([-7, 3], [10, 3]), [4, 4], "grow"]),
    ("Roi.snap_to_grid", [_roi_json([-7, 3], [10, 3]), [4, 4], "shrink"]),
    ("Roi.snap_to_grid", [_roi_json([-7, 3], [10, 3]), [4, 4], "closest"]),
    ("Roi.snap_to_grid", [_roi_json([-6, 2], [10, 4]), [4, 4], "closest"]),
    ("Roi.snap_to_grid", [_roi_json([-7, 3], [10, 3]), [4, 4]]),
    ("Roi.snap_to_grid", [_roi_json([-7, 3], [10, 3]), [4, 0]]),
    ("Roi.snap_to_grid", [_roi_json([-7, 3], [10, 3]), [4, 4], "bogus"]),
    ("Roi.snap_to_grid", [_roi_json([-7, 3], [10, 3]), [4]]),
    ("Roi.snap_to_grid", [EMPTY_1D, [4]]),
    ("Roi.snap_to_grid", [UNBOUNDED_2D, [4, 4], "shrink"]),
    ("Roi.add", [BOX_2D, 1.5]),
    ("Roi.add", [BOX_2D, [1, 2, 3]]),
    ("Roi.sub", [BOX_2D, [None, 2]]),
    ("Roi.mul", [_roi_json([None, -3], [None, 5]), 2]),
    ("Roi.truediv", [_roi_json([-5, 5], [7, -7]), 2]),
    ("Roi.truediv", [_roi_json([-5, 5], [7, -7]), 0]),
    ("Roi.floordiv", [_roi_json([-5, 5], [7, -7]), 2]),
    ("Roi.floordiv", [_roi_json([-5, 5], [7, -7]), [2, -2]]),
    ("Roi.mod", [_roi_json([-5, 5], [7, -7]), 3]),
    ("Roi.mod", [_roi_json([-5, 5], [7, -7]), [3, -3]]),
    ("Roi.squeeze", [_roi_json([1, 2, 3], [4, 5, 6])]),
    ("Roi.squeeze", [_roi_json([1, 2, 3], [4, 5, 6]), -1]),
    ("Roi.eq", [BOX_2D, _roi_json([0], [10])]),
]


def generate() -> list[dict[str, Json]]:
    draw = Draw(Random(SEED))
    cases = [run_case(op, args) for op, args in FIXED_CASES]
    for op, make_args in RANDOM_ARGS.items():
        for _ in range(RANDOM_CASES_PER_OP + EXTRA_RANDOM_CASES.get(op, 0)):
            cases.append(run_case(op, make_args(draw)))
    missing = set(OPS) - {case["op"] for case in cases}
    assert not missing, f"operations without vectors: {sorted(missing)}"
    return cases


def render(cases: list[dict[str, Json]]) -> str:
    """Sorted-key JSON with one case per line, for readable diffs."""

    def dump(value: Json) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)

    lines = ",\n".join(dump(case) for case in cases)
    return '{"cases":[\n' + lines + "\n]," + f'"funlibGeometry":{dump(version("funlib.geometry"))},"seed":{SEED}}}\n'


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(f"usage: {argv[0]} OUTPUT.json", file=sys.stderr)
        return 2
    cases = generate()
    Path(argv[1]).write_text(render(cases), encoding="utf-8")
    raised = sum("raises" in case for case in cases)
    print(f"wrote {len(cases)} cases ({raised} raising) to {argv[1]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
