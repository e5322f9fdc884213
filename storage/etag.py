"""ETag maths. A single-part object's ETag is the hex MD5 of its bytes; a multipart object's is
the MD5 of the concatenated binary MD5s of its parts, then "-" and the number of parts.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html#large-object-checksums
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def multipart_etag(part_etags: Iterable[str]) -> str:
    """The ETag of an object completed from parts with these (unquoted hex MD5) ETags, in order."""
    joined = hashlib.md5()
    count = 0
    for etag in part_etags:
        joined.update(bytes.fromhex(etag))
        count += 1
    return f"{joined.hexdigest()}-{count}"


def normalize(etag: str) -> str:
    """An ETag as a client may send it (quoted or not, any case) in our stored form."""
    return etag.strip().strip('"').lower()


def quote(etag: str) -> str:
    return f'"{etag}"'
