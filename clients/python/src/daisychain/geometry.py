"""daisy's Roi and Coordinate: funlib.geometry's, with the one method of daisy 2.0's that funlib lacks.

daisy 2.0 made them native types; their API is funlib's plus
``Coordinate.to_list()``, which daisy 2.0's examples use
(``block.write_roi.shape.to_list()``). It is added to funlib's Coordinate
when it is missing, so that every Coordinate a Roi returns has it.
"""

from __future__ import annotations

from funlib.geometry import Coordinate, Roi

__all__ = ["Coordinate", "Roi"]


def _to_list(self: Coordinate) -> list[int | None]:
    """The values as a list, as daisy 2.0's ``Coordinate.to_list()``."""
    return list(self)


if not hasattr(Coordinate, "to_list"):
    Coordinate.to_list = _to_list  # type: ignore[attr-defined]
