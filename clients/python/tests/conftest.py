"""Every test tracks its tasks' done markers in a directory of its own.

The driver tracks tasks by default under ``./daisy_logs/tracking`` (daisy 2.0.0's layout), so that a rerun
resumes; tests that reuse task ids, or run twice, must not resume each other's blocks.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _own_tracking_basedir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    from daisychain.driver import tracking

    tracking.set_tracking_basedir(tmp_path_factory.mktemp("tracking"))
    yield
    tracking.use_default_tracking_basedir()
