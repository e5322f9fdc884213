"""The digests s3mpu computes over bodies: MD5 for ETags plus S3's checksum algorithms, and the
arithmetic that turns part checksums into an object's checksum.

Every algorithm is C-backed (hashlib; ISA-L's CRC32, about four times zlib's speed here; awscrt,
which botocore itself uses for CRC32C and CRC64NVME) and releases the GIL on large buffers, so
bodies can be hashed in worker threads.
Combining part checksums never reads a body: it works on the part checksums and sizes alone.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterable
from typing import Protocol

from awscrt import checksums as crt
from isal import isal_zlib

_md5: Callable[[], Hasher]
try:
    # Multi-buffer MD5 (storage/_md5x.c, storage/md5lanes.py), built where a compiler was.
    from storage import _md5x

    _md5 = _md5x.md5
except ImportError:
    _md5 = hashlib.md5

# The S3 checksum algorithms, by the names S3 uses in x-amz-checksum-algorithm.
CHECKSUM_ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")
# The checksum S3 gives an object uploaded without one.
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity-upload.html
DEFAULT_ALGORITHM = "CRC64NVME"
DIGEST_SIZES = {"CRC32": 4, "CRC32C": 4, "CRC64NVME": 8, "SHA1": 20, "SHA256": 32}
# The CRCs are linear, so the CRC of a whole object follows from the CRCs and sizes of its parts.
CRC_ALGORITHMS = frozenset({"CRC32", "CRC32C", "CRC64NVME"})


class Hasher(Protocol):
    def update(self, data: bytes | memoryview, /) -> None: ...
    def digest(self) -> bytes: ...


class _Crc:
    """A running CRC with hashlib's update/digest shape."""

    def __init__(self, fn: Callable[[bytes | memoryview, int], int], width: int) -> None:
        self._fn = fn
        self._width = width
        self._value = 0

    def update(self, data: bytes | memoryview, /) -> None:
        self._value = self._fn(data, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(self._width, "big")


def _crc32(data: bytes | memoryview, value: int) -> int:
    return int(isal_zlib.crc32(data, value))


def _crc32c(data: bytes | memoryview, value: int) -> int:
    return int(crt.crc32c(data, value))


def _crc64nvme(data: bytes | memoryview, value: int) -> int:
    return int(crt.crc64nvme(data, value))


_FACTORIES: dict[str, Callable[[], Hasher]] = {
    "MD5": _md5,
    "SHA1": hashlib.sha1,
    "SHA256": hashlib.sha256,
    "CRC32": lambda: _Crc(_crc32, 4),
    "CRC32C": lambda: _Crc(_crc32c, 4),
    "CRC64NVME": lambda: _Crc(_crc64nvme, 8),
}

# crc(A + B) from crc(A), crc(B) and len(B): zlib's crc32_combine, generalised by awscrt to the
# reflected CRC32C and CRC64NVME polynomials. Cost: logarithmic in len(B), independent of data.
_COMBINE: dict[str, Callable[[int, int, int], int]] = {
    "CRC32": crt.combine_crc32,
    "CRC32C": crt.combine_crc32c,
    "CRC64NVME": crt.combine_crc64nvme,
}


def new_hasher(algorithm: str) -> Hasher:
    """A fresh hasher for "MD5" or one of CHECKSUM_ALGORITHMS."""
    return _FACTORIES[algorithm]()


def digest_of(algorithm: str, data: bytes) -> bytes:
    hasher = new_hasher(algorithm)
    hasher.update(data)
    return hasher.digest()


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def decode(value: str, algorithm: str) -> bytes | None:
    """The digest a base64 checksum value carries, or None if it is not a well-formed value of
    ``algorithm``: canonical base64 (as S3 checks it: "y/Q5Jh==" is refused though lenient
    decoders read it as "y/Q5Jg==") of exactly the algorithm's digest size."""
    # Decoded without base64.b64decode's validating regex, which cost four times the rest
    # (most of a 10,000-part Complete's checksum work): only the canonical encoding of the
    # digest decoded is accepted, so whatever a lax decode makes of other text is refused.
    try:
        digest = binascii.a2b_base64(value)
    except (binascii.Error, ValueError):  # ValueError: not ASCII
        return None
    if len(digest) != DIGEST_SIZES[algorithm] or b64(digest) != value:
        return None
    return digest


def combine_crc(algorithm: str, first: bytes, second: bytes, second_size: int) -> bytes:
    """The CRC of A + B, given the CRC of A, the CRC of B and the size of B (big-endian digests,
    as S3 encodes them)."""
    crc = _COMBINE[algorithm](
        int.from_bytes(first, "big"), int.from_bytes(second, "big"), second_size
    )
    return crc.to_bytes(DIGEST_SIZES[algorithm], "big")


def full_object_checksum(algorithm: str, parts: Iterable[tuple[bytes, int]]) -> bytes:
    """The CRC of the concatenation of parts given as (part CRC, part size), in order."""
    total = bytes(DIGEST_SIZES[algorithm])  # the CRC of no bytes is 0 for all three
    for crc, size in parts:
        total = combine_crc(algorithm, total, crc, size)
    return total


def composite_checksum(algorithm: str, part_digests: Iterable[bytes]) -> bytes:
    """S3's composite checksum: the algorithm's digest of the concatenated binary part digests
    (the object's value is its base64 followed by "-<number of parts>")."""
    hasher = new_hasher(algorithm)
    for digest in part_digests:
        hasher.update(digest)
    return hasher.digest()
