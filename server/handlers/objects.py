"""Object operations: PutObject, GetObject, HeadObject, GetObjectAttributes, DeleteObject,
DeleteObjects."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from aiohttp import web

from server import body, s3xml
from server.context import MAX_INT32, Call, parse_int, xml_response
from server.handlers.lifecycle import expiration_headers
from server.handlers.multipart import MAX_PARTS
from server.headers import (
    checksum_headers,
    http_date,
    meta_from_headers,
    object_headers,
    preconditions,
    tags_from_headers,
    write_condition,
)
from server.routing import MAX_KEY_BYTES
from server.sendfile import send_body
from server.slices import part_number, read_slice
from storage import MAX_PUT_SIZE, ObjectInfo, Outcome, S3Error, evaluate_conditions, quote

log = logging.getLogger("s3mpu")


async def put_object(call: Call) -> web.StreamResponse:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html"""
    meta = meta_from_headers(call.request.headers)
    tags = tags_from_headers(call.request.headers)
    condition = write_condition(call.request.headers)
    incoming = body.request_body(
        call.request,
        call.auth,
        max_size=MAX_PUT_SIZE,
        idle_timeout=call.config.body_idle_timeout,
    )
    info = await call.store.put_object(call.bucket, call.key, incoming, meta, condition, tags=tags)
    headers = {"ETag": quote(info.etag)}
    # The checksum the client sent, or S3's default CRC64NVME; always FULL_OBJECT.
    headers.update(checksum_headers(info.checksum_algorithm, info.checksum, info.checksum_type))
    headers.update(expiration_headers(call, info))
    return web.Response(headers=headers)


# GetObject's query parameters that override response headers (presigned download links use
# them). https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax
_OVERRIDES = {
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
    "response-content-language": "Content-Language",
    "response-content-type": "Content-Type",
    "response-expires": "Expires",
}


def _response_headers(call: Call, info: ObjectInfo, *, whole: bool) -> dict[str, str]:
    # A read of part of the object answers no checksum: it would not describe these bytes. A
    # Range that covers the whole object does get it, as on AWS.
    headers = object_headers(info, checksum_mode=_checksum_mode(call) and whole)
    for param, header in _OVERRIDES.items():
        if param in call.request.query:
            headers[header] = call.request.query[param]
    return headers


def _conditions(call: Call, info: ObjectInfo) -> web.Response | None:
    """If-Match, If-None-Match, If-Modified-Since and If-Unmodified-Since on GetObject and
    HeadObject: 412 PreconditionFailed, a 304 Not Modified answer, or None to go on.
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax
    """
    verdict = evaluate_conditions(
        preconditions(call.request.headers), info.etag, info.last_modified
    )
    if verdict.outcome is Outcome.FAILED:
        raise S3Error("PreconditionFailed", Condition=verdict.condition)
    if verdict.outcome is Outcome.NOT_MODIFIED:
        # A 304 carries the validators and caching headers a 200 would (RFC 9110 15.4.5).
        full = object_headers(info)
        kept = ("ETag", "Last-Modified", "Cache-Control", "Expires")
        return web.Response(status=304, headers={h: full[h] for h in kept if h in full})
    return None


def _checksum_mode(call: Call) -> bool:
    """x-amz-checksum-mode: ENABLED asks for the object's checksum; any other value is refused."""
    mode = call.request.headers.get("x-amz-checksum-mode")
    if mode is None:
        return False
    if mode.strip().upper() != "ENABLED":
        raise S3Error("InvalidRequest", "Value for x-amz-checksum-mode header is invalid.")
    return True


