"""The environment the package starts its server in: Node's compile cache, where it can be kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from daisychain.runtime import server_environment


def test_the_compile_cache_goes_under_the_user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NODE_COMPILE_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cache = Path(server_environment()["NODE_COMPILE_CACHE"])
    assert cache == tmp_path / "daisychain" / "node-compile-cache"
    assert cache.is_dir()


def test_a_cache_that_cannot_be_made_is_left_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NODE_COMPILE_CACHE", raising=False)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert "NODE_COMPILE_CACHE" not in server_environment()


def test_a_cache_the_user_set_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NODE_COMPILE_CACHE", "/somewhere/else")
    assert server_environment()["NODE_COMPILE_CACHE"] == "/somewhere/else"
