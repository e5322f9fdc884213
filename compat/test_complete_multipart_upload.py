"""CompleteMultipartUpload and the multipart lifecycle around it.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
from botocore.exceptions import ClientError

from compat.helpers import (
    all_at_once,
    client_for,
    complete,
    get_bytes,
    multipart_etag,
    new_bucket,
    payload,
    s3_error,
    upload_parts,
)
from tests.harness import Server, run_server


@pytest.fixture
def server(http_server: Server) -> Server:
    return http_server


@pytest.fixture(scope="module")
def min_1k_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose parts but the last must be at least 1 KiB."""
    data_dir = tmp_path_factory.mktemp("min1k") / "data"
    with run_server(data_dir, "--no-fsync", min_part_size=1024) as running:
        yield running


def start(s3: Any, bucket: str, key: str = "k") -> str:
    return s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]  # type: ignore[no-any-return]


def test_complete_multipart_upload_lifecycle(s3: Any, bucket: str) -> None:
    parts = {1: payload(1000), 2: payload(1000), 3: payload(10)}
    upload_id = start(s3, bucket)
    listed = upload_parts(s3, bucket, "k", upload_id, parts)
    assert [
        p["PartNumber"] for p in s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)["Parts"]
    ] == [1, 2, 3]

    done = complete(s3, bucket, "k", upload_id, listed)
    expected_etag = multipart_etag(list(parts.values()))
    assert done["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert (done["Bucket"], done["Key"], done["ETag"]) == (bucket, "k", expected_etag)
    assert done["Location"]

    whole = b"".join(parts.values())
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == whole
    assert got["ETag"] == expected_etag
    head = s3.head_object(Bucket=bucket, Key="k")
    assert (head["ContentLength"], head["ETag"]) == (len(whole), expected_etag)
    listed_objects = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(o["Key"], o["ETag"], o["Size"]) for o in listed_objects] == [
        ("k", expected_etag, len(whole))
    ]
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_complete_multipart_upload_parts_in_any_order_with_gaps(s3: Any, bucket: str) -> None:
    parts = {7: payload(300), 2: payload(100), 5: payload(200)}
    upload_id = start(s3, bucket)
    listed = upload_parts(s3, bucket, "k", upload_id, parts)
    assert [p["PartNumber"] for p in listed] == [2, 5, 7]
    done = complete(s3, bucket, "k", upload_id, listed)
    ordered = [parts[2], parts[5], parts[7]]
    assert done["ETag"] == multipart_etag(ordered)
    assert get_bytes(s3, bucket, "k") == b"".join(ordered)


def test_complete_multipart_upload_parts_out_of_order_is_invalid_part_order(
    s3: Any, bucket: str
) -> None:
    upload_id = start(s3, bucket)
    listed = upload_parts(s3, bucket, "k", upload_id, {1: payload(10), 2: payload(10)})
    with s3_error("InvalidPartOrder", 400):
        complete(s3, bucket, "k", upload_id, list(reversed(listed)))
    # The upload is still open and completes with the right order.
    assert complete(s3, bucket, "k", upload_id, listed)["ETag"].endswith('-2"')


def test_complete_multipart_upload_unknown_part_is_invalid_part(s3: Any, bucket: str) -> None:
    upload_id = start(s3, bucket)
    listed = upload_parts(s3, bucket, "k", upload_id, {1: payload(10)})
    with s3_error("InvalidPart", 400):
        complete(
            s3, bucket, "k", upload_id, [*listed, {"PartNumber": 2, "ETag": listed[0]["ETag"]}]
        )
    wrong_etag = '"' + "0" * 32 + '"'
    with s3_error("InvalidPart", 400):
        complete(s3, bucket, "k", upload_id, [{"PartNumber": 1, "ETag": wrong_etag}])
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="k")


