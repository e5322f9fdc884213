"""Checksums end to end with stock boto3: PutObject and UploadPart checksums sent as headers or as
aws-chunked trailers, multipart uploads with COMPOSITE and FULL_OBJECT checksums, S3's default
CRC64NVME, and the errors AWS answers. Expected values are computed here, directly with zlib,
awscrt and hashlib, never taken from the server.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html

Which form botocore uses (botocore/httpchecksum.py, resolve_request_checksum_algorithm): for
PutObject and UploadPart, which stream their input, a checksum botocore computes itself goes in
an aws-chunked trailer over https and in a header over http; a value the caller passes
(ChecksumCRC32=...) always goes in a header. The tests force the form with a before-call hook
(the "in" of the request's checksum context) and check the wire with a before-send hook.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
from awscrt import checksums as crt
from botocore import httpchecksum

from compat.helpers import get_bytes, new_bucket, payload, s3_error
from tests.harness import Server

ALGORITHMS = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"]
COMPOSITE = ["CRC32", "CRC32C", "SHA1", "SHA256"]
FULL_OBJECT = ["CRC32", "CRC32C", "CRC64NVME"]
FORMS = ["header", "trailer"]
DIRECT: dict[str, Callable[[bytes], bytes]] = {
    "CRC32": lambda data: zlib.crc32(data).to_bytes(4, "big"),
    "CRC32C": lambda data: crt.crc32c(data).to_bytes(4, "big"),
    "CRC64NVME": lambda data: crt.crc64nvme(data).to_bytes(8, "big"),
    "SHA1": lambda data: hashlib.sha1(data).digest(),
    "SHA256": lambda data: hashlib.sha256(data).digest(),
}


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def checksum(algorithm: str, data: bytes) -> str:
    return b64(DIRECT[algorithm](data))


def composite(algorithm: str, parts: Sequence[bytes]) -> str:
    """S3's composite checksum: the digest of the concatenated binary part digests, "-N"."""
    joined = b"".join(DIRECT[algorithm](p) for p in parts)
    return f"{b64(DIRECT[algorithm](joined))}-{len(parts)}"


