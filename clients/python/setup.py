"""The build hook that puts the daisychain server into the package (bundle/README.md).

Everything else about the package is in pyproject.toml. Before setuptools
collects the package's files, for a wheel (build_py, also under
``pip install``, ``uv pip install`` and editable installs) and for an sdist,
the TypeScript server of the checkout this directory sits in (../../src) is
bundled with esbuild into ``src/daisychain/_server/`` (generated, gitignored),
which pyproject.toml's package-data then carries. That needs Node.js and the
checkout's node_modules (``npm ci``) at build time only.

Outside a checkout (a wheel built from the sdist, which carries the bundle),
the bundle already present is used; with neither, the build fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SERVER_DIR = HERE / "src" / "daisychain" / "_server"
BUNDLE = SERVER_DIR / "daisychain-server.mjs"
BUNDLER = HERE / "bundle" / "build-server.mjs"
# Written by BUNDLER beside the bundle: [path, size, mtime in ns] of every file it was made from.
INPUTS = SERVER_DIR / ".build-inputs.json"


class BundleError(SystemExit):
    """The server cannot be bundled: the message says what is missing."""

    def __init__(self, message: str) -> None:
        super().__init__(f"daisychain build: {message}")


def in_checkout() -> bool:
    """Whether this is clients/python of a daisychain checkout (its server's sources next door)."""
    return (ROOT / "src" / "cli" / "main.ts").is_file() and (ROOT / "package.json").is_file() and BUNDLER.is_file()


def bundle_is_current() -> bool:
    """Whether the bundle in SERVER_DIR was made from the checkout's files as they are now (none changed since)."""
    try:
        files = json.loads(INPUTS.read_text())["files"]
        if not BUNDLE.is_file() or not files:
            return False
        for path, size, mtime_ns in files:
            stat = (ROOT / path).stat()
            if stat.st_size != size or str(stat.st_mtime_ns) != mtime_ns:
                return False
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return True


def bundle_server() -> None:
    """Makes src/daisychain/_server/ from the checkout's src/, or checks the one an sdist brought."""
    if not in_checkout():
        if BUNDLE.is_file():
            return
        raise BundleError(
            f"no server bundle at {BUNDLE} and no daisychain checkout around {HERE} to build it from: "
            "build the package from the repository (clients/python) or from an sdist made there"
        )
    if bundle_is_current():
        return
    node = os.environ.get("DAISYCHAIN_BUILD_NODE") or shutil.which("node")
    if node is None:
        raise BundleError(
            "the wheel carries the TypeScript server bundled with esbuild, which needs Node.js (>= 20) "
            "at build time: put node on PATH (or set DAISYCHAIN_BUILD_NODE); installing the built wheel needs no Node"
        )
    if not (ROOT / "node_modules" / "esbuild" / "package.json").is_file():
        raise BundleError(
            f"the server is bundled with esbuild from {ROOT / 'node_modules'}, which is missing or has no esbuild: "
            f"run `npm ci` in {ROOT} first"
        )
    completed = subprocess.run([node, str(BUNDLER), "--quiet"], cwd=ROOT, check=False)
    if completed.returncode != 0:
        raise BundleError(
            f"bundling the server failed ({node} {BUNDLER.relative_to(ROOT)}: exit status {completed.returncode})"
        )


class BuildPyWithServer(build_py):
    def run(self) -> None:
        bundle_server()
        # setuptools lists the package data once, and egg_info may have made it list
        # it before the bundle existed: list it again.
        self.__dict__.pop("data_files", None)
        super().run()


class SdistWithServer(sdist):
    def run(self) -> None:
        bundle_server()
        super().run()


setup(cmdclass={"build_py": BuildPyWithServer, "sdist": SdistWithServer})
