"""Blocks as workers see them, with funlib.geometry ROIs as in daisy."""

from __future__ import annotations

import copy
from enum import Enum

from funlib.geometry import Coordinate, Roi

from .v1 import geometry_pb2, scheduler_pb2


class BlockStatus(Enum):
    """daisy's numbering; the wire adds one (0 means "not set" in protobuf)."""

    CREATED = 0
    PROCESSING = 1
    SUCCESS = 2
    FAILED = 3


class Block:
    """One unit of work: exclusive write access to ``write_roi``, read access to ``read_roi``.

    Constructed as daisy's ``Block(total_roi, read_roi, write_roi, block_id=None,
    task_id=None)``. daisy 2.0 swapped the two optional positions (``task_id``
    fourth), so a string in either is taken as the task id and an integer as the
    block id. Without ``block_id`` the id is computed from the write ROI's place
    in ``total_roi``, as daisy does.

    ``block_id`` is ``(task_id, id)`` as in daisy; ``id`` is daisy's Cantor number.
    ``requested_write_roi`` is daisy 1.x's: the write ROI the block was made with.
    """

    def __init__(
        self,
        total_roi: Roi | geometry_pb2.Roi,
        read_roi: Roi | geometry_pb2.Roi,
        write_roi: Roi | geometry_pb2.Roi,
        block_id: int | str | None = None,
        task_id: str | int | None = None,
        *,
        attempt: int = 0,
    ):
        if isinstance(block_id, str) and not isinstance(task_id, str):
            block_id, task_id = task_id, block_id
        self.task_id = task_id
        # Each ROI may come as a wire message, converted to funlib's Roi on
        # first use: a worker pays only for the ROIs it reads.
        self._read_roi = read_roi
        self._write_roi = write_roi
        self._total_roi = total_roi
        if block_id is None:
            block_id = _grid_id(self.total_roi, self.write_roi)
        self.block_id = (task_id, int(block_id))
        self.attempt = attempt
        self.status = BlockStatus.CREATED

    @property
    def total_roi(self) -> Roi:
        roi = self._total_roi
        if isinstance(roi, geometry_pb2.Roi):
            roi = self._total_roi = roi_from_wire(roi)
        return roi

    @total_roi.setter
    def total_roi(self, roi: Roi) -> None:
        self._total_roi = roi

    @property
    def read_roi(self) -> Roi:
        roi = self._read_roi
        if isinstance(roi, geometry_pb2.Roi):
            roi = self._read_roi = roi_from_wire(roi)
        return roi

    @read_roi.setter
    def read_roi(self, roi: Roi) -> None:
        self._read_roi = roi

    @property
    def write_roi(self) -> Roi:
        roi = self._write_roi
        if isinstance(roi, geometry_pb2.Roi):
            roi = self._write_roi = roi_from_wire(roi)
        return roi

    @write_roi.setter
    def write_roi(self, roi: Roi) -> None:
        self._write_roi = roi

    def __getstate__(self) -> dict[str, object]:
        # Plain ROIs: a pickled block carries no protobuf message.
        state = dict(self.__dict__)
        state.update(_read_roi=self.read_roi, _write_roi=self.write_roi, _total_roi=self.total_roi)
        return state

    @property
    def requested_write_roi(self) -> Roi:
        """daisy 1.x's name for the write ROI the block was asked to cover (the write ROI here)."""
        return self.write_roi

    def copy(self) -> Block:
        """A deep copy, as daisy 1.x's ``Block.copy()``."""
        return copy.deepcopy(self)

    @property
    def id(self) -> int:
        return self.block_id[1]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Block) and self.block_id == other.block_id

    def __hash__(self) -> int:
        return hash(self.block_id)

    def __repr__(self) -> str:
        return f"{self.task_id}/{self.id} with read ROI {self.read_roi} and write ROI {self.write_roi}"


def _grid_id(total_roi: Roi, write_roi: Roi) -> int:
    index = (write_roi.offset - total_roi.offset) / write_roi.shape
    return cantor_number([int(i) for i in index])


def cantor_number(index: list[int]) -> int:
    """daisy's block id of a grid index: the generalised Cantor number.

    Computed in floating point with a truncation after each pyramid volume, as
    funlib.math does, so that ids agree with daisy's and the server's.
    """

    def pyramid_volume(dims: int, edge: float) -> float:
        if edge == 0:
            return 0
        volume = 1.0
        for d in range(dims):
            volume *= edge + d
            volume /= d + 1
        return float(int(volume))

    def raw(dims: int) -> float:
        if dims == 1:
            return index[0]
        return pyramid_volume(dims, float(sum(index[:dims]))) + raw(dims - 1)

    return int(raw(len(index)))


def coordinate_from_wire(message: geometry_pb2.Coordinate) -> Coordinate:
    if not message.null_dims:
        return Coordinate(message.values)
    values: list[int | None] = list(message.values)
    for d in message.null_dims:
        values[d] = None
    return Coordinate(values)


def roi_from_wire(message: geometry_pb2.Roi) -> Roi:
    return Roi(coordinate_from_wire(message.offset), coordinate_from_wire(message.shape))


_new_block = object.__new__
_PROCESSING = BlockStatus.PROCESSING


def block_from_wire(message: scheduler_pb2.Block) -> Block:
    """A handed-out block; its ROIs stay wire messages until the worker reads them."""
    block: Block = _new_block(Block)
    task_id = message.task_id
    block.task_id = task_id
    block._read_roi = message.read_roi
    block._write_roi = message.write_roi
    block._total_roi = message.total_roi
    block.block_id = (task_id, message.block_id)
    block.attempt = message.attempt
    block.status = _PROCESSING
    return block
