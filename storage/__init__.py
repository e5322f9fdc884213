"""s3mpu storage: S3 semantics over SQLite metadata and data files. No HTTP, no XML.

The server imports storage through this package root only.
"""

from storage.checksums import CHECKSUM_ALGORITHMS, b64, digest_of
from storage.checksums import decode as decode_checksum
from storage.conditions import (
    Outcome,
    Preconditions,
    Verdict,
    WriteCondition,
    etag_matches,
    parse_http_date,
)
from storage.conditions import evaluate as evaluate_conditions
from storage.copying import COPY_RANGE_HEADER, CopySource
from storage.cors import Rule as CorsRule
from storage.cors import first_match as cors_first_match
from storage.errors import CATALOGUE, ErrorSpec, S3Error
from storage.etag import multipart_etag, normalize, quote
from storage.fsck import NotADataDir, fsck
from storage.lifecycle import DAY_SECONDS as LIFECYCLE_DAY_SECONDS
from storage.lifecycle import MAX_RULES as MAX_LIFECYCLE_RULES
from storage.lifecycle import Filter as LifecycleFilter
from storage.lifecycle import Rule as LifecycleRule
from storage.lifecycle import new_rule_id
from storage.listing import MAX_KEYS
from storage.lock import DataDirLocked
from storage.models import (
    DEFAULT_MIN_PART_SIZE,
    MAX_OBJECT_SIZE,
    MAX_PART_NUMBER,
    MAX_PART_SIZE,
    MAX_PUT_SIZE,
    Bucket,
    CompletedPart,
    CompleteResult,
    Digests,
    IncomingBody,
    ListedObject,
    ListedUpload,
    Meta,
    ObjectInfo,
    Page,
    Part,
    Segment,
    Tags,
    Upload,
    UploadedPart,
)
from storage.reader import ObjectReader
from storage.store import Store
from storage.tagging import validate as validate_tags

__all__ = [
    "CATALOGUE",
    "CHECKSUM_ALGORITHMS",
    "COPY_RANGE_HEADER",
    "DEFAULT_MIN_PART_SIZE",
    "LIFECYCLE_DAY_SECONDS",
    "MAX_KEYS",
    "MAX_LIFECYCLE_RULES",
    "MAX_OBJECT_SIZE",
    "MAX_PART_NUMBER",
    "MAX_PART_SIZE",
    "MAX_PUT_SIZE",
    "Bucket",
    "CompleteResult",
    "CompletedPart",
    "CopySource",
    "CorsRule",
    "DataDirLocked",
    "Digests",
    "ErrorSpec",
    "IncomingBody",
    "LifecycleFilter",
    "LifecycleRule",
    "ListedObject",
    "ListedUpload",
    "Meta",
    "NotADataDir",
    "ObjectInfo",
    "ObjectReader",
    "Outcome",
    "Page",
    "Part",
    "Preconditions",
    "S3Error",
    "Segment",
    "Store",
    "Tags",
    "Upload",
    "UploadedPart",
    "Verdict",
    "WriteCondition",
    "b64",
    "cors_first_match",
    "decode_checksum",
    "digest_of",
    "etag_matches",
    "evaluate_conditions",
    "fsck",
    "multipart_etag",
    "new_rule_id",
    "normalize",
    "parse_http_date",
    "quote",
    "validate_tags",
]
