"""The multipart upload operations.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html
"""

from __future__ import annotations

import time
from urllib.parse import quote as urlquote

from aiohttp import web

from server import body, s3xml
from server.context import Call, xml_response
from server.handlers.bucket import encoding_type
from server.handlers.lifecycle import expiration_headers
from server.headers import (
    checksum_header,
    checksum_headers,
    http_date,
    meta_from_headers,
    optional_upper,
    tags_from_headers,
    write_condition,
)
from server.routing import virtual_bucket
from storage import MAX_KEYS, MAX_PART_SIZE, ObjectInfo, Upload, quote

# ListParts returns at most 1,000 parts a page.
MAX_PARTS = 1000


async def create_multipart_upload(call: Call) -> web.StreamResponse:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html"""
    headers = call.request.headers
    meta = meta_from_headers(headers)
    upload = await call.store.create_multipart_upload(
        call.bucket,
        call.key,
        meta,
        checksum_algorithm=optional_upper(headers, "x-amz-checksum-algorithm"),
        checksum_type=optional_upper(headers, "x-amz-checksum-type"),
        tags=tags_from_headers(headers),
    )
    response = xml_response(s3xml.initiate_multipart_upload(upload))
    response.headers.update(_abort_headers(call, upload))
    if upload.checksum_algorithm and upload.checksum_type:
        response.headers["x-amz-checksum-algorithm"] = upload.checksum_algorithm
        response.headers["x-amz-checksum-type"] = upload.checksum_type
    return response


async def upload_part(call: Call) -> web.StreamResponse:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html"""
    # The store checks the 1..10000 range; the message AWS gives is its.
    part_number = call.query_int("partNumber", 0, low=1)
    upload_id = call.request.query["uploadId"]
    incoming = body.request_body(
        call.request, call.auth, max_size=MAX_PART_SIZE, idle_timeout=call.config.body_idle_timeout
    )
    uploaded = await call.store.upload_part(call.bucket, call.key, upload_id, part_number, incoming)
    headers = {"ETag": quote(uploaded.part.etag)}
    headers.update(checksum_headers(uploaded.checksum_algorithm, uploaded.checksum))
    return web.Response(headers=headers)


async def list_parts(call: Call) -> web.StreamResponse:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html"""
    max_parts = call.query_int("max-parts", MAX_PARTS, high=MAX_PARTS)
    marker = call.query_int("part-number-marker", 0)
    upload, parts, truncated = await call.store.list_parts(
        call.bucket, call.key, call.request.query["uploadId"], max_parts=max_parts, after=marker
    )
    response = xml_response(
        s3xml.list_parts(upload, parts, marker=marker, max_parts=max_parts, truncated=truncated)
    )
    response.headers.update(_abort_headers(call, upload))
    return response


def _abort_headers(call: Call, upload: Upload) -> dict[str, str]:
    """x-amz-abort-date and x-amz-abort-rule-id, when a lifecycle rule will abort ``upload``."""
    found = call.store.abort_rule(upload)
    if found is None:
        return {}
    rule_id, when = found
    return {"x-amz-abort-date": http_date(when), "x-amz-abort-rule-id": rule_id}


async def list_multipart_uploads(call: Call) -> web.StreamResponse:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html"""
    query = call.request.query
    prefix = query.get("prefix", "")
    delimiter = query.get("delimiter", "")
    max_uploads = call.query_int("max-uploads", MAX_KEYS, high=MAX_KEYS)
    key_marker = query.get("key-marker", "")
    upload_id_marker = query.get("upload-id-marker", "") if key_marker else ""
    page = await call.store.list_multipart_uploads(
        call.bucket,
        prefix=prefix,
        delimiter=delimiter,
        max_uploads=max_uploads,
        key_marker=key_marker,
        upload_id_marker=upload_id_marker,
    )
    return xml_response(
        s3xml.list_multipart_uploads(
            call.bucket,
            page,
            prefix=prefix,
            delimiter=delimiter,
            max_uploads=max_uploads,
            key_marker=key_marker,
            upload_id_marker=upload_id_marker,
            encoding_type=encoding_type(call),
        )
    )


async def complete_multipart_upload(call: Call) -> web.StreamResponse:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html"""
    payload = await call.read_xml()
    parts = s3xml.parse_complete_multipart_upload(payload)
    headers = call.request.headers
    result = await call.store.complete_multipart_upload(
        call.bucket,
        call.key,
        call.request.query["uploadId"],
        parts,
        checksum_type=optional_upper(headers, "x-amz-checksum-type"),
        checksum=checksum_header(headers),
        condition=write_condition(headers),
    )
    path = urlquote(call.key)
    if virtual_bucket(call.request.host, call.config.domain) is None:
        path = f"{call.bucket}/{path}"
    location = f"{call.request.scheme}://{call.request.host}/{path}"
    response = xml_response(s3xml.complete_multipart_upload(result, location))
    # The object's Last-Modified is the instant of this answer, give or take the commit.
    completed = ObjectInfo(call.bucket, call.key, result.size, result.etag, time.time(), {})
    response.headers.update(expiration_headers(call, completed))
    return response


async def abort_multipart_upload(call: Call) -> web.StreamResponse:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html"""
    await call.store.abort_multipart_upload(call.bucket, call.key, call.request.query["uploadId"])
    return web.Response(status=204)