class Wire:
    """A boto3 client whose checksum form can be forced, and whose requests are recorded."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.force: str | None = None
        self.sent: list[dict[str, str]] = []
        client.meta.events.register("before-call.s3", self._before_call)
        client.meta.events.register("before-send.s3", self._before_send)

    def _before_call(self, params: dict[str, Any], **_: Any) -> None:
        algorithm = params["context"].get("checksum", {}).get("request_algorithm")
        if self.force is not None and isinstance(algorithm, dict):
            algorithm["in"] = self.force

    def _before_send(self, request: Any, **_: Any) -> None:
        self.sent.append(
            {
                k.lower(): v.decode() if isinstance(v, bytes) else str(v)
                for k, v in request.headers.items()
            }
        )

    def form_of_last(self, algorithm: str) -> str:
        """How the last request carried its checksum: "header" or "trailer"."""
        headers = self.sent[-1]
        name = f"x-amz-checksum-{algorithm.lower()}"
        if headers.get("x-amz-trailer") == name:
            assert name not in headers
            assert headers["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
            return "trailer"
        assert name in headers, headers
        return "header"


_wires: dict[str, Wire] = {}


@pytest.fixture
def wire(server: Server) -> Iterator[Wire]:
    """One instrumented client per server, reset for each test."""
    if server.url not in _wires:
        _wires[server.url] = Wire(server.client())
    found = _wires[server.url]
    found.force, found.sent = None, []
    yield found
    found.force = None


@pytest.fixture
def quiet(server: Server) -> Any:
    """A client that sends no checksum unless told to (request_checksum_calculation)."""
    return server.client(
        request_checksum_calculation="when_required", response_checksum_validation="when_required"
    )


@contextmanager
def wrong_checksums(monkeypatch: pytest.MonkeyPatch, algorithm: str) -> Iterator[None]:
    """botocore computes a wrong ``algorithm`` checksum for the bodies sent in the block."""
    name = algorithm.lower()
    right = httpchecksum._CHECKSUM_CLS[name]  # type: ignore[attr-defined]

    class Wrong(right):  # type: ignore[misc, valid-type]
        def digest(self) -> bytes:
            digest = bytearray(super().digest())
            digest[0] ^= 0xFF
            return bytes(digest)

    with monkeypatch.context() as patch:
        patch.setitem(httpchecksum._CHECKSUM_CLS, name, Wrong)  # type: ignore[attr-defined]
        yield


def assert_object_checksum(
    s3: Any, bucket: str, key: str, data: bytes, algorithm: str, value: str, kind: str
) -> None:
    """HEAD and GET with ChecksumMode=ENABLED report the checksum; without it, or for part of
    the object, they do not."""
    field = f"Checksum{algorithm}"
    head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert (head.get(field), head.get("ChecksumType")) == (value, kind)
    got = s3.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert (got.get(field), got.get("ChecksumType")) == (value, kind)
    assert got["Body"].read() == data
    headers = s3.head_object(Bucket=bucket, Key=key)["ResponseMetadata"]["HTTPHeaders"]
    assert not [h for h in headers if h.startswith("x-amz-checksum")]
    if len(data) > 1:
        ranged = s3.get_object(Bucket=bucket, Key=key, Range="bytes=1-", ChecksumMode="ENABLED")
        headers = ranged["ResponseMetadata"]["HTTPHeaders"]
        assert not [h for h in headers if h.startswith("x-amz-checksum")]
        assert ranged["Body"].read() == data[1:]
    whole = s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-", ChecksumMode="ENABLED")
    assert whole.get(field) == value  # a Range covering the whole object gets it, as on AWS


# PutObject and UploadPart: every algorithm, header and trailer, http and https


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_put_object_checksum(wire: Wire, algorithm: str, form: str) -> None:
    s3 = wire.client
    bucket = new_bucket(s3)
    data = payload(70_000)  # several aws-chunked chunks
    wire.force = form
    put = s3.put_object(Bucket=bucket, Key="k", Body=data, ChecksumAlgorithm=algorithm)
    assert wire.form_of_last(algorithm) == form
    assert put[f"Checksum{algorithm}"] == checksum(algorithm, data)
    assert put["ChecksumType"] == "FULL_OBJECT"
    assert_object_checksum(
        s3, bucket, "k", data, algorithm, checksum(algorithm, data), "FULL_OBJECT"
    )


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_put_object_wrong_checksum_is_bad_digest_and_stores_nothing(
    wire: Wire, monkeypatch: pytest.MonkeyPatch, algorithm: str, form: str
) -> None:
    s3 = wire.client
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="old", Body=b"old bytes")
    wire.force = form
    with wrong_checksums(monkeypatch, algorithm), s3_error("BadDigest", 400):
        s3.put_object(Bucket=bucket, Key="new", Body=payload(20_000), ChecksumAlgorithm=algorithm)
    with wrong_checksums(monkeypatch, algorithm), s3_error("BadDigest", 400):
        s3.put_object(Bucket=bucket, Key="old", Body=payload(100), ChecksumAlgorithm=algorithm)
    assert wire.form_of_last(algorithm) == form
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["old"]
    assert get_bytes(s3, bucket, "old") == b"old bytes"


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_upload_part_checksum(wire: Wire, algorithm: str, form: str) -> None:
    s3 = wire.client
    bucket = new_bucket(s3)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm=algorithm)[
        "UploadId"
    ]
    parts = {1: payload(40_000), 2: payload(9)}
    wire.force = form
    for number, data in parts.items():
        done = s3.upload_part(
            Bucket=bucket,
            Key="k",
            UploadId=upload_id,
            PartNumber=number,
            Body=data,
            ChecksumAlgorithm=algorithm,
        )
        assert wire.form_of_last(algorithm) == form
        assert done[f"Checksum{algorithm}"] == checksum(algorithm, data)
    listed = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)
    assert listed["ChecksumAlgorithm"] == algorithm
    assert [(p["PartNumber"], p[f"Checksum{algorithm}"]) for p in listed["Parts"]] == [
        (n, checksum(algorithm, d)) for n, d in parts.items()
    ]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_upload_part_wrong_checksum_is_bad_digest_and_stores_nothing(
    wire: Wire, monkeypatch: pytest.MonkeyPatch, algorithm: str, form: str
) -> None:
    s3 = wire.client
    bucket = new_bucket(s3)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm=algorithm)[
        "UploadId"
    ]
    wire.force = form
    with wrong_checksums(monkeypatch, algorithm), s3_error("BadDigest", 400):
        s3.upload_part(
            Bucket=bucket,
            Key="k",
            UploadId=upload_id,
            PartNumber=1,
            Body=payload(20_000),
            ChecksumAlgorithm=algorithm,
        )
    assert wire.form_of_last(algorithm) == form
    assert s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id).get("Parts", []) == []


def test_botocore_puts_its_checksum_in_a_header_over_http_and_a_trailer_over_https(
    server: Server, wire: Wire
) -> None:
    s3 = wire.client
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="k", Body=b"data")  # the default CRC32
    assert wire.form_of_last("CRC32") == ("trailer" if server.url.startswith("https") else "header")
    s3.put_object(Bucket=bucket, Key="k", Body=b"data", ChecksumSHA1=checksum("SHA1", b"data"))
    assert wire.form_of_last("SHA1") == "header"


@pytest.mark.parametrize("target", ["put", "part"])
def test_content_md5_wrong_is_bad_digest_malformed_is_invalid_digest(
    s3: Any, bucket: str, target: str
) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]

    def write(md5: str) -> Any:
        if target == "put":
            return s3.put_object(Bucket=bucket, Key="k", Body=b"data", ContentMD5=md5)
        return s3.upload_part(
            Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"data", ContentMD5=md5
        )

    with s3_error("BadDigest", 400):
        write(b64(hashlib.md5(b"other").digest()))
    with s3_error("InvalidDigest", 400):
        write("not an md5")
    assert (
        write(b64(hashlib.md5(b"data").digest()))["ETag"] == f'"{hashlib.md5(b"data").hexdigest()}"'
    )


# Multipart uploads: COMPOSITE and FULL_OBJECT


def upload_parts_with(
    s3: Any, bucket: str, upload_id: str, parts: dict[int, bytes], algorithm: str | None
) -> list[dict[str, Any]]:
    """Upload ``parts``; the Parts list for Complete, with each part's checksum."""
    listed = []
    for number, data in parts.items():
        extra = {"ChecksumAlgorithm": algorithm} if algorithm else {}
        done = s3.upload_part(
            Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=number, Body=data, **extra
        )
        entry = {"PartNumber": number, "ETag": done["ETag"]}
        if algorithm:
            entry[f"Checksum{algorithm}"] = done[f"Checksum{algorithm}"]
        listed.append(entry)
    return listed


