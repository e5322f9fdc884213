from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import Server, run_server

_bucket_numbers = itertools.count()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real s3mpu process for the session (5-byte minimum part size)."""
    with run_server(tmp_path_factory.mktemp("s3mpu") / "data") as running:
        yield running


@pytest.fixture
def s3(server: Server):  # type: ignore[no-untyped-def]
    return server.client()


@pytest.fixture
def bucket(s3, request: pytest.FixtureRequest) -> str:  # type: ignore[no-untyped-def]
    """A fresh, empty bucket named after the test."""
    name = "t-" + "".join(c if c.isalnum() else "-" for c in request.node.name.lower())[:50]
    # A counter, not a hash of the test id: parametrized tests share the truncated name, and
    # a hash modulo 10,000 made two of them collide now and then (BucketAlreadyOwnedByYou).
    name = f"{name.strip('-')}-{next(_bucket_numbers)}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"
