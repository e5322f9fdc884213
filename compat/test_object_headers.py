"""Object headers round trip through PutObject and CreateMultipartUpload→Complete, and the 2 KB
user-metadata limit.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from compat.helpers import complete, s3_error, upload_parts

HEADERS: dict[str, Any] = {
    "ContentType": "text/csv; charset=utf-8",
    "ContentDisposition": 'attachment; filename="report.csv"',
    "ContentEncoding": "gzip",
    "ContentLanguage": "en-GB",
    "CacheControl": "max-age=3600, public",
    "Expires": datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC),
    "Metadata": {"owner": "alice", "Mixed-Case": "Value With Spaces"},
}


def _assert_round_trip(response: dict[str, Any]) -> None:
    for name in ("ContentType", "ContentDisposition", "ContentEncoding", "ContentLanguage"):
        assert response[name] == HEADERS[name], name
    assert response["CacheControl"] == HEADERS["CacheControl"]
    assert response["ExpiresString"] == "Thu, 02 Jan 2031 03:04:05 GMT"
    # Header names are case-insensitive: S3 answers user metadata names in lower case.
    assert response["Metadata"] == {"owner": "alice", "mixed-case": "Value With Spaces"}


def test_put_object_headers_round_trip(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"data", **HEADERS)
    _assert_round_trip(s3.head_object(Bucket=bucket, Key="k"))
    got = s3.get_object(Bucket=bucket, Key="k")
    _assert_round_trip(got)
    assert got["Body"].read() == b"data"  # stored as sent: gzip is the object's, not ours


def test_multipart_headers_round_trip(s3: Any, bucket: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k", **HEADERS)["UploadId"]
    parts = upload_parts(s3, bucket, "k", upload_id, {1: b"a" * 5, 2: b"b"})
    complete(s3, bucket, "k", upload_id, parts)
    _assert_round_trip(s3.head_object(Bucket=bucket, Key="k"))
    _assert_round_trip(s3.get_object(Bucket=bucket, Key="k"))


def test_put_object_without_content_type_is_binary_octet_stream(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["ContentType"] == "binary/octet-stream"
    assert head["Metadata"] == {}


def test_put_object_user_metadata_at_2_kb(s3: Any, bucket: str) -> None:
    # 2 KB of names (without "x-amz-meta-") and values, as AWS counts it.
    metadata = {"a": "v" * 1023, "b": "w" * 1023}
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Metadata=metadata)
    assert s3.head_object(Bucket=bucket, Key="k")["Metadata"] == metadata


def test_put_object_user_metadata_over_2_kb_is_metadata_too_large(s3: Any, bucket: str) -> None:
    with s3_error("MetadataTooLarge", 400):
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", Metadata={"a": "v" * 2048})
    with s3_error("MetadataTooLarge", 400):
        s3.create_multipart_upload(Bucket=bucket, Key="k", Metadata={"a": "v" * 2048})
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)
