"""daisychain's Python client: daisy's worker API against a daisychain server.

A daisy worker script works with its import changed::

    import daisychain as daisy

    client = daisy.Client()          # reads DAISY_CONTEXT
    while True:
        with client.acquire_block() as block:
            if block is None:
                break
            ...                      # read block.read_roi, write block.write_roi
"""

from .block import Block, BlockStatus
from .client import Client, ClientError, Rejection, Welcome
from .context import Context

__all__ = ["Block", "BlockStatus", "Client", "ClientError", "Context", "Rejection", "Welcome"]
