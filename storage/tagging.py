"""Object tags: S3's limits on a tag set. Pure; no HTTP, no XML.

"You can associate up to 10 tags with an object. Tags that are associated with an object must
have unique tag keys. A tag key can be up to 128 Unicode characters in length, and tag values
can be up to 256 Unicode characters in length. Amazon S3 object tags are internally represented
in UTF-16." Keys and values may hold "Unicode letters or numbers, white space, and the following
symbols: _ . : / = + @ -"; the "aws:" prefix is reserved.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html

The error codes are those AWS answers as others recorded them: more than 10 tags is 400
BadRequest, any other fault 400 InvalidTag (docs/compatibility.md).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from storage.errors import S3Error
from storage.models import Tags

MAX_TAGS = 10
MAX_KEY_LENGTH = 128
MAX_VALUE_LENGTH = 256
_SYMBOLS = frozenset("_.:/=+-@")


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _allowed(text: str) -> bool:
    return all(c in _SYMBOLS or unicodedata.category(c)[0] in "LZN" for c in text)


def validate(pairs: Iterable[tuple[str, str]]) -> Tags:
    """The tag set ``pairs`` describe, sorted by key (S3 answers tags in key order), or the
    S3 error AWS answers for the first fault."""
    tags = list(pairs)
    if len(tags) > MAX_TAGS:
        raise S3Error("BadRequest", "Object tags cannot be greater than 10")
    seen: set[str] = set()
    for key, value in tags:
        if not key or not _allowed(key):
            raise S3Error("InvalidTag", "The TagKey you have provided is invalid")
        if _utf16_length(key) > MAX_KEY_LENGTH:
            raise S3Error("InvalidTag", "The TagKey you have provided is too long, max 128")
        if key.lower().startswith("aws:"):
            raise S3Error("InvalidTag", "Your TagKey cannot be prefixed with aws:")
        if not _allowed(value):
            raise S3Error("InvalidTag", "The TagValue you have provided is invalid")
        if _utf16_length(value) > MAX_VALUE_LENGTH:
            raise S3Error("InvalidTag", "The TagValue you have provided is too long, max 256")
        if key in seen:
            raise S3Error("InvalidTag", "Cannot provide multiple Tags with the same key")
        seen.add(key)
    return tuple(sorted(tags))
