"""Every XML document s3mpu reads or writes. Built with ElementTree, parsed with defusedxml.

Response shapes follow the AWS API reference examples (golden-tested in tests/server/test_s3xml.py)
and botocore's S3 model. Request bodies are parsed with a size cap; elements are accepted with
or without the S3 namespace; any parse failure is MalformedXML.
"""

from __future__ import annotations

import functools
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote as urlquote

from defusedxml import ElementTree as SafeET

from storage import (
    CHECKSUM_ALGORITHMS,
    MAX_LIFECYCLE_RULES,
    Bucket,
    CompletedPart,
    CompleteResult,
    CorsRule,
    LifecycleFilter,
    LifecycleRule,
    ListedObject,
    ListedUpload,
    ObjectInfo,
    Page,
    Part,
    S3Error,
    Segment,
    Tags,
    Upload,
    UploadedPart,
    new_rule_id,
)
from storage import quote as quote_etag

NS = "http://s3.amazonaws.com/doc/2006-03-01/"
MAX_REQUEST_XML = 1024 * 1024  # CompleteMultipartUpload with 10,000 parts fits in well under this
OWNER_ID = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"
OWNER_NAME = "s3mpu"
_PART_NUMBER = re.compile(r"[0-9]{1,9}")


@functools.lru_cache(maxsize=4096)
def _iso_seconds(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


def iso8601(ts: float) -> str:
    """S3's XML timestamp: 2009-10-12T17:50:30.000Z. The seconds are formatted once each
    (cached): the keys, uploads and parts of a listing page mostly share a few."""
    # gmtime(ts) floors ts to whole seconds, as ts // 1 does.
    return _iso_seconds(int(ts // 1)) + f".{int(ts * 1000) % 1000:03d}Z"


def _text(parent: ET.Element, tag: str, value: Any) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)
    return element


def _optional(parent: ET.Element, tag: str, value: Any) -> None:
    if value not in (None, ""):
        _text(parent, tag, value)


def _root(tag: str) -> ET.Element:
    return ET.Element(tag, xmlns=NS)


# ElementTree's own escaping (xml.etree.ElementTree._escape_cdata and _escape_attrib).
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ATTRIB_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\r": "&#13;",
        "\n": "&#10;",
        "\t": "&#09;",
    }
)
_DECLARATION = "<?xml version='1.0' encoding='utf-8'?>\n"


def _serialize(root: ET.Element) -> bytes:
    """The document's bytes, exactly as ``ET.tostring(root, encoding="utf-8",
    xml_declaration=True)`` writes them, about five times faster: a page of 1,000 listed keys
    or uploads is 7,000 elements, and ElementTree's generic writer took most of the time of a
    ListObjectsV2 or ListMultipartUploads. Our documents are plain elements with text (no
    tails, comments or namespaced tags); anything else goes to ElementTree."""
    out = [_DECLARATION]
    if not _write(root, out):
        return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
    return "".join(out).encode("utf-8")


def _write(element: ET.Element, out: list[str]) -> bool:
    tag = element.tag
    if not isinstance(tag, str) or "{" in tag or element.tail:
        return False
    out.append("<" + tag)
    for name, value in element.attrib.items():
        if "{" in name:
            return False
        out.append(" " + name + '="' + value.translate(_ATTRIB_ESCAPES) + '"')
    text = element.text
    if not text and not len(element):
        out.append(" />")
        return True
    out.append(">")
    if text:
        out.append(text.translate(_TEXT_ESCAPES))
    for child in element:
        if not _write(child, out):
            return False
    out.append("</" + tag + ">")
    return True


# Listing documents (up to 1,000 entries of 5 to 11 elements each) are written straight to text
# in one pass, with no tree: the same bytes _serialize writes for the same elements (golden
# tests in tests/server/test_s3xml_listing.py hold them to it), about ten times faster. Every
# text goes through _leaf, which escapes it; tags are constants.


