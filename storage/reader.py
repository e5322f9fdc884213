"""An object being read: its attributes, and its data files in order, streamed by byte range."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from storage.blobs import BlobStore
from storage.models import ObjectInfo, Segment


@dataclass(frozen=True)
class Span:
    """``length`` bytes of one data file from ``offset``: a piece of an object being read."""

    blob: str
    offset: int
    length: int


@dataclass(frozen=True)
class ObjectReader:
    """An object being read: its attributes and its data files, kept on disk while open."""

    info: ObjectInfo
    segments: Sequence[Segment]
    blobs: BlobStore

    def spans(self, start: int = 0, end: int | None = None) -> list[Span]:
        """The pieces of the data files that hold bytes ``start`` to ``end`` (exclusive; None:
        to the end), in order."""
        end = self.info.size if end is None else end
        spans = []
        offset = 0
        for segment in self.segments:
            seg_start, seg_end = offset, offset + segment.size
            offset = seg_end
            if seg_end <= start or segment.size == 0:
                continue
            if seg_start >= end:
                break
            first = max(start, seg_start) - seg_start
            last = min(end, seg_end) - seg_start
            spans.append(Span(segment.blob, first, last - first))
        return spans

    async def open(self, span: Span) -> BinaryIO:
        """The data file of ``span``, open for reading (for sendfile); the caller closes it."""
        return await self.blobs.open(span.blob)

    def open_now(self, span: Span) -> BinaryIO:
        """The data file of ``span``, opened in the calling thread: for a worker thread."""
        return self.blobs.path(span.blob).open("rb")

    def read_now(self, start: int, end: int) -> bytes:
        """Bytes ``start`` to ``end`` (exclusive) at once, read in the calling thread: for a
        small body. OSError if a data file is shorter than its metadata says."""
        spans = self.spans(start, end)
        return b"".join(self.blobs.read_now(s.blob, s.offset, s.length) for s in spans)

    def read_span(self, span: Span) -> AsyncIterator[bytes]:
        """Yield the bytes of ``span``, read in a worker thread."""
        return self.blobs.read(span.blob, span.offset, span.length)

    async def read(self, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """Yield the object's bytes ``start`` to ``end`` (exclusive; None: to the end)."""
        for span in self.spans(start, end):
            async for chunk in self.read_span(span):
                yield chunk