async def get_object(call: Call) -> web.StreamResponse:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html"""
    async with call.store.open_object(call.bucket, call.key) as reader:
        info = reader.info
        not_modified = _conditions(call, info)
        if not_modified is not None:
            return not_modified
        wanted = read_slice(info, reader.segments, call.request.query, call.request.headers)
        start, end = wanted.start, wanted.end
        headers = _response_headers(call, info, whole=wanted.whole(info.size))
        headers.update(wanted.headers)
        headers.update(expiration_headers(call, info))
        response = web.StreamResponse(status=206 if wanted.partial else 200, headers=headers)
        response.content_length = end - start
        try:
            await send_body(call.request, response, reader, start, end)
        except Exception as exc:
            if not response.prepared:
                raise  # nothing sent yet: the middleware answers with S3's error
            # Once the status line is out no S3 error can follow. Cut the connection so the
            # client sees a short body, never wrong bytes. A client that hangs up is routine
            # (a reader that needed only the start); anything else is worth a traceback.
            if isinstance(exc, ConnectionError):
                log.debug("GetObject %s/%s: client went away mid-body", call.bucket, call.key)
            else:
                log.warning(
                    "GetObject %s/%s aborted mid-body", call.bucket, call.key, exc_info=True
                )
            if call.request.transport is not None:
                call.request.transport.close()
        return response


async def head_object(call: Call) -> web.StreamResponse:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html"""
    query, headers = call.request.query, call.request.headers
    if part_number(query, headers) is None:
        info, segments = await call.store.head_object(call.bucket, call.key), None
    else:
        info, segments = await call.store.object_parts(call.bucket, call.key)
    not_modified = _conditions(call, info)
    if not_modified is not None:
        return not_modified
    wanted = read_slice(info, segments, query, headers, honour_range=False)
    response = web.Response(
        status=206 if wanted.partial else 200,
        headers=_response_headers(call, info, whole=wanted.whole(info.size)),
    )
    response.headers.update(wanted.headers)
    response.headers.update(expiration_headers(call, info))
    # HEAD answers the length a GET would send, with no body.
    response.headers["Content-Length"] = str(wanted.end - wanted.start)
    return response


# https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html#API_GetObjectAttributes_RequestSyntax
OBJECT_ATTRIBUTES = ("ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize")


async def get_object_attributes(call: Call) -> web.StreamResponse:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html"""
    headers = call.request.headers
    named = [a.strip() for a in headers.get("x-amz-object-attributes", "").split(",")]
    named = [a for a in named if a]
    if not named:
        raise S3Error(
            "InvalidRequest",
            "The x-amz-object-attributes header specifying the attributes to be retrieved is "
            "either missing or empty",
        )
    if any(a not in OBJECT_ATTRIBUTES for a in named):
        raise S3Error("InvalidArgument", "Invalid attribute name specified.")
    max_parts = _header_int(headers, "x-amz-max-parts", MAX_PARTS, high=MAX_PARTS)
    marker = _header_int(headers, "x-amz-part-number-marker", 0)
    info, segments = await call.store.object_parts(call.bucket, call.key)
    body = s3xml.object_attributes(info, segments, named, max_parts=max_parts, marker=marker)
    response = xml_response(body)
    response.headers["Last-Modified"] = http_date(info.last_modified)
    return response


def _header_int(
    headers: Mapping[str, str], name: str, default: int, *, high: int = MAX_INT32
) -> int:
    """An integer request header from 0 to 2147483647 (capped at ``high``), else
    InvalidArgument."""
    raw = headers.get(name)
    if raw is None:
        return default
    value = parse_int(raw.strip())
    if value is None or not 0 <= value <= MAX_INT32:
        raise S3Error("InvalidArgument", ArgumentName=name, ArgumentValue=raw)
    return min(value, high)


async def delete_object(call: Call) -> web.StreamResponse:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html"""
    await call.store.delete_object(call.bucket, call.key)
    return web.Response(status=204)


async def delete_objects(call: Call) -> web.StreamResponse:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html"""
    payload = await call.read_xml(integrity_required=True, limit=s3xml.MAX_DELETE_XML)
    wanted = s3xml.parse_delete_objects(payload)
    outcomes = [_delete_outcome(key, version) for key, version in wanted.objects]
    await call.store.delete_objects(call.bucket, [o.key for o in outcomes if o.error is None])
    return xml_response(s3xml.delete_result(outcomes, quiet=wanted.quiet))


def _delete_outcome(key: str, version_id: str | None) -> s3xml.DeleteOutcome:
    """The per-key error a key of DeleteObjects gets before anything is deleted, if any.
    Buckets are unversioned: only the "null" version exists (guessed: AWS's answer to another
    version id in an unversioned bucket is not documented)."""
    error = None
    if not key:
        error = S3Error("UserKeyMustBeSpecified")
    elif len(key.encode()) > MAX_KEY_BYTES:
        error = S3Error("KeyTooLongError")
    elif version_id not in (None, "null"):
        error = S3Error("NoSuchVersion")
    return s3xml.DeleteOutcome(key, version_id, error)