def test_complete_multipart_upload_etag_without_quotes_accepted(s3: Any, bucket: str) -> None:
    data = payload(10)
    upload_id = start(s3, bucket)
    [part] = upload_parts(s3, bucket, "k", upload_id, {1: data})
    done = complete(
        s3, bucket, "k", upload_id, [{"PartNumber": 1, "ETag": part["ETag"].strip('"')}]
    )
    assert done["ETag"] == multipart_etag([data])


def test_complete_multipart_upload_no_parts_is_malformed_xml(s3: Any, bucket: str) -> None:
    upload_id = start(s3, bucket)
    upload_parts(s3, bucket, "k", upload_id, {1: payload(10)})
    with s3_error("MalformedXML", 400):
        complete(s3, bucket, "k", upload_id, [])


def test_complete_multipart_upload_part_too_small_is_entity_too_small(
    min_1k_server: Server,
) -> None:
    s3 = client_for(min_1k_server)
    bucket = new_bucket(s3)
    upload_id = start(s3, bucket)
    listed = upload_parts(s3, bucket, "k", upload_id, {1: payload(1023), 2: payload(2000)})
    with s3_error("EntityTooSmall", 400):
        complete(s3, bucket, "k", upload_id, listed)
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="k")
    # Still open: replacing the small part makes it completable.
    big = payload(1024)
    listed[0]["ETag"] = s3.upload_part(
        Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=big
    )["ETag"]
    complete(s3, bucket, "k", upload_id, listed)
    assert len(get_bytes(s3, bucket, "k")) == 1024 + 2000


def test_complete_multipart_upload_small_last_part_accepted(min_1k_server: Server) -> None:
    s3 = client_for(min_1k_server)
    bucket = new_bucket(s3)
    parts = {1: payload(1024), 2: payload(1)}
    upload_id = start(s3, bucket)
    complete(s3, bucket, "k", upload_id, upload_parts(s3, bucket, "k", upload_id, parts))
    assert get_bytes(s3, bucket, "k") == b"".join(parts.values())
    # A single small part is also the last one.
    upload_id = start(s3, bucket, "single")
    complete(
        s3, bucket, "single", upload_id, upload_parts(s3, bucket, "single", upload_id, {1: b"x"})
    )
    assert get_bytes(s3, bucket, "single") == b"x"


def test_complete_multipart_upload_no_such_upload(s3: Any, bucket: str) -> None:
    with s3_error("NoSuchUpload", 404):
        complete(s3, bucket, "k", "no-such-upload", [{"PartNumber": 1, "ETag": '"abc"'}])


def test_complete_multipart_upload_unlisted_parts_are_gone(s3: Any, bucket: str) -> None:
    parts = {1: payload(100), 2: payload(100), 3: payload(100)}
    upload_id = start(s3, bucket)
    listed = upload_parts(s3, bucket, "k", upload_id, parts)
    done = complete(s3, bucket, "k", upload_id, [listed[0], listed[2]])
    assert done["ETag"] == multipart_etag([parts[1], parts[3]])
    assert get_bytes(s3, bucket, "k") == parts[1] + parts[3]
    with s3_error("NoSuchUpload", 404):
        s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)


def test_complete_multipart_upload_retry_returns_same_etag(s3: Any, bucket: str) -> None:
    parts = {1: payload(50), 2: payload(20)}
    upload_id = start(s3, bucket)
    listed = upload_parts(s3, bucket, "k", upload_id, parts)
    first = complete(s3, bucket, "k", upload_id, listed)
    again = complete(s3, bucket, "k", upload_id, listed)
    assert again["ETag"] == first["ETag"] == multipart_etag(list(parts.values()))
    assert get_bytes(s3, bucket, "k") == b"".join(parts.values())


def test_complete_multipart_upload_replaces_existing_object(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"old", Metadata={"old": "yes"})
    data = payload(64)
    upload_id = start(s3, bucket)
    complete(s3, bucket, "k", upload_id, upload_parts(s3, bucket, "k", upload_id, {1: data}))
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == data
    assert got["Metadata"] == {}


