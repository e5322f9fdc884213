"""Fixtures for the client matrix: one source file, shared by every client's tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The matrix helpers assert; rewrite them so a failure shows what was found.
pytest.register_assert_rewrite("compat.clients.matrix")

from compat.clients.matrix import SIZE  # noqa: E402


@pytest.fixture(scope="session")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SIZE random bytes on disk: three parts in 5 MiB chunks."""
    path = tmp_path_factory.mktemp("matrix") / "big.bin"
    path.write_bytes(os.urandom(SIZE))
    return path
