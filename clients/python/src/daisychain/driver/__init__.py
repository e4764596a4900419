"""A Python driver's side of daisychain: daisy's Task, Pipeline and run_blockwise (see run.py)."""