def _escape(text: str) -> str:
    """ElementTree's escaping of element text (xml.etree.ElementTree._escape_cdata)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _leaf(tag: str, text: str) -> str:
    """``<tag>text</tag>``, or ``<tag />`` for an empty text, as _serialize writes them."""
    if not text:
        return "<" + tag + " />"
    return "<" + tag + ">" + _escape(text) + "</" + tag + ">"


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _start(root: str) -> list[str]:
    """A document's pieces so far: the declaration and ``root``'s start tag."""
    return [_DECLARATION, "<" + root + ' xmlns="' + NS + '">']


def _end(out: list[str], root: str) -> bytes:
    out.append("</" + root + ">")
    return "".join(out).encode("utf-8")


def _owner_text(tag: str) -> str:
    return (
        "<"
        + tag
        + ">"
        + _leaf("ID", OWNER_ID)
        + _leaf("DisplayName", OWNER_NAME)
        + "</"
        + tag
        + ">"
    )


_OWNER_TEXT = _owner_text("Owner")
_INITIATOR_AND_OWNER = _owner_text("Initiator") + _OWNER_TEXT
_STORAGE_CLASS = _leaf("StorageClass", "STANDARD")
# A part of ListParts up to its checksum: number, LastModified as iso8601 writes it, ETag, size.
_PART = (
    "<Part><PartNumber>%d</PartNumber><LastModified>%s.%03dZ</LastModified>"
    "<ETag>%s</ETag><Size>%d</Size>"
)


def _key_encoder(encoding_type: str) -> Callable[[str], str]:
    return _url_encode if encoding_type == "url" else _same


def _url_encode(value: str) -> str:
    return urlquote(value, safe="/")


def _same(value: str) -> str:
    return value


def _owner(parent: ET.Element, tag: str = "Owner") -> None:
    owner = ET.SubElement(parent, tag)
    _text(owner, "ID", OWNER_ID)
    _text(owner, "DisplayName", OWNER_NAME)


def _checksum(parent: ET.Element, algorithm: str | None, value: str | None) -> None:
    if algorithm and value:
        _text(parent, f"Checksum{algorithm}", value)


def encode_key(value: str, encoding_type: str) -> str:
    """A key, prefix or marker as a listing with encoding-type=url returns it."""
    return urlquote(value, safe="/") if encoding_type == "url" else value


# Responses


def error(err: S3Error, resource: str, request_id: str) -> bytes:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#RESTErrorResponses"""
    root = ET.Element("Error")
    _text(root, "Code", err.code)
    _text(root, "Message", err.message)
    for name, value in err.fields.items():
        _text(root, name, value)
    _text(root, "Resource", resource)
    _text(root, "RequestId", request_id)
    return _serialize(root)


def list_buckets(buckets: Iterable[Bucket]) -> bytes:
    root = _root("ListAllMyBucketsResult")
    _owner(root)
    container = ET.SubElement(root, "Buckets")
    for bucket in buckets:
        element = ET.SubElement(container, "Bucket")
        _text(element, "Name", bucket.name)
        _text(element, "CreationDate", iso8601(bucket.created))
    return _serialize(root)


def _contents(obj: ListedObject, encode: Callable[[str], str], fetch_owner: bool) -> str:
    text = (
        "<Contents>"
        + _leaf("Key", encode(obj.key))
        + _leaf("LastModified", iso8601(obj.last_modified))
        + _leaf("ETag", quote_etag(obj.etag))
        + _leaf("Size", str(obj.size))
        + _STORAGE_CLASS
    )
    if fetch_owner:
        text += _OWNER_TEXT
    if obj.checksum_algorithm:
        text += _leaf("ChecksumAlgorithm", obj.checksum_algorithm)
        if obj.checksum_type:
            text += _leaf("ChecksumType", obj.checksum_type)
    return text + "</Contents>"


def _common_prefixes(out: list[str], prefixes: Iterable[str], encode: Callable[[str], str]) -> None:
    out.extend(
        "<CommonPrefixes>" + _leaf("Prefix", encode(prefix)) + "</CommonPrefixes>"
        for prefix in prefixes
    )


