"""Record how daisy 2.0.0 writes and reads DAISY_CONTEXT, for both clients' tests.

Run with the daisy 2.0.0 virtualenv::

    .cache/venv-daisy2/bin/python tests/oracle/generate_context_vector.py > tests/vectors/context.json

``written``: entries and the text ``Context(**entries).to_env()`` gives for
them (daisy adds ``logdir`` when it is missing, so every case sets it).
``read``: texts and the entries ``Context.from_env()`` reads from them.
"""

from __future__ import annotations

import json
import os
import sys

import daisy

WRITTEN = [
    {"hostname": "a:b", "logdir": "x"},
    {"task_id": "x=y", "logdir": "x"},
    {"w": "100%", "logdir": "x"},
    {"k:e=y%": "v", "logdir": "x"},
    {"a": "s p/ä,;&+?#\n", "logdir": "x"},
    {"token": "%3A", "logdir": "x"},
]
READ = [
    "a=x%3ay%3d%25%2541",
    "b=%253A:c=%",
    "d=%zz%3",
    "hostname=h%3A1:port=5:logdir=l",
]


def main() -> None:
    written = []
    for entries in WRITTEN:
        # daisy 2.0.0 emits a HashMap's order: sort the entries of its text so the vector is stable.
        text = daisy.Context(**entries).to_env()
        written.append({"entries": entries, "tokens": sorted(text.split(":"))})
    read = []
    for text in READ:
        os.environ["DAISY_CONTEXT"] = text
        context = daisy.Context.from_env()
        read.append({"text": text, "entries": dict(sorted(context.items()))})
    json.dump(
        {"daisy": daisy.__version__, "written": written, "read": read}, sys.stdout, sort_keys=True, ensure_ascii=False
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
