"""s3fs (fsspec's S3 filesystem, on aiobotocore): put_file, find, get_file, and a write that
fails inside an fsspec transaction.

put_file goes multipart from twice its chunksize (5 MiB here, the smallest S3File allows). A file
opened for writing inside ``fs.transaction`` is not committed on close; when the transaction ends
with an exception, s3fs discards it, which aborts its multipart upload.
https://s3fs.readthedocs.io/en/latest/
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import s3fs

from compat.clients.matrix import (
    PART,
    STALLED,
    assert_stored_multipart,
    assert_upload_gone,
    stored_files,
    wait_for_parts,
)
from compat.helpers import client_for, new_bucket
from tests.harness import ACCESS_KEY, REGION, SECRET_KEY, Server


@pytest.fixture
def fs(aws_server: Server) -> Iterator[s3fs.S3FileSystem]:
    client_kwargs: dict[str, str] = {"region_name": REGION}
    if aws_server.ca_bundle:
        client_kwargs["verify"] = aws_server.ca_bundle
    filesystem = s3fs.S3FileSystem(
        key=ACCESS_KEY,
        secret=SECRET_KEY,
        endpoint_url=aws_server.url,
        client_kwargs=client_kwargs,
        config_kwargs={"retries": {"max_attempts": 1, "mode": "standard"}},
        skip_instance_cache=True,
    )
    yield filesystem
    filesystem.close_session(filesystem.loop, filesystem.s3)  # type: ignore[no-untyped-call]


def test_s3fs_put_find_get_multipart(
    fs: s3fs.S3FileSystem, aws_server: Server, big_file: Path, tmp_path: Path
) -> None:
    s3 = client_for(aws_server)
    bucket = new_bucket(s3)
    fs.put_file(str(big_file), f"{bucket}/dir/big.bin", chunksize=PART)
    data = big_file.read_bytes()
    assert_stored_multipart(s3, bucket, "dir/big.bin", data)

    assert fs.find(bucket, detail=False) == [f"{bucket}/dir/big.bin"]
    assert fs.ls(bucket, detail=False) == [f"{bucket}/dir"]
    assert fs.size(f"{bucket}/dir/big.bin") == len(data)

    target = tmp_path / "down.bin"
    fs.get_file(f"{bucket}/dir/big.bin", str(target))
    assert target.read_bytes() == data


def _write_two_parts_then_fail(
    fs: s3fs.S3FileSystem, s3: Any, bucket: str, seen: list[str]
) -> None:
    with fs.transaction, fs.open(f"{bucket}/stalled.bin", "wb", block_size=PART) as f:
        # S3File sends its buffer as one part each time it reaches block_size.
        for size in (PART, PART, STALLED - 2 * PART):
            f.write(bytes(size))
        seen.append(wait_for_parts(s3, bucket, "stalled.bin", 2))
        raise RuntimeError("the writer failed midway")


def test_s3fs_write_fails_in_transaction_then_upload_aborted(
    fs: s3fs.S3FileSystem, aws_server: Server
) -> None:
    s3 = client_for(aws_server)
    bucket = new_bucket(s3)
    before = stored_files(aws_server)
    seen: list[str] = []
    with pytest.raises(RuntimeError, match="midway"):
        _write_two_parts_then_fail(fs, s3, bucket, seen)
    [upload_id] = seen
    assert_upload_gone(aws_server, s3, bucket, "stalled.bin", upload_id, before)