def list_objects_v2(
    bucket: str,
    page: Page[ListedObject],
    *,
    prefix: str,
    delimiter: str,
    max_keys: int,
    encoding_type: str,
    start_after: str,
    continuation_token: str | None,
    next_token: str | None,
    fetch_owner: bool = False,
) -> bytes:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html"""
    encode = _key_encoder(encoding_type)
    out = _start("ListBucketResult")
    out += (_leaf("Name", bucket), _leaf("Prefix", encode(prefix)))
    if delimiter:
        out.append(_leaf("Delimiter", encode(delimiter)))
    out.append(_leaf("MaxKeys", str(max_keys)))
    if encoding_type:
        out.append(_leaf("EncodingType", encoding_type))
    out.append(_leaf("KeyCount", str(len(page.entries) + len(page.prefixes))))
    out.append(_leaf("IsTruncated", _bool(page.truncated)))
    if continuation_token is not None:
        out.append(_leaf("ContinuationToken", continuation_token))
    if next_token:
        out.append(_leaf("NextContinuationToken", next_token))
    if start_after:
        out.append(_leaf("StartAfter", encode(start_after)))
    out.extend(_contents(obj, encode, fetch_owner) for obj in page.entries)
    _common_prefixes(out, page.prefixes, encode)
    return _end(out, "ListBucketResult")


def list_objects(
    bucket: str,
    page: Page[ListedObject],
    *,
    prefix: str,
    delimiter: str,
    max_keys: int,
    encoding_type: str,
    marker: str,
) -> bytes:
    """ListObjects (version 1). NextMarker is returned only with a delimiter, as the page says;
    without one, a client continues from the last Key.
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html"""
    encode = _key_encoder(encoding_type)
    out = _start("ListBucketResult")
    out += (_leaf("Name", bucket), _leaf("Prefix", encode(prefix)), _leaf("Marker", encode(marker)))
    if page.truncated and delimiter and page.last_name is not None:
        out.append(_leaf("NextMarker", encode(page.last_name)))
    out.append(_leaf("MaxKeys", str(max_keys)))
    if delimiter:
        out.append(_leaf("Delimiter", encode(delimiter)))
    if encoding_type:
        out.append(_leaf("EncodingType", encoding_type))
    out.append(_leaf("IsTruncated", _bool(page.truncated)))
    out.extend(_contents(obj, encode, True) for obj in page.entries)
    _common_prefixes(out, page.prefixes, encode)
    return _end(out, "ListBucketResult")


def get_bucket_location(region: str) -> bytes:
    """us-east-1 is the empty LocationConstraint, as S3 answers for it.
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html"""
    root = _root("LocationConstraint")
    if region != "us-east-1":
        root.text = region
    return _serialize(root)


@dataclass(frozen=True)
class DeleteOutcome:
    """One key of a DeleteObjects request: deleted, or the S3 error it got."""

    key: str
    version_id: str | None = None
    error: S3Error | None = None


def delete_result(outcomes: Iterable[DeleteOutcome], *, quiet: bool) -> bytes:
    """Quiet mode lists only the keys that failed.
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html"""
    root = _root("DeleteResult")
    for outcome in outcomes:
        if outcome.error is None:
            if quiet:
                continue
            element = ET.SubElement(root, "Deleted")
            _text(element, "Key", outcome.key)
            _optional(element, "VersionId", outcome.version_id)
        else:
            element = ET.SubElement(root, "Error")
            _text(element, "Key", outcome.key)
            _optional(element, "VersionId", outcome.version_id)
            _text(element, "Code", outcome.error.code)
            _text(element, "Message", outcome.error.message)
    return _serialize(root)


def initiate_multipart_upload(upload: Upload) -> bytes:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html"""
    root = _root("InitiateMultipartUploadResult")
    _text(root, "Bucket", upload.bucket)
    _text(root, "Key", upload.key)
    _text(root, "UploadId", upload.upload_id)
    return _serialize(root)


