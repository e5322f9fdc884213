"""The digests s3mpu computes over bodies: MD5 for ETags plus S3's checksum algorithms.

Every algorithm is C-backed (hashlib, zlib, awscrt, which botocore itself uses for CRC32C and
CRC64NVME) and releases the GIL on large buffers, so bodies can be hashed in worker threads.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Callable
from typing import Protocol

from awscrt import checksums as crt

# The S3 checksum algorithms, by the names S3 uses in x-amz-checksum-algorithm.
CHECKSUM_ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")


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
    return zlib.crc32(data, value)


def _crc32c(data: bytes | memoryview, value: int) -> int:
    return int(crt.crc32c(data, value))


def _crc64nvme(data: bytes | memoryview, value: int) -> int:
    return int(crt.crc64nvme(data, value))


_FACTORIES: dict[str, Callable[[], Hasher]] = {
    "MD5": hashlib.md5,
    "SHA1": hashlib.sha1,
    "SHA256": hashlib.sha256,
    "CRC32": lambda: _Crc(_crc32, 4),
    "CRC32C": lambda: _Crc(_crc32c, 4),
    "CRC64NVME": lambda: _Crc(_crc64nvme, 8),
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