def test_complete_multipart_upload_two_uploads_one_key_last_wins(s3: Any, bucket: str) -> None:
    first_data, second_data = payload(40), payload(60)
    first = start(s3, bucket)
    second = start(s3, bucket)
    first_parts = upload_parts(s3, bucket, "k", first, {1: first_data})
    second_parts = upload_parts(s3, bucket, "k", second, {1: second_data})
    complete(s3, bucket, "k", second, second_parts)
    assert get_bytes(s3, bucket, "k") == second_data
    done = complete(s3, bucket, "k", first, first_parts)
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == first_data
    assert got["ETag"] == done["ETag"] == multipart_etag([first_data])


def test_complete_multipart_upload_concurrent_completes_one_key(s3: Any, bucket: str) -> None:
    inputs = [payload(1000 + i) for i in range(4)]
    uploads = []
    for data in inputs:
        upload_id = start(s3, bucket)
        uploads.append(
            (upload_id, upload_parts(s3, bucket, "k", upload_id, {1: data[:500], 2: data[500:]}))
        )
    results = all_at_once(
        [partial(complete, s3, bucket, "k", upload_id, listed) for upload_id, listed in uploads]
    )
    assert all(r["ResponseMetadata"]["HTTPStatusCode"] == 200 for r in results)
    got = s3.get_object(Bucket=bucket, Key="k")
    body = got["Body"].read()
    assert body in inputs
    assert got["ETag"] == multipart_etag([body[:500], body[500:]])
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_complete_multipart_upload_wrong_key_is_no_such_upload(s3: Any, bucket: str) -> None:
    upload_id = start(s3, bucket)
    listed = upload_parts(s3, bucket, "k", upload_id, {1: payload(10)})
    with s3_error("NoSuchUpload", 404):
        complete(s3, bucket, "other", upload_id, listed)
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="other")


@pytest.mark.parametrize("key", ["a b/ü日本", "plus+and%25", "q?x#y", "deep/a/b//c/"])
def test_complete_multipart_upload_special_keys(s3: Any, bucket: str, key: str) -> None:
    parts = {1: payload(20), 2: payload(7)}
    upload_id = start(s3, bucket, key)
    listed = upload_parts(s3, bucket, key, upload_id, parts)
    assert len(s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)["Parts"]) == 2
    assert [u["Key"] for u in s3.list_multipart_uploads(Bucket=bucket)["Uploads"]] == [key]
    done = complete(s3, bucket, key, upload_id, listed)
    assert done["Key"] == key
    assert get_bytes(s3, bucket, key) == b"".join(parts.values())
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == [key]


def test_complete_multipart_upload_concurrent_retries_agree(s3: Any, bucket: str) -> None:
    parts = {1: payload(300), 2: payload(30)}
    upload_id = start(s3, bucket)
    listed = upload_parts(s3, bucket, "k", upload_id, parts)

    def finish() -> str:
        try:
            return str(complete(s3, bucket, "k", upload_id, listed)["ETag"])
        except ClientError as err:
            return str(err.response["Error"]["Code"])

    outcomes = all_at_once([finish] * 4)
    expected = multipart_etag(list(parts.values()))
    # AWS lets a racing duplicate fail with NoSuchUpload; s3mpu answers it the same result.
    assert expected in outcomes
    assert set(outcomes) <= {expected, "NoSuchUpload"}
    assert get_bytes(s3, bucket, "k") == b"".join(parts.values())


def test_complete_multipart_upload_object_invisible_until_complete(s3: Any, bucket: str) -> None:
    upload_id = start(s3, bucket)
    listed = upload_parts(s3, bucket, "k", upload_id, {1: payload(10)})
    with s3_error("404", 404):
        s3.head_object(Bucket=bucket, Key="k")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    complete(s3, bucket, "k", upload_id, listed)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 1