def list_parts(
    upload: Upload,
    parts: Sequence[Part],
    *,
    marker: int,
    max_parts: int,
    truncated: bool,
) -> bytes:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html"""
    out = _start("ListPartsResult")
    out += (
        _leaf("Bucket", upload.bucket),
        _leaf("Key", upload.key),
        _leaf("UploadId", upload.upload_id),
        _INITIATOR_AND_OWNER,
        _STORAGE_CLASS,
        _leaf("PartNumberMarker", str(marker)),
    )
    if parts:
        out.append(_leaf("NextPartNumberMarker", str(parts[-1].part_number)))
    out.append(_leaf("MaxParts", str(max_parts)))
    out.append(_leaf("IsTruncated", _bool(truncated)))
    algorithm = upload.checksum_algorithm
    if algorithm:
        out.append(_leaf("ChecksumAlgorithm", algorithm))
    if upload.checksum_type:
        out.append(_leaf("ChecksumType", upload.checksum_type))
    checksum_tag = f"Checksum{algorithm}"
    for part in parts:
        # What the four _leaf calls write (none of these texts is ever empty; only the ETag
        # can need escaping), in one format: a page of 100 parts renders about twice as fast.
        ts = part.last_modified
        text = _PART % (
            part.part_number,
            _iso_seconds(int(ts // 1)),
            int(ts * 1000) % 1000,
            _escape(quote_etag(part.etag)),
            part.size,
        )
        if algorithm and part.checksum:
            text += _leaf(checksum_tag, part.checksum)
        out.append(text + "</Part>")
    return _end(out, "ListPartsResult")


def list_multipart_uploads(
    bucket: str,
    page: Page[ListedUpload],
    *,
    prefix: str,
    delimiter: str,
    max_uploads: int,
    key_marker: str,
    upload_id_marker: str,
    encoding_type: str,
) -> bytes:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html"""
    encode = _key_encoder(encoding_type)
    out = _start("ListMultipartUploadsResult")
    out += (
        _leaf("Bucket", bucket),
        _leaf("KeyMarker", encode(key_marker)),
        _leaf("UploadIdMarker", upload_id_marker),
    )
    if page.truncated:
        last = page.last_entry
        next_key = last.key if last is not None else page.last_name
        out.append(_leaf("NextKeyMarker", encode(next_key or "")))
        out.append(_leaf("NextUploadIdMarker", last.upload_id if last is not None else ""))
    if delimiter:
        out.append(_leaf("Delimiter", encode(delimiter)))
    if prefix:
        out.append(_leaf("Prefix", encode(prefix)))
    out.append(_leaf("MaxUploads", str(max_uploads)))
    if encoding_type:
        out.append(_leaf("EncodingType", encoding_type))
    out.append(_leaf("IsTruncated", _bool(page.truncated)))
    for upload in page.entries:
        text = (
            "<Upload>"
            + _leaf("Key", encode(upload.key))
            + _leaf("UploadId", upload.upload_id)
            + _INITIATOR_AND_OWNER
            + _STORAGE_CLASS
            + _leaf("Initiated", iso8601(upload.initiated))
        )
        if upload.checksum_algorithm:
            text += _leaf("ChecksumAlgorithm", upload.checksum_algorithm)
        if upload.checksum_type:
            text += _leaf("ChecksumType", upload.checksum_type)
        out.append(text + "</Upload>")
    _common_prefixes(out, page.prefixes, encode)
    return _end(out, "ListMultipartUploadsResult")


def complete_multipart_upload(result: CompleteResult, location: str) -> bytes:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html"""
    root = _root("CompleteMultipartUploadResult")
    _text(root, "Location", location)
    _text(root, "Bucket", result.bucket)
    _text(root, "Key", result.key)
    _text(root, "ETag", quote_etag(result.etag))
    _checksum(root, result.checksum_algorithm, result.checksum)
    _optional(root, "ChecksumType", result.checksum_type)
    return _serialize(root)


# Requests


def _local(tag: str) -> str:
    """An element's name without its namespace, if any."""
    return tag.rsplit("}", 1)[-1]


