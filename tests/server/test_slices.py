"""Which bytes a read answers: Range, or ?partNumber=N.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax
"""

from __future__ import annotations

import pytest

from server.slices import Slice, part_number, part_slice, read_slice
from storage import ObjectInfo, S3Error, Segment

PLAIN = ObjectInfo("b", "k", 10, "e", 0.0, {})
MULTI = ObjectInfo("b", "k", 12, "e-3", 0.0, {}, parts_count=3)
PLAIN_SEGMENTS = [Segment("x", 10, 1, "e", None)]
MULTI_SEGMENTS = [Segment("a", 5, 1, "a", None), Segment("b", 5, 2, "b", None),
                  Segment("c", 2, 3, "c", None)]  # fmt: skip


@pytest.mark.parametrize("raw", ["0", "10001", "-1", "one", "", "1.0", "²"])
def test_part_number_out_of_range_is_invalid_argument(raw: str) -> None:
    with pytest.raises(S3Error) as caught:
        part_number({"partNumber": raw}, {})
    assert caught.value.code == "InvalidArgument"
    assert caught.value.fields["ArgumentName"] == "partNumber"


def test_part_number_with_range_is_invalid_request() -> None:
    with pytest.raises(S3Error) as caught:
        part_number({"partNumber": "1"}, {"Range": "bytes=0-1"})
    assert caught.value.code == "InvalidRequest"


def test_part_number_absent_and_bounds() -> None:
    assert part_number({}, {"Range": "bytes=0-1"}) is None
    assert part_number({"partNumber": "1"}, {}) == 1
    assert part_number({"partNumber": "10000"}, {}) == 10000


def test_part_slice_of_a_multipart_object() -> None:
    assert part_slice(MULTI, MULTI_SEGMENTS, 2) == Slice(
        5, 10, True, {"x-amz-mp-parts-count": "3", "Content-Range": "bytes 5-9/12"}
    )
    assert part_slice(MULTI, MULTI_SEGMENTS, 3).headers["Content-Range"] == "bytes 10-11/12"


def test_part_slice_of_a_plain_object_is_the_whole_object() -> None:
    assert part_slice(PLAIN, PLAIN_SEGMENTS, 1) == Slice(
        0, 10, True, {"Content-Range": "bytes 0-9/10"}
    )


@pytest.mark.parametrize(
    ("info", "segments", "number", "count"),
    [(PLAIN, PLAIN_SEGMENTS, 2, 1), (MULTI, MULTI_SEGMENTS, 4, 3)],
)
def test_part_slice_past_the_last_part(
    info: ObjectInfo, segments: list[Segment], number: int, count: int
) -> None:
    with pytest.raises(S3Error) as caught:
        part_slice(info, segments, number)
    assert (caught.value.code, caught.value.status) == ("InvalidPartNumber", 416)
    assert caught.value.fields == {"PartNumberRequested": number, "ActualPartCount": count}


def test_read_slice_whole_range_and_head() -> None:
    assert read_slice(PLAIN, None, {}, {}) == Slice(0, 10, False)
    ranged = read_slice(PLAIN, None, {}, {"Range": "bytes=2-4"})
    assert ranged == Slice(2, 5, True, {"Content-Range": "bytes 2-4/10"})
    assert read_slice(PLAIN, None, {}, {"Range": "bytes=2-4"}, honour_range=False) == Slice(
        0, 10, False
    )
    assert read_slice(MULTI, MULTI_SEGMENTS, {"partNumber": "1"}, {}).end == 5


def test_part_slice_of_an_empty_object_is_a_200() -> None:
    empty = ObjectInfo("b", "k", 0, "d41d8cd98f00b204e9800998ecf8427e", 0.0, {})
    assert part_slice(empty, [Segment("x", 0, 1, empty.etag, None)], 1) == Slice(0, 0, False)
