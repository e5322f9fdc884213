"""Object tags: x-amz-tagging on PutObject and CreateMultipartUpload, GetObjectTagging,
PutObjectTagging, DeleteObjectTagging, x-amz-tagging-count, and S3's limits.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html
"""

from __future__ import annotations

from typing import Any

import pytest

from compat.helpers import complete, s3_error, upload_parts


def _tags(s3: Any, bucket: str, key: str) -> list[dict[str, str]]:
    return s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]  # type: ignore[no-any-return]


def test_put_object_with_tagging(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="team=blue&cost%20centre=4%2F2")
    assert _tags(s3, bucket, "k") == [
        {"Key": "cost centre", "Value": "4/2"},
        {"Key": "team", "Value": "blue"},
    ]
    assert s3.head_object(Bucket=bucket, Key="k")["TagCount"] == 2
    assert s3.get_object(Bucket=bucket, Key="k")["TagCount"] == 2


def test_multipart_upload_with_tagging(s3: Any, bucket: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k", Tagging="a=1")["UploadId"]
    complete(s3, bucket, "k", upload_id, upload_parts(s3, bucket, "k", upload_id, {1: b"x"}))
    assert _tags(s3, bucket, "k") == [{"Key": "a", "Value": "1"}]


def test_put_get_delete_object_tagging(s3: Any, bucket: str) -> None:
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="old=1")
    s3.put_object_tagging(
        Bucket=bucket,
        Key="k",
        Tagging={"TagSet": [{"Key": "b", "Value": ""}, {"Key": "a", "Value": "é ü"}]},
    )
    assert _tags(s3, bucket, "k") == [{"Key": "a", "Value": "é ü"}, {"Key": "b", "Value": ""}]
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["ETag"] == put["ETag"]  # tagging leaves the object alone
    s3.delete_object_tagging(Bucket=bucket, Key="k")
    assert _tags(s3, bucket, "k") == []
    assert "TagCount" not in s3.head_object(Bucket=bucket, Key="k")


def test_put_object_tagging_empty_tag_set_removes_tags(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="a=1")
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": []})
    assert _tags(s3, bucket, "k") == []


def test_object_tagging_limits_accepted(s3: Any, bucket: str) -> None:
    tags = [{"Key": f"{n}" + "k" * 127, "Value": "v" * 256} for n in range(10)]
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": tags})
    assert len(_tags(s3, bucket, "k")) == 10


@pytest.mark.parametrize(
    ("tags", "code"),
    [
        ([{"Key": str(n), "Value": "v"} for n in range(11)], "BadRequest"),
        ([{"Key": "k" * 129, "Value": "v"}], "InvalidTag"),
        ([{"Key": "k", "Value": "v" * 257}], "InvalidTag"),
        ([{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}], "InvalidTag"),
        ([{"Key": "aws:k", "Value": "v"}], "InvalidTag"),
    ],
)
def test_put_object_tagging_refused(
    s3: Any, bucket: str, tags: list[dict[str, str]], code: str
) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="keep=1")
    with s3_error(code, 400):
        s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": tags})
    assert _tags(s3, bucket, "k") == [{"Key": "keep", "Value": "1"}]


def test_put_object_bad_tagging_header_stores_nothing(s3: Any, bucket: str) -> None:
    with s3_error("InvalidArgument", 400):
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="a=1&a=2")
    with s3_error("BadRequest", 400):
        s3.put_object(
            Bucket=bucket, Key="k", Body=b"x", Tagging="&".join(f"k{n}=v" for n in range(11))
        )
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_object_tagging_no_such_key(s3: Any, bucket: str) -> None:
    with s3_error("NoSuchKey", 404):
        s3.get_object_tagging(Bucket=bucket, Key="missing")
    with s3_error("NoSuchKey", 404):
        s3.put_object_tagging(Bucket=bucket, Key="missing", Tagging={"TagSet": []})
    with s3_error("NoSuchKey", 404):
        s3.delete_object_tagging(Bucket=bucket, Key="missing")
