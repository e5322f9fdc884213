"""GetObject/HeadObject details driven through boto3 against the real server."""

from __future__ import annotations

from typing import Any


def test_get_object_response_overrides(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"data", ContentType="text/plain")
    got = s3.get_object(
        Bucket=bucket,
        Key="k",
        ResponseContentType="application/json",
        ResponseContentDisposition='attachment; filename="x.json"',
        ResponseCacheControl="no-cache",
        ResponseContentLanguage="fr",
        ResponseContentEncoding="identity",
    )
    assert got["Body"].read() == b"data"
    assert got["ContentType"] == "application/json"
    assert got["ContentDisposition"] == 'attachment; filename="x.json"'
    assert got["CacheControl"] == "no-cache"
    assert got["ContentLanguage"] == "fr"
    assert got["ContentEncoding"] == "identity"
    head = s3.head_object(Bucket=bucket, Key="k", ResponseContentType="image/png")
    assert head["ContentType"] == "image/png"
    assert head["ContentLength"] == 4
    # Overrides change one answer, not the stored object.
    assert s3.head_object(Bucket=bucket, Key="k")["ContentType"] == "text/plain"


def test_object_without_content_type_answers_binary_octet_stream(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert s3.head_object(Bucket=bucket, Key="k")["ContentType"] == "binary/octet-stream"
