"""Blocks as workers see them, with funlib.geometry ROIs as in daisy."""

from __future__ import annotations

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

    ``block_id`` is ``(task_id, id)`` as in daisy; ``id`` is daisy's Cantor number.
    """

    def __init__(
        self,
        task_id: str,
        block_id: int,
        read_roi: Roi,
        write_roi: Roi,
        total_roi: Roi | geometry_pb2.Roi,
        attempt: int = 0,
    ):
        self.task_id = task_id
        self.block_id = (task_id, block_id)
        self.read_roi = read_roi
        self.write_roi = write_roi
        # Converted on first use: few workers look at it, every block carries it.
        self._total_roi = total_roi
        self.attempt = attempt
        self.status = BlockStatus.CREATED

    @property
    def total_roi(self) -> Roi:
        if isinstance(self._total_roi, geometry_pb2.Roi):
            self._total_roi = roi_from_wire(self._total_roi)
        return self._total_roi

    @property
    def id(self) -> int:
        return self.block_id[1]

    def __repr__(self) -> str:
        return f"{self.task_id}/{self.id} with read ROI {self.read_roi} and write ROI {self.write_roi}"


def coordinate_from_wire(message: geometry_pb2.Coordinate) -> Coordinate:
    values: list[int | None] = list(message.values)
    for d in message.null_dims:
        values[d] = None
    return Coordinate(values)


def roi_from_wire(message: geometry_pb2.Roi) -> Roi:
    return Roi(coordinate_from_wire(message.offset), coordinate_from_wire(message.shape))


def block_from_wire(message: scheduler_pb2.Block) -> Block:
    block = Block(
        message.task_id,
        message.block_id,
        roi_from_wire(message.read_roi),
        roi_from_wire(message.write_roi),
        message.total_roi,
        message.attempt,
    )
    block.status = BlockStatus.PROCESSING
    return block
