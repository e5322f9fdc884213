"""An object being read: its attributes, and its data files in order, streamed by byte range."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from storage.blobs import BlobStore
from storage.models import ObjectInfo, Segment


@dataclass(frozen=True)
class ObjectReader:
    """An object being read: its attributes and its data files, kept on disk while open."""

    info: ObjectInfo
    segments: Sequence[Segment]
    blobs: BlobStore

    async def read(self, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """Yield the object's bytes ``start`` to ``end`` (exclusive; None: to the end)."""
        end = self.info.size if end is None else end
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
            async for chunk in self.blobs.read(segment.blob, first, last - first):
                yield chunk
