"""DeleteObjects: verbose and Quiet answers, per-key errors, the 1,000-key limit.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
"""

from __future__ import annotations

from typing import Any

from compat.helpers import s3_error
from tests.server.rawhttp import keys as listed_keys


def _put(s3: Any, bucket: str, *names: str) -> None:
    for name in names:
        s3.put_object(Bucket=bucket, Key=name, Body=name.encode())


def test_delete_objects_verbose(s3: Any, bucket: str) -> None:
    _put(s3, bucket, "a", "b/c", "keep")
    response = s3.delete_objects(
        Bucket=bucket,
        Delete={"Objects": [{"Key": "a"}, {"Key": "b/c"}, {"Key": "never-existed"}]},
    )
    # A key that does not exist is reported deleted, as S3 does.
    assert sorted(d["Key"] for d in response["Deleted"]) == ["a", "b/c", "never-existed"]
    assert "Errors" not in response
    assert listed_keys(s3, bucket) == ["keep"]


def test_delete_objects_quiet_lists_nothing_deleted(s3: Any, bucket: str) -> None:
    _put(s3, bucket, "a", "b")
    response = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "a"}, {"Key": "b"}], "Quiet": True}
    )
    assert "Deleted" not in response
    assert "Errors" not in response
    assert listed_keys(s3, bucket) == []


def test_delete_objects_per_key_errors(s3: Any, bucket: str) -> None:
    _put(s3, bucket, "a", "b")
    response = s3.delete_objects(
        Bucket=bucket,
        Delete={
            "Objects": [{"Key": "a"}, {"Key": "k" * 1025}, {"Key": "b", "VersionId": "v1"}],
            "Quiet": True,
        },
    )
    errors = {e["Key"][:4]: e["Code"] for e in response["Errors"]}
    assert errors == {"kkkk": "KeyTooLongError", "b": "NoSuchVersion"}
    # The keys that had no error were deleted; the others were left alone.
    assert listed_keys(s3, bucket) == ["b"]


def test_delete_objects_null_version_is_the_object(s3: Any, bucket: str) -> None:
    _put(s3, bucket, "a")
    response = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "a", "VersionId": "null"}]}
    )
    assert response["Deleted"] == [{"Key": "a", "VersionId": "null"}]
    assert listed_keys(s3, bucket) == []


def test_delete_objects_special_keys(s3: Any, bucket: str) -> None:
    names = ["sp ace", "a&b<c>", "é/ü", " lead"]
    _put(s3, bucket, *names)
    response = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": n} for n in names]})
    assert sorted(d["Key"] for d in response["Deleted"]) == sorted(names)
    assert listed_keys(s3, bucket) == []


def test_delete_objects_1000_keys(s3: Any, bucket: str) -> None:
    _put(s3, bucket, "k0000", "k0999")
    objects = [{"Key": f"k{n:04d}"} for n in range(1000)]
    response = s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
    assert "Errors" not in response
    assert listed_keys(s3, bucket) == []


def test_delete_objects_1001_keys_is_malformed(s3: Any, bucket: str) -> None:
    _put(s3, bucket, "k0000")
    objects = [{"Key": f"k{n:04d}"} for n in range(1001)]
    with s3_error("MalformedXML", 400):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": objects})
    assert listed_keys(s3, bucket) == ["k0000"]


def test_delete_objects_no_such_bucket(s3: Any) -> None:
    with s3_error("NoSuchBucket", 404):
        s3.delete_objects(Bucket="compat-no-such-bucket-delete", Delete={"Objects": [{"Key": "a"}]})
