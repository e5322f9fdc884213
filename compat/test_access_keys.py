"""Several access keys from a credentials file: read-only and bucket-scoped keys, black box."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from tests.harness import Server, run_server

CREDENTIALS = """
[[keys]]
access_key = "reader"
secret_key = "reader-secret-0123456789"
access = "read-only"

[[keys]]
access_key = "photos"
secret_key = "photos-secret-0123456789"
buckets = ["photos"]
"""


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("keys")
    creds = root / "credentials.toml"
    creds.write_text(CREDENTIALS)
    with run_server(root / "data", "--no-fsync", "--credentials", str(creds)) as server:
        admin = server.client()
        for bucket in ("photos", "private"):
            admin.create_bucket(Bucket=bucket)
            admin.put_object(Bucket=bucket, Key="existing", Body=b"existing bytes")
        yield server


def _client(server: Server, access_key: str, secret_key: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=server.url,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name="us-east-1",
        config=BotoConfig(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


def _denied(call: Any, *args: Any, **kwargs: Any) -> None:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    assert caught.value.response["Error"]["Code"] == "AccessDenied"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_read_only_key_reads(keyed_server: Server) -> None:
    reader = _client(keyed_server, "reader", "reader-secret-0123456789")
    assert {b["Name"] for b in reader.list_buckets()["Buckets"]} == {"photos", "private"}
    reader.head_bucket(Bucket="private")
    assert reader.get_object(Bucket="private", Key="existing")["Body"].read() == b"existing bytes"
    assert reader.head_object(Bucket="private", Key="existing")["ContentLength"] == 14
    assert [o["Key"] for o in reader.list_objects_v2(Bucket="private")["Contents"]] == ["existing"]
    assert reader.list_multipart_uploads(Bucket="private").get("Uploads", []) == []


def test_read_only_key_every_write_operation_denied(keyed_server: Server) -> None:
    reader = _client(keyed_server, "reader", "reader-secret-0123456789")
    admin = keyed_server.client()
    upload_id = admin.create_multipart_upload(Bucket="private", Key="mpu")["UploadId"]
    etag = admin.upload_part(
        Bucket="private", Key="mpu", UploadId=upload_id, PartNumber=1, Body=b"part"
    )["ETag"]
    assert reader.list_parts(Bucket="private", Key="mpu", UploadId=upload_id)["Parts"]
    _denied(reader.create_bucket, Bucket="newbucket")
    _denied(reader.delete_bucket, Bucket="private")
    _denied(reader.put_object, Bucket="private", Key="existing", Body=b"overwrite")
    _denied(reader.delete_object, Bucket="private", Key="existing")
    _denied(reader.create_multipart_upload, Bucket="private", Key="k")
    _denied(
        reader.upload_part, Bucket="private", Key="mpu", UploadId=upload_id, PartNumber=2,
        Body=b"more",
    )  # fmt: skip
    _denied(
        reader.complete_multipart_upload, Bucket="private", Key="mpu", UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
    )  # fmt: skip
    _denied(reader.abort_multipart_upload, Bucket="private", Key="mpu", UploadId=upload_id)
    # Nothing changed.
    assert admin.get_object(Bucket="private", Key="existing")["Body"].read() == b"existing bytes"
    parts = admin.list_parts(Bucket="private", Key="mpu", UploadId=upload_id)["Parts"]
    assert [p["PartNumber"] for p in parts] == [1]
    assert {b["Name"] for b in admin.list_buckets()["Buckets"]} == {"photos", "private"}
    admin.abort_multipart_upload(Bucket="private", Key="mpu", UploadId=upload_id)


def test_bucket_scoped_key(keyed_server: Server) -> None:
    scoped = _client(keyed_server, "photos", "photos-secret-0123456789")
    assert [b["Name"] for b in scoped.list_buckets()["Buckets"]] == ["photos"]
    scoped.put_object(Bucket="photos", Key="new", Body=b"mine")
    assert scoped.get_object(Bucket="photos", Key="new")["Body"].read() == b"mine"
    _denied(scoped.get_object, Bucket="private", Key="existing")
    _denied(scoped.put_object, Bucket="private", Key="new", Body=b"x")
    _denied(scoped.list_objects_v2, Bucket="private")
    _denied(scoped.create_multipart_upload, Bucket="private", Key="k")
    _denied(scoped.create_bucket, Bucket="another")


def test_env_pair_still_works_beside_the_file(keyed_server: Server) -> None:
    assert keyed_server.client().head_object(Bucket="photos", Key="existing")["ContentLength"]


def test_anonymous_request_denied(keyed_server: Server) -> None:
    anonymous = boto3.client(
        "s3", endpoint_url=keyed_server.url, region_name="us-east-1",
        config=BotoConfig(signature_version=UNSIGNED, s3={"addressing_style": "path"}),
    )  # fmt: skip
    _denied(anonymous.get_object, Bucket="photos", Key="existing")
    _denied(anonymous.list_buckets)


def test_secrets_never_logged(keyed_server: Server) -> None:
    with pytest.raises(ClientError):
        _client(keyed_server, "reader", "wrong-secret").list_buckets()
    log = keyed_server.log()
    for secret in ("reader-secret-0123456789", "photos-secret-0123456789", "wrong-secret"):
        assert secret not in log


def test_bucket_scoped_key_cannot_copy_from_another_bucket(keyed_server: Server) -> None:
    photos = _client(keyed_server, "photos", "photos-secret-0123456789")
    _denied(photos.copy_object, Bucket="photos", Key="stolen", CopySource="private/existing")
    upload_id = photos.create_multipart_upload(Bucket="photos", Key="stolen")["UploadId"]
    _denied(
        photos.upload_part_copy, Bucket="photos", Key="stolen", UploadId=upload_id,
        PartNumber=1, CopySource="private/existing",
    )  # fmt: skip
    photos.copy_object(Bucket="photos", Key="copy", CopySource="photos/existing")
    assert photos.get_object(Bucket="photos", Key="copy")["Body"].read() == b"existing bytes"


def test_read_only_key_cannot_copy(keyed_server: Server) -> None:
    reader = _client(keyed_server, "reader", "reader-secret-0123456789")
    _denied(reader.copy_object, Bucket="photos", Key="copy2", CopySource="photos/existing")
