"""The world every reliability test runs in (see :mod:`tests.reliability.world`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability import world


@pytest.fixture(scope="session")
def good(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Good inputs and untrained weights of every command, written once."""
    return world.build_world(tmp_path_factory.mktemp("world"))