def test_complete_multipart_upload_upload_of_another_bucket(s3: Any, bucket: str) -> None:
    other = new_bucket(s3)
    upload_id = start(s3, bucket)
    listed = upload_parts(s3, bucket, "k", upload_id, {1: payload(10)})
    with s3_error("NoSuchUpload", 404):
        complete(s3, other, "k", upload_id, listed)
    with s3_error("NoSuchUpload", 404):
        s3.list_parts(Bucket=other, Key="k", UploadId=upload_id)
    complete(s3, bucket, "k", upload_id, listed)


# Conditional writes. https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html


def _one_part_upload(s3: Any, bucket: str, key: str, data: bytes) -> tuple[str, list[Any]]:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    return upload_id, upload_parts(s3, bucket, key, upload_id, {1: data})


def test_complete_multipart_upload_if_none_match_keeps_upload(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"existing")
    upload_id, parts = _one_part_upload(s3, bucket, "k", b"new data")
    with s3_error("PreconditionFailed", 412):
        s3.complete_multipart_upload(
            Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": parts},
            IfNoneMatch="*",
        )  # fmt: skip
    assert get_bytes(s3, bucket, "k") == b"existing"
    # The upload is intact: the client can retry without the condition, or abort.
    assert len(s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)["Parts"]) == 1
    complete(s3, bucket, "k", upload_id, parts)
    assert get_bytes(s3, bucket, "k") == b"new data"


def test_complete_multipart_upload_if_none_match_on_new_key(s3: Any, bucket: str) -> None:
    upload_id, parts = _one_part_upload(s3, bucket, "k", b"new data")
    s3.complete_multipart_upload(
        Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": parts},
        IfNoneMatch="*",
    )  # fmt: skip
    assert get_bytes(s3, bucket, "k") == b"new data"


def test_complete_multipart_upload_if_match(s3: Any, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="k", Body=b"v1")["ETag"]
    upload_id, parts = _one_part_upload(s3, bucket, "k", b"v2 data")
    s3.put_object(Bucket=bucket, Key="k", Body=b"v1 again, changed")
    with s3_error("PreconditionFailed", 412):
        s3.complete_multipart_upload(
            Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": parts},
            IfMatch=etag,
        )  # fmt: skip
    current = s3.head_object(Bucket=bucket, Key="k")["ETag"]
    s3.complete_multipart_upload(
        Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": parts},
        IfMatch=current,
    )  # fmt: skip
    assert get_bytes(s3, bucket, "k") == b"v2 data"


def test_complete_multipart_upload_if_match_missing_key(s3: Any, bucket: str) -> None:
    upload_id, parts = _one_part_upload(s3, bucket, "k", b"data")
    with s3_error("NoSuchKey", 404):
        s3.complete_multipart_upload(
            Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": parts},
            IfMatch='"0123456789abcdef0123456789abcdef"',
        )  # fmt: skip
    s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id)


def test_complete_multipart_upload_if_none_match_concurrent_uploads_one_wins(
    s3: Any, bucket: str
) -> None:
    # Eight uploads to one new key, completed at once with If-None-Match: exactly one creates
    # the object; every other gets 412 and keeps its upload.
    uploads = [_one_part_upload(s3, bucket, "k", f"writer {n}".encode()) for n in range(8)]

    def attempt(upload_id: str, parts: list[Any]) -> str:
        try:
            s3.complete_multipart_upload(
                Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": parts},
                IfNoneMatch="*",
            )  # fmt: skip
        except ClientError as error:
            return str(error.response["Error"]["Code"])
        return "ok"

    results = all_at_once([partial(attempt, u, p) for u, p in uploads])
    assert sorted(results) == ["PreconditionFailed"] * 7 + ["ok"]
    winner = results.index("ok")
    assert get_bytes(s3, bucket, "k") == f"writer {winner}".encode()
    left = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert sorted(u["UploadId"] for u in left) == sorted(
        u for n, (u, _) in enumerate(uploads) if n != winner
    )
