"""The lifecycle sweeper: expired uploads are aborted and expired objects deleted, with their
data files, while everything the rules do not select stays. Watched on a server whose lifecycle
"day" lasts two seconds (--lifecycle-day-seconds).
https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpu-abort-incomplete-mpu-lifecycle-config.html
https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-expire-general-considerations.html
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from compat.helpers import get_bytes, new_bucket, payload, s3_error
from tests.harness import Server, run_server

DAY_SECONDS = 2


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("lifecycle") / "data"
    with run_server(data_dir, "--no-fsync", "--lifecycle-day-seconds", str(DAY_SECONDS)) as running:
        yield running


@pytest.fixture
def s3(server: Server) -> Any:
    return server.client()


def _blob_files(data_dir: Path) -> int:
    return sum(1 for path in (data_dir / "blobs").rglob("*") if path.is_file())


def _wait_for(condition: Any, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_lifecycle_expiry_aborts_uploads_and_expires_objects(s3: Any, server: Server) -> None:
    bucket = new_bucket(s3)
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "abort-tmp",
                    "Filter": {"Prefix": "tmp/"},
                    "Status": "Enabled",
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                },
                {
                    "ID": "expire-old",
                    "Filter": {"Prefix": "old/"},
                    "Status": "Enabled",
                    "Expiration": {"Days": 1},
                },
                {
                    "ID": "disabled",
                    "Filter": {"Prefix": "keep/"},
                    "Status": "Disabled",
                    "Expiration": {"Days": 1},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                },
            ]
        },
    )
    before = _blob_files(server.data_dir)
    doomed = s3.create_multipart_upload(Bucket=bucket, Key="tmp/upload")["UploadId"]
    kept = s3.create_multipart_upload(Bucket=bucket, Key="keep/upload")["UploadId"]
    for key, upload_id in (("tmp/upload", doomed), ("keep/upload", kept)):
        for number in (1, 2):
            s3.upload_part(
                Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=payload(100)
            )
    kept_data = payload(300)
    s3.put_object(Bucket=bucket, Key="old/object", Body=payload(200))
    s3.put_object(Bucket=bucket, Key="keep/object", Body=kept_data)
    assert _blob_files(server.data_dir) == before + 6

    def swept() -> bool:
        uploads = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
        return [u["Key"] for u in uploads] == ["keep/upload"] and keys == ["keep/object"]

    assert _wait_for(swept)
    with s3_error("NoSuchUpload", 404):
        s3.list_parts(Bucket=bucket, Key="tmp/upload", UploadId=doomed)
    with s3_error("NoSuchUpload", 404):
        s3.upload_part(Bucket=bucket, Key="tmp/upload", UploadId=doomed, PartNumber=3, Body=b"x")
    assert get_bytes(s3, bucket, "keep/object") == kept_data
    assert len(s3.list_parts(Bucket=bucket, Key="keep/upload", UploadId=kept)["Parts"]) == 2
    # The aborted upload's parts and the expired object's file are gone from disk.
    assert _blob_files(server.data_dir) == before + 3


def test_lifecycle_expiry_by_size_filter(s3: Any) -> None:
    bucket = new_bucket(s3)
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "mid-sized",
                    "Filter": {"And": {"Prefix": "", "ObjectSizeGreaterThan": 10,
                                       "ObjectSizeLessThan": 100}},
                    "Status": "Enabled",
                    "Expiration": {"Days": 1},
                }
            ]
        },
    )  # fmt: skip
    for size in (10, 11, 99, 100):
        s3.put_object(Bucket=bucket, Key=f"k{size:03d}", Body=payload(size))

    def swept() -> bool:
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
        return keys == ["k010", "k100"]

    assert _wait_for(swept)


def test_lifecycle_expiry_after_delete_bucket_lifecycle_stops(s3: Any) -> None:
    bucket = new_bucket(s3)
    rule = {"ID": "r", "Filter": {}, "Status": "Enabled", "Expiration": {"Days": 1}}
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [rule]})
    s3.delete_bucket_lifecycle(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="stays", Body=b"data")
    # Two whole lifecycle days and more: long enough for the rule, had it stayed, to expire it.
    time.sleep(3 * DAY_SECONDS)
    assert get_bytes(s3, bucket, "stays") == b"data"
