"""GetObjectAttributes: ETag, ObjectSize, StorageClass, Checksum, and ObjectParts paged with
MaxParts and PartNumberMarker.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html
"""

from __future__ import annotations

from typing import Any

from compat.helpers import complete, md5_hex, s3_error, upload_parts

EVERY = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]


def test_get_object_attributes_of_a_plain_object(s3: Any, bucket: str) -> None:
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"data", ChecksumAlgorithm="SHA256")
    got = s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=EVERY)
    assert got["ETag"] == md5_hex(b"data")  # unquoted, as AWS answers here
    assert got["ObjectSize"] == 4
    assert got["StorageClass"] == "STANDARD"
    assert got["Checksum"] == {
        "ChecksumSHA256": put["ChecksumSHA256"], "ChecksumType": "FULL_OBJECT",
    }  # fmt: skip
    assert "ObjectParts" not in got
    assert got["LastModified"] is not None


def test_get_object_attributes_only_the_ones_asked(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"data")
    got = s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["ObjectSize"])
    assert got["ObjectSize"] == 4
    assert not {"ETag", "Checksum", "StorageClass"} & set(got)


def test_get_object_attributes_object_parts_pages(s3: Any, bucket: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp", ChecksumAlgorithm="CRC32")[
        "UploadId"
    ]
    parts = []
    for number, data in {1: b"a" * 5, 2: b"b" * 5, 3: b"c"}.items():
        done = s3.upload_part(
            Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=number, Body=data,
            ChecksumAlgorithm="CRC32",
        )  # fmt: skip
        parts.append(
            {"PartNumber": number, "ETag": done["ETag"], "ChecksumCRC32": done["ChecksumCRC32"]}
        )
    complete(s3, bucket, "mp", upload_id, parts)
    first = s3.get_object_attributes(
        Bucket=bucket, Key="mp", ObjectAttributes=["ObjectParts", "Checksum"], MaxParts=2
    )
    listed = first["ObjectParts"]
    assert (listed["TotalPartsCount"], listed["MaxParts"], listed["IsTruncated"]) == (3, 2, True)
    assert [(p["PartNumber"], p["Size"]) for p in listed["Parts"]] == [(1, 5), (2, 5)]
    assert [p["ChecksumCRC32"] for p in listed["Parts"]] == [p["ChecksumCRC32"] for p in parts[:2]]
    assert first["Checksum"]["ChecksumType"] == "COMPOSITE"
    rest = s3.get_object_attributes(
        Bucket=bucket, Key="mp", ObjectAttributes=["ObjectParts"],
        PartNumberMarker=listed["NextPartNumberMarker"],
    )["ObjectParts"]  # fmt: skip
    assert rest["IsTruncated"] is False
    assert [(p["PartNumber"], p["Size"]) for p in rest["Parts"]] == [(3, 1)]


def test_get_object_attributes_of_an_upload_without_checksums(s3: Any, bucket: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    complete(s3, bucket, "mp", upload_id, upload_parts(s3, bucket, "mp", upload_id, {1: b"x"}))
    got = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=EVERY)
    assert got["ObjectParts"]["TotalPartsCount"] == 1
    assert got["ETag"].endswith("-1")
    assert got["Checksum"]["ChecksumType"] == "FULL_OBJECT"


def test_get_object_attributes_no_such_key(s3: Any, bucket: str) -> None:
    with s3_error("NoSuchKey", 404):
        s3.get_object_attributes(Bucket=bucket, Key="missing", ObjectAttributes=["ETag"])