def three_parts() -> dict[int, bytes]:
    return {1: payload(30_000), 2: payload(20_000), 3: payload(777)}


@pytest.mark.parametrize("algorithm", COMPOSITE)
def test_complete_composite_checksum(s3: Any, bucket: str, algorithm: str) -> None:
    created = s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm=algorithm)
    assert (created["ChecksumAlgorithm"], created["ChecksumType"]) == (algorithm, "COMPOSITE")
    parts = three_parts()
    listed = upload_parts_with(s3, bucket, created["UploadId"], parts, algorithm)
    expected = composite(algorithm, list(parts.values()))
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="k", UploadId=created["UploadId"], MultipartUpload={"Parts": listed}
    )
    assert (done[f"Checksum{algorithm}"], done["ChecksumType"]) == (expected, "COMPOSITE")
    assert_object_checksum(
        s3, bucket, "k", b"".join(parts.values()), algorithm, expected, "COMPOSITE"
    )


@pytest.mark.parametrize("algorithm", FULL_OBJECT)
def test_complete_full_object_checksum(s3: Any, bucket: str, algorithm: str) -> None:
    created = s3.create_multipart_upload(
        Bucket=bucket, Key="k", ChecksumAlgorithm=algorithm, ChecksumType="FULL_OBJECT"
    )
    assert (created["ChecksumAlgorithm"], created["ChecksumType"]) == (algorithm, "FULL_OBJECT")
    parts = three_parts()
    whole = b"".join(parts.values())
    listed = upload_parts_with(s3, bucket, created["UploadId"], parts, algorithm)
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="k",
        UploadId=created["UploadId"],
        MultipartUpload={"Parts": listed},
        ChecksumType="FULL_OBJECT",
        **{f"Checksum{algorithm}": checksum(algorithm, whole)},
    )
    assert (done[f"Checksum{algorithm}"], done["ChecksumType"]) == (
        checksum(algorithm, whole),
        "FULL_OBJECT",
    )
    # botocore validates a full-object checksum against the body it receives.
    assert_object_checksum(
        s3, bucket, "k", whole, algorithm, checksum(algorithm, whole), "FULL_OBJECT"
    )


