"""daisychain's Python client: daisy's worker API against a daisychain server.

A daisy worker script works with its import changed::

    import daisychain as daisy

    client = daisy.Client()          # reads DAISY_CONTEXT
    while True:
        with client.acquire_block() as block:
            if block is None:
                break
            ...                      # read block.read_roi, write block.write_roi

Each release is sent as its ``with`` ends, and a client not closed is closed
at interpreter exit, so a script that ends without ``client.close()`` (daisy
1.x has none) loses nothing. ``Client(prefetch=K)`` keeps K - 1 blocks
buffered ahead of the one running; ``client.welcome`` holds the task's timeout,
and ``client.renew_lease(block)`` / ``client.is_revoked(block)`` serve long
blocks under it.

``daisychain.control.PipelineClient`` is the control plane: submit, list, get,
watch and cancel pipelines on a server; a worker's DAISY_CONTEXT names its
pipeline (``pipeline_id``), which ``Client`` sends in its Hello.
"""

from .block import Block, BlockStatus
from .client import Client, ClientError, Rejection, Welcome
from .context import Context

__all__ = ["Block", "BlockStatus", "Client", "ClientError", "Context", "Rejection", "Welcome"]
