"""s3fs (fsspec's S3 filesystem, on aiobotocore): put_file, find, get_file, and a write that
fails inside an fsspec transaction.

s3fs runs in its own virtualenv (compat/clients/s3fs/.venv; `make install` builds it from
requirements.txt there), since its aiobotocore pins a botocore older than the test
environment's boto3. compat/clients/s3fs/fs.py runs one s3fs call per process.

put_file goes multipart from twice its chunksize (5 MiB here, the smallest S3File allows). A file
opened for writing inside ``fs.transaction`` is not committed on close; when the transaction ends
with an exception, s3fs discards it, which aborts its multipart upload.
https://s3fs.readthedocs.io/en/latest/
"""

from __future__ import annotations

from pathlib import Path

import pytest

from compat.clients.matrix import (
    PART,
    STALLED,
    Command,
    assert_stored_multipart,
    assert_upload_gone,
    stored_files,
)
from compat.helpers import client_for, new_bucket
from tests.harness import ACCESS_KEY, REGION, SECRET_KEY, Server

PROJECT = Path(__file__).parent / "s3fs"


@pytest.fixture
def fs(aws_server: Server, tmp_path: Path) -> Command:
    # The stamp is written last, after a complete install (Makefile).
    python = PROJECT / ".venv" / "bin" / "python"
    assert (PROJECT / ".venv" / ".installed").is_file(), (
        "s3fs is missing: `make install` builds compat/clients/s3fs/.venv"
    )
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "S3MPU_ENDPOINT": aws_server.url,
        "S3MPU_ACCESS_KEY": ACCESS_KEY,
        "S3MPU_SECRET_KEY": SECRET_KEY,
        "S3MPU_REGION": REGION,
        "S3MPU_CA_BUNDLE": aws_server.ca_bundle or "",
        # No shared config or credentials files: botocore must not find the user's.
        "AWS_CONFIG_FILE": str(home / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
    }
    return Command(aws_server, [str(python), str(PROJECT / "fs.py")], env)


def test_s3fs_put_find_get_multipart(fs: Command, big_file: Path, tmp_path: Path) -> None:
    s3 = client_for(fs.server)
    bucket = new_bucket(s3)
    fs.run("put_file", str(big_file), f"{bucket}/dir/big.bin", str(PART))
    data = big_file.read_bytes()
    assert_stored_multipart(s3, bucket, "dir/big.bin", data)

    assert fs.json("find", bucket) == [f"{bucket}/dir/big.bin"]
    assert fs.json("ls", bucket) == [f"{bucket}/dir"]
    assert fs.json("size", f"{bucket}/dir/big.bin") == len(data)

    target = tmp_path / "down.bin"
    fs.run("get_file", f"{bucket}/dir/big.bin", str(target))
    assert target.read_bytes() == data


def test_s3fs_write_fails_in_transaction_then_upload_aborted(fs: Command) -> None:
    s3 = client_for(fs.server)
    bucket = new_bucket(s3)
    before = stored_files(fs.server)
    stall = ["stall", f"{bucket}/stalled.bin", str(PART), str(STALLED)]
    upload_id, out = fs.stall(s3, bucket, "stalled.bin", stall, b"fail\n")
    assert out == {"error": "RuntimeError"}
    assert_upload_gone(fs.server, s3, bucket, "stalled.bin", upload_id, before)