def test_complete_crc64nvme_defaults_to_full_object(s3: Any, bucket: str) -> None:
    created = s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm="CRC64NVME")
    assert created["ChecksumType"] == "FULL_OBJECT"
    parts = three_parts()
    listed = upload_parts_with(s3, bucket, created["UploadId"], parts, "CRC64NVME")
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="k", UploadId=created["UploadId"], MultipartUpload={"Parts": listed}
    )
    assert done["ChecksumCRC64NVME"] == checksum("CRC64NVME", b"".join(parts.values()))


@pytest.mark.parametrize(
    ("algorithm", "kind"),
    [
        ("CRC64NVME", "COMPOSITE"),
        ("SHA1", "FULL_OBJECT"),
        ("SHA256", "FULL_OBJECT"),
        (None, "COMPOSITE"),
        (None, "FULL_OBJECT"),
        ("MD4", None),
        ("CRC32", "PARTIAL"),
    ],
)
def test_create_multipart_upload_invalid_checksum_combination_is_invalid_request(
    s3: Any, bucket: str, algorithm: str | None, kind: str | None
) -> None:
    extra = {"ChecksumAlgorithm": algorithm} if algorithm else {}
    if kind:
        extra["ChecksumType"] = kind
    with s3_error("InvalidRequest", 400):
        s3.create_multipart_upload(Bucket=bucket, Key="k", **extra)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_upload_part_of_another_algorithm_is_invalid_request(s3: Any, bucket: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm="SHA256")[
        "UploadId"
    ]
    for sent in ("CRC32", "SHA1"):
        with s3_error("InvalidRequest", 400):
            s3.upload_part(
                Bucket=bucket,
                Key="k",
                UploadId=upload_id,
                PartNumber=1,
                Body=b"data",
                ChecksumAlgorithm=sent,
            )
    assert s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id).get("Parts", []) == []


def test_upload_part_without_checksum(quiet: Any) -> None:
    bucket = new_bucket(quiet)
    composite_id = quiet.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm="SHA1")[
        "UploadId"
    ]
    with s3_error("InvalidRequest", 400):
        quiet.upload_part(Bucket=bucket, Key="k", UploadId=composite_id, PartNumber=1, Body=b"x")
    # A FULL_OBJECT upload computes the part's checksum itself.
    full_id = quiet.create_multipart_upload(
        Bucket=bucket, Key="k", ChecksumAlgorithm="CRC32C", ChecksumType="FULL_OBJECT"
    )["UploadId"]
    parts = {1: payload(10_000), 2: payload(10)}
    listed = upload_parts_with(quiet, bucket, full_id, parts, None)
    assert [
        p["ChecksumCRC32C"]
        for p in quiet.list_parts(Bucket=bucket, Key="k", UploadId=full_id)["Parts"]
    ] == [checksum("CRC32C", d) for d in parts.values()]
    done = quiet.complete_multipart_upload(
        Bucket=bucket, Key="k", UploadId=full_id, MultipartUpload={"Parts": listed}
    )
    assert done["ChecksumCRC32C"] == checksum("CRC32C", b"".join(parts.values()))


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ("wrong", "InvalidPart"),
        ("missing", "InvalidRequest"),
        ("malformed", "InvalidArgument"),
        ("another algorithm", "BadDigest"),
    ],
)
def test_complete_composite_part_checksum_errors(
    s3: Any, bucket: str, change: str, code: str
) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm="CRC32")[
        "UploadId"
    ]
    parts = {1: payload(1000), 2: payload(10)}
    listed = upload_parts_with(s3, bucket, upload_id, parts, "CRC32")
    bad = [dict(p) for p in listed]
    if change == "wrong":
        bad[1]["ChecksumCRC32"] = checksum("CRC32", b"other")
    elif change == "missing":
        del bad[1]["ChecksumCRC32"]
    elif change == "malformed":
        bad[1]["ChecksumCRC32"] = "y/Q5Jh=="
    else:
        del bad[1]["ChecksumCRC32"]
        bad[1]["ChecksumCRC32C"] = checksum("CRC32C", parts[2])
    with s3_error(code, 400):
        s3.complete_multipart_upload(
            Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": bad}
        )
    with s3_error("404", 404):  # HEAD: a status without a body
        s3.head_object(Bucket=bucket, Key="k")
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": listed}
    )
    assert done["ChecksumCRC32"] == composite("CRC32", list(parts.values()))


