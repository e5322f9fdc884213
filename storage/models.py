"""The plain dataclasses the Store takes and returns. No HTTP, no XML."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Generic, NamedTuple, Protocol, TypeVar

T = TypeVar("T")

# Stored object attributes, opaque to storage: the server decides which request headers (and
# x-amz-meta-* pairs) it keeps and gives back.
Meta = Mapping[str, str]

# An object's tags: (key, value) pairs, sorted by key (storage/tagging.py checks them).
Tags = tuple[tuple[str, str], ...]

# Digests computed over a body, by algorithm name ("MD5", "CRC32", ...).
Digests = Mapping[str, bytes]

GiB = 1024**3
MiB = 1024**2

# AWS's multipart limits.
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html
MAX_PART_SIZE = 5 * GiB
MAX_OBJECT_SIZE = 5 * 1024 * GiB
MAX_PUT_SIZE = 5 * GiB
MIN_PART_NUMBER = 1
MAX_PART_NUMBER = 10_000
DEFAULT_MIN_PART_SIZE = 5 * MiB


def _accept(_: Digests) -> None:
    return None


class BodyReader(Protocol):
    """A body that fills buffers the store owns, straight from where it comes from (the socket)
    with no copy of its own."""

    async def readinto(self, buffer: memoryview, /) -> int:
        """Put the body's next bytes at the start of ``buffer``; return how many (at least one
        while the body lasts, 0 at its end)."""
        ...


@dataclass
class IncomingBody:
    """A request body on its way to disk.

    ``source`` yields the decoded bytes as they arrive, as chunks or into the store's buffers
    (a ``BodyReader``). The store computes MD5 plus ``digests``
    in the same pass as it writes, then calls ``verify`` once the stream is exhausted and before
    anything becomes visible: ``verify`` raises (an S3Error) to reject the body, and then nothing
    is stored. ``checksum_algorithm`` names the algorithm of the checksum the client sent with the
    body (None: none); the store decides which checksum it keeps.
    """

    source: AsyncIterator[bytes | memoryview] | BodyReader
    max_size: int
    digests: frozenset[str] = frozenset()
    verify: Callable[[Digests], None] = _accept
    checksum_algorithm: str | None = None


@dataclass(frozen=True)
class Bucket:
    name: str
    created: float


@dataclass(frozen=True)
class Segment:
    """One data file of an object, in order: a multipart object has one per part."""

    blob: str
    size: int
    part_number: int
    etag: str
    checksum: str | None


@dataclass(frozen=True)
class ObjectInfo:
    bucket: str
    key: str
    size: int
    etag: str  # unquoted: hex MD5, or hex MD5 "-N" for multipart objects
    last_modified: float
    meta: Meta
    checksum_algorithm: str | None = None
    checksum_type: str | None = None
    checksum: str | None = None  # base64
    parts_count: int | None = None  # set for multipart objects
    tags: Tags = ()


@dataclass(frozen=True)
class Upload:
    upload_id: str
    bucket: str
    key: str
    initiated: float
    meta: Meta
    checksum_algorithm: str | None = None
    checksum_type: str | None = None
    tags: Tags = ()


class ListedObject(NamedTuple):
    """What ListObjects shows of an object: the columns it renders and no more (a page holds up
    to 1,000 of them, so they are plain tuples, not ObjectInfo with its metadata and tags)."""

    key: str
    size: int
    etag: str  # unquoted
    last_modified: float
    checksum_algorithm: str | None
    checksum_type: str | None


class ListedUpload(NamedTuple):
    """What ListMultipartUploads shows of an open upload; its first three fields are the order
    uploads are listed in."""

    key: str
    initiated: float
    upload_id: str
    checksum_algorithm: str | None
    checksum_type: str | None


@dataclass(frozen=True)
class Part:
    part_number: int
    size: int
    etag: str
    last_modified: float
    # base64, of the upload's checksum algorithm, or of CRC64NVME (S3's default) for an upload
    # created without one
    checksum: str | None = None


@dataclass(frozen=True)
class UploadedPart:
    """What UploadPart answers: the part, and the checksum it reports (of the upload's algorithm,
    or, for an upload created without one, the checksum the client sent, if any)."""

    part: Part
    checksum_algorithm: str | None = None
    checksum: str | None = None


@dataclass(frozen=True)
class CompletedPart:
    """A part as CompleteMultipartUpload's request lists it, with the part checksums it lists
    (by algorithm, as sent: base64 not yet checked)."""

    part_number: int
    etag: str
    checksums: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CompleteResult:
    bucket: str
    key: str
    etag: str
    size: int
    checksum_algorithm: str | None = None
    checksum_type: str | None = None
    checksum: str | None = None


@dataclass(frozen=True)
class FileRow:
    """A data file as one metadata row records it: a part of an upload (``upload_id`` set) or a
    segment of an object (``object_id`` set). ``bucket`` and ``key`` are None when the upload's
    or object's own row is missing."""

    blob: str
    size: int
    md5: str  # hex: the part's or PutObject's ETag
    part_number: int
    bucket: str | None
    key: str | None
    upload_id: str | None = None
    object_id: str | None = None


@dataclass
class Page(Generic[T]):
    """One page of a listing: entries and common prefixes in key order, as S3 pages them."""

    entries: list[T] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    truncated: bool = False
    # The name of the last entry or common prefix returned: the next page starts after it.
    last_name: str | None = None
    last_entry: T | None = None
