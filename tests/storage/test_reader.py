"""ObjectReader.spans: which bytes of which part files make up a byte range of an object."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.blobs import BlobStore
from storage.models import ObjectInfo, Segment
from storage.reader import ObjectReader, Span


def reader(*sizes: int) -> ObjectReader:
    segments = [Segment(f"blob{i}", size, i + 1, "etag", None) for i, size in enumerate(sizes)]
    info = ObjectInfo(bucket="b", key="k", size=sum(sizes), etag="e", last_modified=0.0, meta={})
    return ObjectReader(info, segments, BlobStore(Path("/nonexistent")))


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (0, None, [Span("blob0", 0, 10), Span("blob1", 0, 20), Span("blob3", 0, 5)]),
        (0, 10, [Span("blob0", 0, 10)]),
        (9, 11, [Span("blob0", 9, 1), Span("blob1", 0, 1)]),
        (10, 30, [Span("blob1", 0, 20)]),
        (12, 33, [Span("blob1", 2, 18), Span("blob3", 0, 3)]),
        (34, 35, [Span("blob3", 4, 1)]),
        (35, 35, []),
    ],
)
def test_spans_cover_the_range_and_skip_empty_parts(
    start: int, end: int | None, expected: list[Span]
) -> None:
    # Part 3 is empty (a zero-byte last part cannot be in the middle, but the reader must not
    # trip on one): it never yields a span.
    assert reader(10, 20, 0, 5).spans(start, end) == expected
