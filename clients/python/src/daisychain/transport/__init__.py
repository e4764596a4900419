"""The work stream's transport: gRPC over python-hyper's h2 on a plain socket (README.md)."""

from __future__ import annotations

from .connection import Interrupted
from .status import CallError
from .stream import Stream

__all__ = ["CallError", "Interrupted", "Stream"]
