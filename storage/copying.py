"""What a copy reads from its source: S3's rules for CopyObject and UploadPartCopy sources.
Pure: the source object's attributes in, a byte range or an S3Error out.

https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html

A copy streams the source's bytes through the same write path as an upload (MD5 and the
checksum computed in the one pass), so the copy is a new single-part object or part with an
ETag of its own, as on AWS. Sharing the source's data files instead would need reference counts
on data files (blobs.py deletes a file once the rows that name it are gone) and would keep a
multipart source's "-N" ETag, which a copy does not have on AWS.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.conditions import Outcome, Preconditions
from storage.conditions import evaluate as evaluate_conditions
from storage.errors import S3Error
from storage.models import MAX_PUT_SIZE, ObjectInfo

# "You can copy individual objects between general purpose buckets ... up to 5 GB in size";
# larger sources must be copied by parts (UploadPartCopy with ranges).
MAX_COPY_SOURCE = MAX_PUT_SIZE
COPY_RANGE_HEADER = "x-amz-copy-source-range"


@dataclass(frozen=True)
class CopySource:
    """The object a copy reads: x-amz-copy-source, its conditions and, for UploadPartCopy, the
    inclusive byte range of x-amz-copy-source-range (None: the whole object)."""

    bucket: str
    key: str
    conditions: Preconditions = field(default_factory=Preconditions)
    first_last: tuple[int, int] | None = None
    range_header: str = ""  # as sent, for the error's ArgumentValue

    def byte_range(self, info: ObjectInfo) -> tuple[int, int]:
        """[start, end) of ``info`` (the source as it is now) to copy, or the error AWS answers:
        PreconditionFailed for a condition that fails (a copy has no 304), InvalidArgument for
        a range past the end, InvalidRequest for a whole source over 5 GB."""
        verdict = evaluate_conditions(self.conditions, info.etag, info.last_modified)
        if verdict.outcome is not Outcome.PROCEED:
            raise S3Error("PreconditionFailed", Condition=f"x-amz-copy-source-{verdict.condition}")
        if self.first_last is None:
            if info.size > MAX_COPY_SOURCE:
                raise S3Error(
                    "InvalidRequest",
                    "The specified copy source is larger than the maximum allowable size for a "
                    f"copy source: {MAX_COPY_SOURCE}",
                )
            return 0, info.size
        first, last = self.first_last
        if last >= info.size:
            raise S3Error(
                "InvalidArgument",
                f"Range specified is not valid for source object of size: {info.size}",
                ArgumentName=COPY_RANGE_HEADER,
                ArgumentValue=self.range_header,
            )
        return first, last + 1

    def same_object(self, bucket: str, key: str) -> bool:
        return (self.bucket, self.key) == (bucket, key)