@pytest.mark.parametrize("kind", ["COMPOSITE", "FULL_OBJECT"])
def test_complete_wrong_object_checksum_is_bad_digest(s3: Any, bucket: str, kind: str) -> None:
    upload_id = s3.create_multipart_upload(
        Bucket=bucket, Key="k", ChecksumAlgorithm="CRC32C", ChecksumType=kind
    )["UploadId"]
    parts = {1: payload(1000), 2: payload(10)}
    listed = upload_parts_with(s3, bucket, upload_id, parts, "CRC32C")
    wrong = checksum("CRC32C", b"other")
    with s3_error("BadDigest", 400):
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="k",
            UploadId=upload_id,
            MultipartUpload={"Parts": listed},
            ChecksumCRC32C=wrong if kind == "FULL_OBJECT" else f"{wrong}-2",
            ChecksumType=kind,
        )
    other = "FULL_OBJECT" if kind == "COMPOSITE" else "COMPOSITE"
    with s3_error("InvalidRequest", 400):
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="k",
            UploadId=upload_id,
            MultipartUpload={"Parts": listed},
            ChecksumType=other,
        )
    with s3_error("404", 404):  # HEAD: a status without a body
        s3.head_object(Bucket=bucket, Key="k")


# Uploads without an algorithm, and PutObject without a checksum: S3's default CRC64NVME


def test_stock_boto3_multipart_upload_gets_the_default_crc64nvme(s3: Any, bucket: str) -> None:
    # The common case: no ChecksumAlgorithm at Create; botocore still sends a CRC32 per part.
    created = s3.create_multipart_upload(Bucket=bucket, Key="k")
    assert "ChecksumAlgorithm" not in created
    upload_id = created["UploadId"]
    parts = three_parts()
    listed = []
    for number, data in parts.items():
        done = s3.upload_part(
            Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=number, Body=data
        )
        assert done["ChecksumCRC32"] == checksum("CRC32", data)
        listed.append({"PartNumber": number, "ETag": done["ETag"]})
    shown = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)
    assert "ChecksumAlgorithm" not in shown
    assert not [k for p in shown["Parts"] for k in p if k.startswith("Checksum")]
    # Part checksums listed for an upload created without an algorithm: InvalidPart, as AWS.
    with s3_error("InvalidPart", 400):
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="k",
            UploadId=upload_id,
            MultipartUpload={
                "Parts": [{**listed[0], "ChecksumCRC32": checksum("CRC32", parts[1])}, *listed[1:]]
            },
        )
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": listed}
    )
    whole = b"".join(parts.values())
    assert (done["ChecksumCRC64NVME"], done["ChecksumType"]) == (
        checksum("CRC64NVME", whole),
        "FULL_OBJECT",
    )
    assert_object_checksum(
        s3, bucket, "k", whole, "CRC64NVME", checksum("CRC64NVME", whole), "FULL_OBJECT"
    )


def test_put_object_without_checksum_gets_the_default_crc64nvme(quiet: Any) -> None:
    bucket = new_bucket(quiet)
    data = payload(5000)
    put = quiet.put_object(Bucket=bucket, Key="k", Body=data)
    assert (put["ChecksumCRC64NVME"], put["ChecksumType"]) == (
        checksum("CRC64NVME", data),
        "FULL_OBJECT",
    )
    assert_object_checksum(
        quiet, bucket, "k", data, "CRC64NVME", checksum("CRC64NVME", data), "FULL_OBJECT"
    )
    listed = quiet.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(o["ChecksumAlgorithm"], o["ChecksumType"]) for o in listed] == [
        (["CRC64NVME"], "FULL_OBJECT")
    ]


def test_checksum_mode_other_than_enabled_is_invalid_request(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"data")
    with s3_error("InvalidRequest", 400):
        s3.get_object(Bucket=bucket, Key="k", ChecksumMode="DISABLED")