def _fast_parse(body: bytes) -> ET.Element | None:
    """ElementTree's C parser for a document that cannot hold a DTD; None for any other.

    defusedxml guards against what a DTD can do (entity expansion, external entities, DTD
    retrieval), but it parses with ElementTree's pure-Python handlers: a 10,000-part
    CompleteMultipartUpload took about 80 ms to parse, most of a Complete's time. Without
    "<!" a document has no markup declaration at all (no DOCTYPE, hence no entities but the
    five predefined ones), so there is nothing to guard against. The check is made on the text
    decoded as UTF-8, and the C parser is given that text: expat then reads it as UTF-8
    whatever encoding the XML declaration names, so no other encoding can spell a DOCTYPE the
    check does not see. Anything else (comments, CDATA, other encodings) goes to defusedxml.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "<!" in text:
        return None
    return ET.fromstring(text)


def parse(body: bytes, root_name: str, *, limit: int = MAX_REQUEST_XML) -> ET.Element:
    """The document's root, which must be ``root_name``; MalformedXML for anything else."""
    if not body or len(body) > limit:
        raise S3Error("MalformedXML")
    try:
        root = _fast_parse(body)
        if root is None:
            root = SafeET.fromstring(body)
    except Exception as exc:  # defusedxml raises ParseError and its own DTD/entity errors
        raise S3Error("MalformedXML") from exc
    if not isinstance(root, ET.Element) or _local(root.tag) != root_name:
        raise S3Error("MalformedXML")
    return root


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if _local(child.tag) == name]


def _child_text(element: ET.Element, name: str) -> str | None:
    found = _children(element, name)
    if len(found) != 1:
        return None
    return (found[0].text or "").strip()


def parse_complete_multipart_upload(body: bytes) -> list[CompletedPart]:
    """The parts a CompleteMultipartUpload request lists, in the order it lists them, with the
    part checksums (ChecksumCRC32...) each lists, as sent: the store checks them."""
    root = parse(body, "CompleteMultipartUpload")
    parts = []
    # One pass over each Part's children: a 10,000-part list is parsed in tens of milliseconds.
    for element in _children(root, "Part"):
        fields: dict[str, list[str]] = {}
        for child in element:
            fields.setdefault(_local(child.tag), []).append((child.text or "").strip())
        number, etag = fields.get("PartNumber", []), fields.get("ETag", [])
        if len(number) != 1 or len(etag) != 1 or _PART_NUMBER.fullmatch(number[0]) is None:
            raise S3Error("MalformedXML")
        checksums = {
            algorithm: fields[f"Checksum{algorithm}"][-1]
            for algorithm in CHECKSUM_ALGORITHMS
            if f"Checksum{algorithm}" in fields
        }
        parts.append(CompletedPart(int(number[0]), etag[0], checksums))
    if not parts:
        raise S3Error("MalformedXML")
    return parts


def parse_create_bucket(body: bytes) -> str | None:
    """The LocationConstraint of a CreateBucket body, if any."""
    root = parse(body, "CreateBucketConfiguration")
    return _child_text(root, "LocationConstraint")


# Lifecycle configuration
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html


def _one(element: ET.Element, name: str) -> ET.Element | None:
    """The child ``name``, if present; MalformedXML if it is repeated."""
    found = _children(element, name)
    if len(found) > 1:
        raise S3Error("MalformedXML")
    return found[0] if found else None


def _int(element: ET.Element, name: str) -> int | None:
    found = _one(element, name)
    if found is None:
        return None
    try:
        return int((found.text or "").strip())
    except ValueError as exc:
        raise S3Error("MalformedXML") from exc


def _only(element: ET.Element, allowed: set[str]) -> None:
    if any(_local(child.tag) not in allowed for child in element):
        raise S3Error("MalformedXML")


def _lifecycle_filter(element: ET.Element) -> LifecycleFilter:
    predicates = [_local(child.tag) for child in element]
    if "Tag" in predicates:
        raise S3Error("NotImplemented", "lifecycle rules filtered by object tags")
    _only(element, {"Prefix", "ObjectSizeGreaterThan", "ObjectSizeLessThan", "And"})
    # A Filter holds one predicate; several are combined inside And.
    if len(predicates) > 1:
        raise S3Error("MalformedXML")
    form = "filter"
    conjunction = _one(element, "And")
    if conjunction is not None:
        if any(_local(child.tag) == "Tag" for child in conjunction):
            raise S3Error("NotImplemented", "lifecycle rules filtered by object tags")
        _only(conjunction, {"Prefix", "ObjectSizeGreaterThan", "ObjectSizeLessThan"})
        element, form = conjunction, "and"
    prefix = _one(element, "Prefix")
    return LifecycleFilter(
        prefix="" if prefix is None else (prefix.text or ""),
        size_greater_than=_int(element, "ObjectSizeGreaterThan"),
        size_less_than=_int(element, "ObjectSizeLessThan"),
        form=form,
    )


