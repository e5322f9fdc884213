"""S3's rules for the checksums of multipart uploads. No HTTP, no XML.

CreateMultipartUpload names an algorithm and a type; every UploadPart then carries (or gets) a
checksum of that algorithm; CompleteMultipartUpload checks the part checksums the client lists
and derives the object's checksum from the stored part checksums, never from the bytes:

- COMPOSITE: the algorithm's digest of the concatenated binary part checksums, then "-N".
- FULL_OBJECT: the CRC of the whole object, combined from the part CRCs and sizes.
- no algorithm: S3's default, a FULL_OBJECT CRC64NVME, combined the same way.

https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity-upload.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html

AWS documents the rules but few of the errors. The error codes here are those AWS answers as
observed by the test suites that run against it (openstack/swift test/s3api/test_object_checksum.py,
localstack's snapshot-tested S3 provider, versitygw's integration tests); docs/compatibility.md
lists what could not be confirmed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storage.checksums import (
    CHECKSUM_ALGORITHMS,
    CRC_ALGORITHMS,
    DEFAULT_ALGORITHM,
    b64,
    composite_checksum,
    decode,
    full_object_checksum,
)
from storage.errors import S3Error
from storage.models import CompletedPart, Segment, Upload

COMPOSITE = "COMPOSITE"
FULL_OBJECT = "FULL_OBJECT"
CHECKSUM_TYPES = (COMPOSITE, FULL_OBJECT)

# Which type each algorithm allows: CRC64NVME is full-object only, the SHAs composite only.
_TYPES = {
    "CRC32": (COMPOSITE, FULL_OBJECT),
    "CRC32C": (COMPOSITE, FULL_OBJECT),
    "CRC64NVME": (FULL_OBJECT,),
    "SHA1": (COMPOSITE,),
    "SHA256": (COMPOSITE,),
}


@dataclass(frozen=True)
class ObjectChecksum:
    algorithm: str
    type: str
    value: str  # base64; a composite value ends in "-<number of parts>"


def upload_checksum(
    algorithm: str | None, checksum_type: str | None
) -> tuple[str | None, str | None]:
    """The (algorithm, type) an upload created with these x-amz-checksum-algorithm and
    x-amz-checksum-type values (None: absent) takes, or the InvalidRequest AWS answers.
    Without a type, CRC64NVME is FULL_OBJECT and every other algorithm COMPOSITE."""
    if algorithm is not None and algorithm not in CHECKSUM_ALGORITHMS:
        raise S3Error(
            "InvalidRequest",
            "Checksum algorithm provided is unsupported. Please try again with any of the valid "
            "types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
        )
    if checksum_type is not None and checksum_type not in CHECKSUM_TYPES:
        raise S3Error("InvalidRequest", "Value for x-amz-checksum-type header is invalid.")
    if algorithm is None:
        if checksum_type is not None:
            raise S3Error(
                "InvalidRequest",
                "The x-amz-checksum-type header can only be used with the "
                "x-amz-checksum-algorithm header.",
            )
        return None, None
    if checksum_type is None:
        return algorithm, FULL_OBJECT if algorithm == "CRC64NVME" else COMPOSITE
    if checksum_type not in _TYPES[algorithm]:
        raise S3Error(
            "InvalidRequest",
            f"The {checksum_type} checksum type cannot be used with the "
            f"{algorithm.lower()} checksum algorithm.",
        )
    return algorithm, checksum_type


def part_algorithm(upload: Upload, sent: str | None) -> str:
    """UploadPart: the algorithm of the checksum stored with a part of ``upload`` whose request
    carried a checksum of algorithm ``sent`` (None: none).

    A part must use the upload's algorithm. A part sent without a checksum gets one computed by
    the server if the upload is FULL_OBJECT; a COMPOSITE upload refuses it, since the client
    must list every part checksum at Complete. An upload created without an algorithm takes any
    part checksum (botocore sends CRC32 by default) and keeps each part's CRC64NVME, from which
    Complete derives the object's default checksum.
    """
    expected = upload.checksum_algorithm
    if expected is None:
        return DEFAULT_ALGORITHM
    if sent != expected and (sent is not None or upload.checksum_type == COMPOSITE):
        actual = sent.lower() if sent is not None else "null"
        raise S3Error(
            "InvalidRequest",
            f"Checksum Type mismatch occurred, expected checksum Type: {expected.lower()}, "
            f"actual checksum Type: {actual}",
        )
    return expected


def check_complete_request(
    upload: Upload, checksum_type: str | None, checksum: tuple[str, str] | None
) -> None:
    """The x-amz-checksum-type and x-amz-checksum-<algorithm> headers of a Complete request,
    checked before its parts."""
    if checksum_type is not None and checksum_type != upload.checksum_type:
        if checksum_type not in CHECKSUM_TYPES:
            raise S3Error("InvalidRequest", "Value for x-amz-checksum-type header is invalid.")
        raise S3Error(
            "InvalidRequest",
            f"The upload was created using the {upload.checksum_type or 'null'} checksum mode. "
            "The complete request must use the same checksum mode.",
        )
    if checksum is not None and upload.checksum_algorithm is not None:
        algorithm, value = checksum
        if _requested_digest(upload, algorithm, value) is None:
            raise S3Error(
                "InvalidRequest", f"Value for x-amz-checksum-{algorithm.lower()} header is invalid."
            )


def _requested_digest(
    upload: Upload, algorithm: str, value: str
) -> tuple[bytes, int | None] | None:
    """A Complete request's object checksum value: its digest and, for a composite value, the
    part count after "-" (None when absent); None when malformed."""
    count: int | None = None
    if upload.checksum_type == COMPOSITE and algorithm == upload.checksum_algorithm:
        value, dash, suffix = value.partition("-")
        if dash:
            if not (suffix.isascii() and suffix.isdigit()):
                return None
            count = int(suffix)
    digest = decode(value, algorithm)
    return None if digest is None else (digest, count)


def object_checksum(
    upload: Upload,
    listed: Sequence[CompletedPart],
    segments: Sequence[Segment],
    checksum_type: str | None,
    checksum: tuple[str, str] | None,
) -> ObjectChecksum | None:
    """Complete: check the part checksums ``listed`` against the parts (``segments``, in the
    same order) and the request's object checksum, and return the object's checksum."""
    algorithm = upload.checksum_algorithm
    if algorithm is None:
        for entry in listed:
            if entry.checksums:
                # The upload has no checksum the listed one could be checked against.
                raise _invalid_part(upload, entry)
        # S3's default checksum. A request's object checksum is ignored, as AWS does.
        return _full_object(DEFAULT_ALGORITHM, segments)
    numbers = [entry.part_number for entry in listed]
    if numbers != list(range(1, len(numbers) + 1)):
        # https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompletedPart.html
        raise S3Error("InvalidPartOrder", UploadId=upload.upload_id)
    sent = [_listed_checksum(upload, entry) for entry in listed]
    stored = [decode(s.checksum or "", algorithm) for s in segments]
    if upload.checksum_type == COMPOSITE:
        digests = [s if s is not None else b"" for s in sent]
        if checksum is not None:
            # AWS checks the object checksum against the part checksums listed, before it
            # checks those against the parts.
            _check_requested(upload, checksum, composite_checksum(algorithm, digests), len(listed))
        _check_parts(upload, listed, sent, stored)
        value = b64(composite_checksum(algorithm, digests)) + f"-{len(listed)}"
        return ObjectChecksum(algorithm, COMPOSITE, value)
    _check_parts(upload, listed, sent, stored)
    result = _full_object(algorithm, segments)
    assert result is not None  # every part of a FULL_OBJECT upload has its checksum
    if checksum is not None:
        if checksum_type is None:
            # A full-object value must come with its type (x-amz-checksum-type: FULL_OBJECT).
            raise _bad_digest(checksum[0])
        _check_requested(upload, checksum, decode(result.value, algorithm) or b"", None)
    return result


def _listed_checksum(upload: Upload, entry: CompletedPart) -> bytes | None:
    """The checksum a Complete request lists for a part of an upload with an algorithm."""
    algorithm = upload.checksum_algorithm
    assert algorithm is not None
    if len(entry.checksums) > 1 or any(decode(v, a) is None for a, v in entry.checksums.items()):
        raise S3Error(
            "InvalidArgument",
            "Invalid Base64 or multiple checksums present in request",
            ArgumentName="Checksum",
            ArgumentValue="".join(f"{a}:{v};" for a, v in entry.checksums.items()),
        )
    for other in entry.checksums.keys() - {algorithm}:
        raise S3Error(
            "BadDigest",
            f"The {other.lower()} you specified for part {entry.part_number} did not match what "
            "we received.",
        )
    value = entry.checksums.get(algorithm)
    if value is None:
        if upload.checksum_type == COMPOSITE:
            raise S3Error(
                "InvalidRequest",
                f"The upload was created using a {algorithm.lower()} checksum. The complete "
                "request must include the checksum for each part. It was missing for part "
                f"{entry.part_number} in the request.",
            )
        return None
    return decode(value, algorithm)


def _check_parts(
    upload: Upload,
    listed: Sequence[CompletedPart],
    sent: Sequence[bytes | None],
    stored: Sequence[bytes | None],
) -> None:
    for entry, listed_digest, stored_digest in zip(listed, sent, stored, strict=True):
        if stored_digest is None or (listed_digest is not None and listed_digest != stored_digest):
            raise _invalid_part(upload, entry)


def _check_requested(
    upload: Upload, checksum: tuple[str, str], expected: bytes, parts: int | None
) -> None:
    algorithm, value = checksum
    requested = _requested_digest(upload, algorithm, value)
    if algorithm != upload.checksum_algorithm or requested is None:
        raise _bad_digest(upload.checksum_algorithm or algorithm)
    digest, count = requested
    if digest != expected or (count is not None and count != parts):
        raise _bad_digest(algorithm)


def _full_object(algorithm: str, segments: Sequence[Segment]) -> ObjectChecksum | None:
    """The CRC of the whole object from its parts' stored CRCs; None if a part has none (a part
    stored before s3mpu kept one)."""
    assert algorithm in CRC_ALGORITHMS
    parts = []
    for segment in segments:
        digest = decode(segment.checksum or "", algorithm)
        if digest is None:
            return None
        parts.append((digest, segment.size))
    return ObjectChecksum(algorithm, FULL_OBJECT, b64(full_object_checksum(algorithm, parts)))


def _invalid_part(upload: Upload, entry: CompletedPart) -> S3Error:
    return S3Error(
        "InvalidPart", UploadId=upload.upload_id, PartNumber=entry.part_number, ETag=entry.etag
    )


def _bad_digest(algorithm: str) -> S3Error:
    return S3Error(
        "BadDigest", f"The {algorithm.lower()} you specified did not match the calculated checksum."
    )
