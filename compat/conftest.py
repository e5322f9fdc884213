"""Fixtures for the black-box compat suite: real s3mpu processes, real clients.

Servers are session-scoped so the whole suite pays for a handful of process starts:

- ``http_server`` / ``https_server``: 5-byte minimum part size, so multipart tests use small parts.

Every server also serves virtual-hosted-style requests for ``bucket.<VIRTUAL_DOMAIN>``
(``--domain``); see ``compat.helpers.virtual_client``.
- ``aws_server_http`` / ``aws_server_https``: AWS's 5 MiB minimum, for the high-level transfer
  manager and the AWS CLI, which choose their own part sizes.

``server`` is parametrized over both schemes: over http botocore sends the CRC32 checksum as a
header; over https it streams the body aws-chunked with a CRC32 trailer. Object and part upload
tests take ``server`` so both framings are exercised; modules whose subject is not the upload
framing override ``server`` with ``http_server``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from tests.harness import Server, run_server

# Helpers assert on responses; rewrite them so a failure shows the code and status received.
pytest.register_assert_rewrite("compat.helpers")

from compat.helpers import VIRTUAL_DOMAIN, client_for, new_bucket  # noqa: E402


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """A throw-away CA and a server certificate for 127.0.0.1: (cert, key, CA bundle path)."""
    directory = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert_path, key_path, ca_path = (directory / n for n in ("cert.pem", "key.pem", "ca.pem"))
    cert.private_key_and_cert_chain_pem.write_to_path(str(cert_path))
    cert.private_key_pem.write_to_path(str(key_path))
    ca.cert_pem.write_to_path(str(ca_path))
    return cert_path, key_path, str(ca_path)


def _serve(
    factory: pytest.TempPathFactory,
    name: str,
    tls: tuple[Path, Path, str] | None,
    min_part_size: int | None,
) -> Iterator[Server]:
    # --no-fsync: the data is thrown away with the session; durability is not under test.
    data_dir = factory.mktemp(name) / "data"
    args = ("--no-fsync", "--domain", VIRTUAL_DOMAIN)
    with run_server(data_dir, *args, tls=tls, min_part_size=min_part_size) as running:
        yield running


@pytest.fixture(scope="session")
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _serve(tmp_path_factory, "http", None, 5)


@pytest.fixture(scope="session")
def https_server(
    tmp_path_factory: pytest.TempPathFactory, tls_files: tuple[Path, Path, str]
) -> Iterator[Server]:
    yield from _serve(tmp_path_factory, "https", tls_files, 5)


@pytest.fixture(scope="session")
def aws_server_http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _serve(tmp_path_factory, "aws-http", None, None)


@pytest.fixture(scope="session")
def aws_server_https(
    tmp_path_factory: pytest.TempPathFactory, tls_files: tuple[Path, Path, str]
) -> Iterator[Server]:
    yield from _serve(tmp_path_factory, "aws-https", tls_files, None)


@pytest.fixture(params=["http", "https"])
def server(request: pytest.FixtureRequest) -> Server:
    """The 5-byte-minimum server, once over http and once over https."""
    return request.getfixturevalue(f"{request.param}_server")  # type: ignore[no-any-return]


@pytest.fixture(params=["http", "https"])
def aws_server(request: pytest.FixtureRequest) -> Server:
    """The 5 MiB-minimum (AWS default) server, once over http and once over https."""
    return request.getfixturevalue(f"aws_server_{request.param}")  # type: ignore[no-any-return]


@pytest.fixture
def s3(server: Server) -> Any:
    return client_for(server)


@pytest.fixture
def bucket(s3: Any) -> str:
    """A fresh, empty bucket on ``s3``'s server."""
    return new_bucket(s3)
