"""The one place requests are authenticated, routed, timed, logged and turned into S3 errors.

Handlers raise S3Error; this middleware renders it once as S3's XML error with its status, and
answers any other exception as a logged InternalError (versitygw's ProcessController, garage's
common_error.rs). The signature is checked before routing so an unauthenticated client learns
nothing about what exists.
"""

from __future__ import annotations

import logging
import secrets
import time

from aiohttp import web
from aiohttp.typedefs import Handler

from server import cors, routing, s3xml
from server.auth import authenticate
from server.body import awaits_continue
from server.context import CONFIG, Call
from server.handlers import HANDLERS
from server.receiver import TAKEN_OVER
from storage import S3Error

log = logging.getLogger("s3mpu")
access_log = logging.getLogger("s3mpu.access")

REQUEST_ID = web.RequestKey("request_id", str)
OPERATION = web.RequestKey("operation", str)
BUCKET = web.RequestKey("bucket", str)  # the request's bucket, once routed


def _error_response(request: web.Request, err: S3Error) -> web.Response:
    body = s3xml.error(err, request.path, request[REQUEST_ID])
    return web.Response(body=body, status=err.status, content_type="application/xml")


async def dispatch(request: web.Request) -> web.StreamResponse:
    config = request.app[CONFIG]
    if request.method == "OPTIONS":
        route = routing.route(
            "OPTIONS", request.rel_url.raw_path, {}, request.headers, domain=config.domain
        )
        request[OPERATION] = route.endpoint
        return await cors.preflight(request, route.bucket)
    auth = authenticate(request, config)
    key = config.keys[auth.access_key]
    route = routing.route(
        request.method,
        request.rel_url.raw_path,
        request.query,
        request.headers,
        domain=config.domain,
    )
    request[OPERATION] = route.endpoint
    request[BUCKET] = route.bucket or ""
    key.authorize(route.endpoint, route.bucket)
    handler = HANDLERS.get(route.endpoint)
    if handler is None:
        raise S3Error("NotImplemented", f"{route.endpoint} is not supported")
    return await handler(Call(request, route, auth, key))


@web.middleware
async def s3_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    request[REQUEST_ID] = secrets.token_hex(8).upper()
    request[OPERATION] = "-"
    started = time.monotonic()
    response: web.StreamResponse | None = None
    try:
        response = await dispatch(request)
    except S3Error as err:
        response = _error_response(request, err)
    except Exception:
        log.exception("internal error in %s %s", request.method, request.path)
        response = _error_response(request, S3Error("InternalError"))
    finally:
        if response is not None and awaits_continue(request) and request.body_exists:
            response.force_close()
        status = response.status if response is not None else 0
        sent = (response.content_length or 0) if response is not None else 0
        access_log.info(
            "%s %s %s %d in=%d out=%d %.1fms",
            request.method,
            request.rel_url.raw_path,
            request[OPERATION],
            status,
            request.content_length or 0,
            sent,
            (time.monotonic() - started) * 1000,
        )
    return response


async def add_request_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: every response, streamed or not, carries S3's request id headers,
    and, for a browser's request to a bucket with CORS rules, the rule's CORS headers."""
    taken_over = request.get(TAKEN_OVER)
    if taken_over is not None:
        # server/receiver.py: the connection cannot take another request. aiohttp has written
        # its Connection header by now, so both are set here.
        taken_over.finish()
        response.force_close()
        response.headers["Connection"] = "close"
    request_id = request.get(REQUEST_ID, "")
    response.headers["x-amz-request-id"] = request_id
    response.headers["x-amz-id-2"] = request_id
    response.headers["Server"] = "s3mpu"
    bucket = request.get(BUCKET)
    if bucket:
        cors.add_headers(request, response, bucket)
