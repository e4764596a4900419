"""The Python worker of the end-to-end benchmark: no-op blocks, PREFETCH requested ahead."""

from __future__ import annotations

import os

import daisychain

client = daisychain.Client(prefetch=int(os.environ.get("PREFETCH", "8")))
while True:
    with client.acquire_block() as block:
        if block is None:
            break
client.close()
