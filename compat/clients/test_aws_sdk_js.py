"""aws-sdk-js v3 (@aws-sdk/client-s3 and @aws-sdk/lib-storage's Upload), on Node.

compat/clients/js/ holds the npm project (package.json and its lock; `make install` runs
`npm ci` there) and s3.mjs, which runs one command per process. Upload sends 5 MiB parts
(partSize, its minimum) four at a time. Upload.abort() on an upload midway makes it send
AbortMultipartUpload for the parts it sent.
https://docs.aws.amazon.com/AWSJavaScriptSDK/v3/latest/Package/-aws-sdk-lib-storage/
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from compat.clients.matrix import (
    PART,
    STALLED,
    Command,
    assert_stored_multipart,
    assert_upload_gone,
    expected_etag,
    stored_files,
)
from compat.helpers import client_for, new_bucket
from tests.harness import ACCESS_KEY, REGION, SECRET_KEY, Server

PROJECT = Path(__file__).parent / "js"


@pytest.fixture
def node(aws_server: Server, tmp_path: Path) -> Command:
    executable = shutil.which("node")
    assert executable, "node is missing: the JS client needs Node 20 or later"
    assert (PROJECT / "node_modules" / "@aws-sdk" / "lib-storage").is_dir(), (
        "aws-sdk-js is missing: `make install` runs `npm ci` in compat/clients/js"
    )
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "S3MPU_ENDPOINT": aws_server.url,
        "S3MPU_ACCESS_KEY": ACCESS_KEY,
        "S3MPU_SECRET_KEY": SECRET_KEY,
        "S3MPU_REGION": REGION,
        # No shared config or credentials files: the SDK must not find the user's.
        "AWS_CONFIG_FILE": str(home / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
    }
    if aws_server.ca_bundle:
        env["NODE_EXTRA_CA_CERTS"] = aws_server.ca_bundle
    return Command(aws_server, [executable, str(PROJECT / "s3.mjs")], env)


def test_aws_sdk_js_upload_list_get_multipart(
    node: Command, big_file: Path, tmp_path: Path
) -> None:
    s3 = client_for(node.server)
    bucket = new_bucket(s3)
    data = big_file.read_bytes()
    uploaded = node.json("upload", str(big_file), bucket, "dir/big.bin", str(PART))
    assert uploaded == {"ETag": expected_etag(data), "Key": "dir/big.bin"}
    assert_stored_multipart(s3, bucket, "dir/big.bin", data)

    listed = node.json("list", bucket)
    assert listed == [{"Key": "dir/big.bin", "Size": len(data), "ETag": expected_etag(data)}]

    target = tmp_path / "down.bin"
    downloaded = node.json("download", bucket, "dir/big.bin", str(target))
    assert downloaded == {"ContentLength": len(data), "ETag": expected_etag(data)}
    assert target.read_bytes() == data


def test_aws_sdk_js_upload_abort_midway(node: Command) -> None:
    s3 = client_for(node.server)
    bucket = new_bucket(s3)
    before = stored_files(node.server)
    stall = ["stall", bucket, "stalled.bin", str(PART), str(STALLED)]
    upload_id, out = node.stall(s3, bucket, "stalled.bin", stall, b"abort\n")
    assert out == {"aborted": True, "error": "AbortError"}
    assert_upload_gone(node.server, s3, bucket, "stalled.bin", upload_id, before)