def _lifecycle_rule(element: ET.Element) -> LifecycleRule:
    if _children(element, "Transition") or _children(element, "NoncurrentVersionTransition"):
        raise S3Error("NotImplemented", "s3mpu has one storage class: transitions do not apply")
    _only(
        element,
        {
            "ID", "Prefix", "Filter", "Status", "Expiration", "NoncurrentVersionExpiration",
            "AbortIncompleteMultipartUpload",
        },
    )  # fmt: skip
    status = _child_text(element, "Status")
    if status not in ("Enabled", "Disabled"):
        raise S3Error("MalformedXML")
    legacy_prefix, given_filter = _one(element, "Prefix"), _one(element, "Filter")
    if legacy_prefix is not None and given_filter is not None:
        # The schema offers Prefix or Filter, not both.
        raise S3Error("MalformedXML")
    rule_filter = LifecycleFilter()
    if given_filter is not None:
        rule_filter = _lifecycle_filter(given_filter)
    elif legacy_prefix is not None:
        rule_filter = LifecycleFilter(prefix=legacy_prefix.text or "", form="prefix")
    rule_id = _one(element, "ID")
    fields: dict[str, Any] = {}
    expiration = _one(element, "Expiration")
    if expiration is not None:
        _only(expiration, {"Days", "Date", "ExpiredObjectDeleteMarker"})
        if len(expiration) != 1:
            raise S3Error("MalformedXML")
        fields["expiration_days"] = _int(expiration, "Days")
        fields["expiration_date"] = _child_text(expiration, "Date")
        marker = _child_text(expiration, "ExpiredObjectDeleteMarker")
        if marker is not None:
            if marker not in ("true", "false"):
                raise S3Error("MalformedXML")
            fields["expired_object_delete_marker"] = marker == "true"
    abort = _one(element, "AbortIncompleteMultipartUpload")
    if abort is not None:
        _only(abort, {"DaysAfterInitiation"})
        fields["abort_days"] = _int(abort, "DaysAfterInitiation")
        if fields["abort_days"] is None:
            raise S3Error("MalformedXML")
    noncurrent = _one(element, "NoncurrentVersionExpiration")
    if noncurrent is not None:
        _only(noncurrent, {"NoncurrentDays", "NewerNoncurrentVersions"})
        fields["noncurrent_days"] = _int(noncurrent, "NoncurrentDays")
        fields["newer_noncurrent_versions"] = _int(noncurrent, "NewerNoncurrentVersions")
        if fields["noncurrent_days"] is None:
            raise S3Error("MalformedXML")
    return LifecycleRule(
        id=new_rule_id() if rule_id is None else (rule_id.text or "").strip(),
        enabled=status == "Enabled",
        filter=rule_filter,
        **fields,
    )


def parse_lifecycle_configuration(body: bytes) -> list[LifecycleRule]:
    """The rules of a LifecycleConfiguration, or MalformedXML for a document that does not
    validate against S3's schema. The store applies AWS's InvalidArgument checks."""
    root = parse(body, "LifecycleConfiguration")
    _only(root, {"Rule"})
    if not 0 < len(root) <= MAX_LIFECYCLE_RULES:
        raise S3Error("MalformedXML")
    return [_lifecycle_rule(element) for element in root]


def _render_filter(rule: ET.Element, found: LifecycleFilter) -> None:
    if found.form == "prefix":
        _text(rule, "Prefix", found.prefix)
        return
    element = ET.SubElement(rule, "Filter")
    if found.form == "and":
        element = ET.SubElement(element, "And")
    sizeless = found.size_greater_than is None and found.size_less_than is None
    if found.prefix or (found.form == "filter" and sizeless):
        # An empty Filter reads back as <Filter><Prefix></Prefix></Filter>, as on AWS.
        _text(element, "Prefix", found.prefix)
    _optional(element, "ObjectSizeGreaterThan", found.size_greater_than)
    _optional(element, "ObjectSizeLessThan", found.size_less_than)


