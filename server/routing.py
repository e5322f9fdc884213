"""Routing: a pure function from (method, path, query, headers) to an S3 operation.

Path-style addressing: ``/`` is the service, ``/bucket`` the bucket, ``/bucket/key`` an object.
Virtual-hosted-style addressing, when the server has a domain (``s3mpu serve --domain D``): a
request to the host ``bucket.D`` names the bucket in its host, and its path is ``/`` or ``/key``.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html
The endpoint is the AWS operation name (DESIGN.md: one name per operation end to end). Tested as
a table against the URL examples of the AWS API reference in tests/server/test_routing.py.
Invalid combinations raise the S3 error AWS answers, as versitygw's s3api/router.go does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from storage import S3Error

MAX_KEY_BYTES = 1024

# Bucket and object sub-resources S3 has and s3mpu does not (yet): answered NotImplemented rather
# than misrouted to a plain Get/Put/Delete.
_UNSUPPORTED_SUBRESOURCES = frozenset(
    {
        "accelerate", "acl", "analytics", "encryption", "intelligent-tiering",
        "inventory", "legal-hold", "logging", "metadataConfiguration",
        "metrics", "notification", "object-lock", "ownershipControls", "policy", "policyStatus",
        "publicAccessBlock", "replication", "requestPayment", "restore", "retention", "select",
        "session", "torrent", "versioning", "versions", "website", "renameObject",
    }
)  # fmt: skip


# Sub-resources of a bucket that mean nothing on an object.
_BUCKET_SUBRESOURCES = frozenset({"lifecycle", "cors", "location", "delete"})

# https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html
_LIFECYCLE = {
    "GET": "GetBucketLifecycleConfiguration",
    "PUT": "PutBucketLifecycleConfiguration",
    "DELETE": "DeleteBucketLifecycle",
}


PREFLIGHT = "CorsPreflight"

# https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketCors.html
_CORS = {"GET": "GetBucketCors", "PUT": "PutBucketCors", "DELETE": "DeleteBucketCors"}


@dataclass(frozen=True)
class Route:
    endpoint: str
    bucket: str | None = None
    key: str | None = None


def virtual_bucket(host: str | None, domain: str | None) -> str | None:
    """The bucket a virtual-hosted-style request names in its Host (``bucket.domain[:port]``),
    or None for a path-style request (no domain configured, the bare domain, an IP address or
    any other host)."""
    if not domain or not host:
        return None
    name = host.strip().lower()
    if not name.startswith("["):  # an IPv6 literal has colons but no port to strip here
        name = name.rsplit(":", 1)[0] if ":" in name else name
    suffix = "." + domain.lower().strip(".")
    if not name.endswith(suffix) or len(name) == len(suffix):
        return None
    return name[: -len(suffix)]


def split_path(raw_path: str, bucket: str | None = None) -> tuple[str | None, str | None]:
    """Bucket and key from a raw (percent-encoded) request path; with ``bucket`` (from a
    virtual host) the whole path after its first "/" is the key."""
    try:
        path = unquote(raw_path, errors="strict")
    except UnicodeDecodeError as exc:
        raise S3Error("InvalidURI") from exc
    if not path.startswith("/"):
        raise S3Error("InvalidURI")
    if bucket is None:
        bucket, _, key = path[1:].partition("/")
    else:
        key = path[1:]
    if not bucket:
        return None, None
    if len(key.encode()) > MAX_KEY_BYTES:
        raise S3Error("KeyTooLongError")
    return bucket, key or None


def route(
    method: str,
    raw_path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    *,
    domain: str | None = None,
) -> Route:
    bucket, key = split_path(raw_path, virtual_bucket(headers.get("Host"), domain))
    if method == "OPTIONS":
        # A browser's CORS preflight, on a bucket or an object: unauthenticated, answered from
        # the bucket's CORS rules. https://docs.aws.amazon.com/AmazonS3/latest/API/RESTOPTIONSobject.html
        return Route(PREFLIGHT, bucket, key)
    if bucket is None:
        if method == "GET":
            return Route("ListBuckets")
        raise S3Error("MethodNotAllowed")
    unsupported = _UNSUPPORTED_SUBRESOURCES.intersection(query)
    if key and _BUCKET_SUBRESOURCES.intersection(query):
        unsupported |= _BUCKET_SUBRESOURCES.intersection(query)
    if unsupported:
        raise S3Error("NotImplemented", f"{sorted(unsupported)[0]} is not supported by s3mpu")
    endpoint = _object_endpoint(method, query, headers) if key else _bucket_endpoint(method, query)
    return Route(endpoint, bucket, key)


def _bucket_endpoint(method: str, query: Mapping[str, str]) -> str:
    if "tagging" in query or "attributes" in query:
        raise S3Error("NotImplemented", "bucket tagging and attributes are not supported")
    for subresource, endpoints in (("lifecycle", _LIFECYCLE), ("cors", _CORS)):
        if subresource in query:
            if method not in endpoints:
                raise S3Error("MethodNotAllowed")
            return endpoints[method]
    if method == "GET":
        if "location" in query:
            return "GetBucketLocation"
        if "uploads" in query:
            return "ListMultipartUploads"
        if query.get("list-type") == "2":
            return "ListObjectsV2"
        if "list-type" in query:
            raise S3Error("InvalidArgument", ArgumentName="list-type")
        return "ListObjects"
    if method == "PUT":
        return "CreateBucket"
    if method == "HEAD":
        return "HeadBucket"
    if method == "DELETE":
        return "DeleteBucket"
    if method == "POST":
        if "delete" in query:
            return "DeleteObjects"
        raise S3Error("NotImplemented", "browser-based POST uploads are not supported")
    raise S3Error("MethodNotAllowed")


# https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html
_TAGGING = {
    "GET": "GetObjectTagging",
    "PUT": "PutObjectTagging",
    "DELETE": "DeleteObjectTagging",
}


def _object_endpoint(method: str, query: Mapping[str, str], headers: Mapping[str, str]) -> str:
    if "tagging" in query:
        if method not in _TAGGING:
            raise S3Error("MethodNotAllowed")
        return _TAGGING[method]
    upload_id = "uploadId" in query
    if method == "PUT":
        if "partNumber" in query or upload_id:
            if not ("partNumber" in query and upload_id):
                raise S3Error("InvalidRequest", "UploadPart needs both partNumber and uploadId")
            return "UploadPartCopy" if "x-amz-copy-source" in headers else "UploadPart"
        return "CopyObject" if "x-amz-copy-source" in headers else "PutObject"
    if method == "GET":
        if upload_id:
            return "ListParts"
        if "attributes" in query:
            return "GetObjectAttributes"
        return "GetObject"
    if method == "HEAD":
        return "HeadObject"
    if method == "DELETE":
        return "AbortMultipartUpload" if upload_id else "DeleteObject"
    if method == "POST":
        if "uploads" in query:
            return "CreateMultipartUpload"
        if upload_id:
            return "CompleteMultipartUpload"
    raise S3Error("MethodNotAllowed")
