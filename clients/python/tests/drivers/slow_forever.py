"""A driver whose blocks take long enough to be interrupted: writes OUT_DIR/block-* as blocks run."""

import os
import sys
import time

import daisychain as daisy

out = sys.argv[1]


def slow(block):
    open(os.path.join(out, f"block-{block.block_id[1]}"), "w").close()
    time.sleep(0.2)


task = daisy.Task(
    "slow",
    daisy.Roi((0,), (10000,)),
    daisy.Roi((0,), (1,)),
    daisy.Roi((0,), (1,)),
    process_function=slow,
    read_write_conflict=False,
    num_workers=2,
)
daisy.run_blockwise([task], progress=False)