def lifecycle_configuration(rules: Iterable[LifecycleRule]) -> bytes:
    root = _root("LifecycleConfiguration")
    for found in rules:
        rule = ET.SubElement(root, "Rule")
        _text(rule, "ID", found.id)
        _render_filter(rule, found.filter)
        _text(rule, "Status", "Enabled" if found.enabled else "Disabled")
        if found.expires_objects or found.expired_object_delete_marker is not None:
            expiration = ET.SubElement(rule, "Expiration")
            _optional(expiration, "Days", found.expiration_days)
            _optional(expiration, "Date", found.expiration_date)
            _optional(expiration, "ExpiredObjectDeleteMarker", found.expired_object_delete_marker)
        if found.noncurrent_days is not None:
            noncurrent = ET.SubElement(rule, "NoncurrentVersionExpiration")
            _text(noncurrent, "NoncurrentDays", found.noncurrent_days)
            _optional(noncurrent, "NewerNoncurrentVersions", found.newer_noncurrent_versions)
        if found.abort_days is not None:
            abort = ET.SubElement(rule, "AbortIncompleteMultipartUpload")
            _text(abort, "DaysAfterInitiation", found.abort_days)
    return _serialize(root)


# CORS configuration
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketCors.html


def _texts(element: ET.Element, name: str) -> tuple[str, ...]:
    return tuple((child.text or "").strip() for child in _children(element, name))


def _cors_rule(element: ET.Element) -> CorsRule:
    _only(
        element,
        {
            "ID", "AllowedMethod", "AllowedOrigin", "AllowedHeader", "ExposeHeader",
            "MaxAgeSeconds",
        },
    )  # fmt: skip
    rule_id = _one(element, "ID")
    return CorsRule(
        allowed_methods=_texts(element, "AllowedMethod"),
        allowed_origins=_texts(element, "AllowedOrigin"),
        allowed_headers=_texts(element, "AllowedHeader"),
        expose_headers=_texts(element, "ExposeHeader"),
        max_age_seconds=_int(element, "MaxAgeSeconds"),
        id=None if rule_id is None else (rule_id.text or "").strip(),
    )


def parse_cors_configuration(body: bytes) -> list[CorsRule]:
    """The rules of a CORSConfiguration; MalformedXML for anything S3's schema refuses. The
    store applies AWS's other checks."""
    root = parse(body, "CORSConfiguration")
    _only(root, {"CORSRule"})
    return [_cors_rule(element) for element in root]


def cors_configuration(rules: Iterable[CorsRule]) -> bytes:
    root = _root("CORSConfiguration")
    for found in rules:
        rule = ET.SubElement(root, "CORSRule")
        _optional(rule, "ID", found.id)
        for origin in found.allowed_origins:
            _text(rule, "AllowedOrigin", origin)
        for header in found.allowed_headers:
            _text(rule, "AllowedHeader", header)
        for method in found.allowed_methods:
            _text(rule, "AllowedMethod", method)
        _optional(rule, "MaxAgeSeconds", found.max_age_seconds)
        for header in found.expose_headers:
            _text(rule, "ExposeHeader", header)
    return _serialize(root)


# DeleteObjects takes at most 1,000 keys of up to 1,024 bytes, each of which XML may escape to
# several times its length ("&" is "&amp;").
MAX_DELETE_KEYS = 1000
MAX_DELETE_XML = 8 * 1024 * 1024


@dataclass(frozen=True)
class DeleteRequest:
    quiet: bool
    objects: list[tuple[str, str | None]]  # (key, version id as sent)


def parse_delete_objects(body: bytes) -> DeleteRequest:
    """A DeleteObjects request: Quiet, and 1 to 1,000 Objects, each with a Key and optionally a
    VersionId. More than 1,000 keys is MalformedXML, as S3 answers.
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html"""
    root = parse(body, "Delete", limit=MAX_DELETE_XML)
    quiet_text = (_child_text(root, "Quiet") or "false").lower()
    if quiet_text not in ("true", "false", "1", "0"):  # xs:boolean
        raise S3Error("MalformedXML")
    objects: list[tuple[str, str | None]] = []
    for element in _children(root, "Object"):
        keys = _children(element, "Key")
        if len(keys) != 1:
            raise S3Error("MalformedXML")
        versions = _children(element, "VersionId")
        if len(versions) > 1:
            raise S3Error("MalformedXML")
        # A key is taken exactly as sent: keys may begin or end with spaces.
        version = (versions[0].text or "").strip() if versions else None
        objects.append((keys[0].text or "", version))
    if not objects or len(objects) > MAX_DELETE_KEYS:
        raise S3Error("MalformedXML")
    return DeleteRequest(quiet=quiet_text in ("true", "1"), objects=objects)


