"""minio-py (the MinIO Python SDK): fput_object, list_objects, fget_object, and put_object
from a stream that fails midway.

The client is built as its documentation shows, with no region: it asks GetBucketLocation
before its first request to a bucket. It uploads in 5 MiB parts (part_size, its minimum). The
SDK has no public call to abort an upload: put_object aborts its own upload when reading the
source fails, and that is what the interrupted upload exercises.
https://min.io/docs/minio/linux/developers/python/API.html
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3
from minio import Minio

from compat.clients.matrix import (
    PART,
    STALLED,
    assert_stored_multipart,
    assert_upload_gone,
    stored_files,
    wait_for_parts,
)
from compat.helpers import client_for, new_bucket
from tests.harness import ACCESS_KEY, SECRET_KEY, Server


@pytest.fixture
def minio(aws_server: Server) -> Iterator[Minio]:
    pool = urllib3.PoolManager(
        cert_reqs="CERT_REQUIRED" if aws_server.ca_bundle else "CERT_NONE",
        ca_certs=aws_server.ca_bundle,
        retries=urllib3.Retry(total=0),
    )
    scheme, host = aws_server.url.split("://", 1)
    try:
        yield Minio(
            host,
            access_key=ACCESS_KEY,
            secret_key=SECRET_KEY,
            secure=scheme == "https",
            http_client=pool,
        )
    finally:
        pool.clear()


def test_minio_py_fput_list_fget_multipart(
    minio: Minio, aws_server: Server, big_file: Path, tmp_path: Path
) -> None:
    s3 = client_for(aws_server)
    bucket = new_bucket(s3)
    minio.fput_object(bucket, "dir/big.bin", str(big_file), part_size=PART)
    data = big_file.read_bytes()
    assert_stored_multipart(s3, bucket, "dir/big.bin", data)

    listed = [(o.object_name, o.size) for o in minio.list_objects(bucket, recursive=True)]
    assert listed == [("dir/big.bin", len(data))]
    assert [o.object_name for o in minio.list_objects(bucket)] == ["dir/"]

    target = tmp_path / "down.bin"
    minio.fget_object(bucket, "dir/big.bin", str(target))
    assert target.read_bytes() == data


class FailingSource:
    """Gives STALLED bytes; asked for more, waits until the server holds two parts, then fails."""

    def __init__(self, on_stall: Any) -> None:
        self.left = STALLED
        self.on_stall = on_stall

    def read(self, size: int = -1) -> bytes:
        if self.left == 0:
            self.on_stall()
            raise OSError("the source failed midway")
        count = self.left if size < 0 else min(size, self.left)
        self.left -= count
        return bytes(count)


def test_minio_py_put_object_source_fails_then_upload_aborted(
    minio: Minio, aws_server: Server
) -> None:
    s3 = client_for(aws_server)
    bucket = new_bucket(s3)
    before = stored_files(aws_server)
    seen: list[str] = []
    source = FailingSource(lambda: seen.append(wait_for_parts(s3, bucket, "stalled.bin", 2)))

    # length=-1: a stream of unknown size, sent in part_size parts.
    with pytest.raises(OSError, match="the source failed midway"):
        minio.put_object(bucket, "stalled.bin", source, length=-1, part_size=PART)
    [upload_id] = seen
    assert_upload_gone(aws_server, s3, bucket, "stalled.bin", upload_id, before)
