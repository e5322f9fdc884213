"""Which bytes a GetObject or HeadObject answers: the whole object, a Range, or one part
(``?partNumber=N``). Pure: headers and the object's parts in, a Slice or an S3Error out.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from server.context import parse_int
from server.headers import parse_range
from storage import MAX_PART_NUMBER, ObjectInfo, S3Error, Segment

_BAD_PART_NUMBER = "Part number must be an integer between 1 and 10000, inclusive"


@dataclass(frozen=True)
class Slice:
    start: int
    end: int  # exclusive
    partial: bool  # 206 Partial Content, with Content-Range
    headers: dict[str, str] = field(default_factory=dict)

    def whole(self, size: int) -> bool:
        return (self.start, self.end) == (0, size)


def part_number(query: Mapping[str, str], headers: Mapping[str, str]) -> int | None:
    """The partNumber query parameter, or None. A number outside 1..10000 is InvalidArgument;
    partNumber with a Range header is InvalidRequest, as AWS answers."""
    raw = query.get("partNumber")
    if raw is None:
        return None
    value = parse_int(raw)
    if value is None or not 1 <= value <= MAX_PART_NUMBER:
        raise S3Error(
            "InvalidArgument", _BAD_PART_NUMBER, ArgumentName="partNumber", ArgumentValue=raw
        )
    if "Range" in headers:
        raise S3Error(
            "InvalidRequest", "Cannot specify both Range header and partNumber query parameter"
        )
    return value


def part_slice(info: ObjectInfo, segments: Sequence[Segment], number: int) -> Slice:
    """Part ``number`` of the object: its bytes, as 206 with Content-Range, and for a multipart
    object x-amz-mp-parts-count. An object PutObject stored is one part: partNumber=1 is all of
    it. A number past the last part is 416 InvalidPartNumber."""
    count = info.parts_count if info.parts_count is not None else 1
    if number > count or number > len(segments):
        raise S3Error("InvalidPartNumber", PartNumberRequested=number, ActualPartCount=count)
    start = sum(s.size for s in segments[: number - 1])
    end = start + segments[number - 1].size
    headers = {}
    if info.parts_count is not None:
        headers["x-amz-mp-parts-count"] = str(info.parts_count)
    if end == start:
        # An empty part (an empty object's only one) has no byte range to name: a 206 would
        # need a Content-Range, so it is a 200 with no body.
        return Slice(start, end, partial=False, headers=headers)
    headers["Content-Range"] = f"bytes {start}-{end - 1}/{info.size}"
    return Slice(start, end, partial=True, headers=headers)


def read_slice(
    info: ObjectInfo, segments: Sequence[Segment] | None, query: Mapping[str, str],
    headers: Mapping[str, str], *, honour_range: bool = True,
) -> Slice:  # fmt: skip
    """What a read answers. ``segments`` may be None when the request names no part (HeadObject
    then needs no data files); ``honour_range`` is False for HeadObject, which answers the
    whole object's headers."""
    number = part_number(query, headers)
    if number is not None:
        assert segments is not None, "a partNumber read needs the object's segments"
        return part_slice(info, segments, number)
    wanted = parse_range(headers.get("Range"), info.size) if honour_range else None
    if wanted is None:
        return Slice(0, info.size, partial=False)
    start, end = wanted
    return Slice(start, end, True, {"Content-Range": f"bytes {start}-{end - 1}/{info.size}"})