# Object tagging
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectTagging.html


def tagging(tags: Tags) -> bytes:
    root = _root("Tagging")
    tag_set = ET.SubElement(root, "TagSet")
    for key, value in tags:
        tag = ET.SubElement(tag_set, "Tag")
        _text(tag, "Key", key)
        _text(tag, "Value", value)
    return _serialize(root)


def parse_tagging(body: bytes) -> list[tuple[str, str]]:
    """The tags of a PutObjectTagging document: Tagging holds one TagSet of Tags, each with one
    Key and one Value (which may be empty); anything else is MalformedXML. Keys and values are
    taken as sent, without trimming; the store checks S3's limits.
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html"""
    root = parse(body, "Tagging")
    tag_sets = _children(root, "TagSet")
    if len(tag_sets) != 1:
        raise S3Error("MalformedXML")
    pairs = []
    for tag in tag_sets[0]:
        if _local(tag.tag) != "Tag":
            raise S3Error("MalformedXML")
        keys, values = _children(tag, "Key"), _children(tag, "Value")
        if len(keys) != 1 or len(values) != 1:
            raise S3Error("MalformedXML")
        pairs.append((keys[0].text or "", values[0].text or ""))
    return pairs


# GetObjectAttributes
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html


def object_attributes(
    info: ObjectInfo,
    segments: Sequence[Segment],
    wanted: Iterable[str],
    *,
    max_parts: int,
    marker: int,
) -> bytes:
    """The attributes ``wanted`` names, in the page's order. The ETag is unquoted, as AWS
    answers it here; ObjectParts is given for multipart objects only, with each part's checksum
    of the object's algorithm when one was kept."""
    asked = set(wanted)
    root = _root("GetObjectAttributesResponse")
    if "ETag" in asked:
        _text(root, "ETag", info.etag)
    if "Checksum" in asked and info.checksum_algorithm and info.checksum:
        checksum = ET.SubElement(root, "Checksum")
        _checksum(checksum, info.checksum_algorithm, info.checksum)
        _optional(checksum, "ChecksumType", info.checksum_type)
    if "ObjectParts" in asked and info.parts_count is not None:
        after = [s for s in segments if s.part_number > marker]
        page, truncated = after[:max_parts], len(after) > max_parts
        parts = ET.SubElement(root, "ObjectParts")
        _text(parts, "PartsCount", info.parts_count)
        _text(parts, "PartNumberMarker", marker)
        if page:
            _text(parts, "NextPartNumberMarker", page[-1].part_number)
        _text(parts, "MaxParts", max_parts)
        _text(parts, "IsTruncated", truncated)
        for segment in page:
            part = ET.SubElement(parts, "Part")
            _text(part, "PartNumber", segment.part_number)
            _text(part, "Size", segment.size)
            _checksum(part, info.checksum_algorithm, segment.checksum)
    if "StorageClass" in asked:
        _text(root, "StorageClass", "STANDARD")
    if "ObjectSize" in asked:
        _text(root, "ObjectSize", info.size)
    return _serialize(root)


# Copies


def copy_object_result(info: ObjectInfo) -> bytes:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html#API_CopyObject_ResponseSyntax"""
    root = _root("CopyObjectResult")
    _text(root, "ETag", quote_etag(info.etag))
    _text(root, "LastModified", iso8601(info.last_modified))
    _checksum(root, info.checksum_algorithm, info.checksum)
    _optional(root, "ChecksumType", info.checksum_type)
    return _serialize(root)


def copy_part_result(uploaded: UploadedPart) -> bytes:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html#API_UploadPartCopy_ResponseSyntax"""
    root = _root("CopyPartResult")
    _text(root, "ETag", quote_etag(uploaded.part.etag))
    _text(root, "LastModified", iso8601(uploaded.part.last_modified))
    _checksum(root, uploaded.checksum_algorithm, uploaded.checksum)
    return _serialize(root)
