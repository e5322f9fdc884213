"""CORS for browsers: the preflight OPTIONS and the headers of the actual request, from the
bucket's CORS rules (PutBucketCors). Without rules a bucket answers no CORS headers and every
preflight is refused, as on S3.
https://docs.aws.amazon.com/AmazonS3/latest/API/RESTOPTIONSobject.html
https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html
"""

from __future__ import annotations

from aiohttp import web

from server.context import STORE
from storage import CorsRule, S3Error, cors_first_match

VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"


def _headers(rule: CorsRule, origin: str) -> dict[str, str]:
    wildcard = "*" in rule.allowed_origins
    found = {
        "Access-Control-Allow-Origin": "*" if wildcard else origin,
        "Access-Control-Allow-Methods": ", ".join(rule.allowed_methods),
        "Vary": VARY,
    }
    if not wildcard:
        found["Access-Control-Allow-Credentials"] = "true"
    if rule.expose_headers:
        found["Access-Control-Expose-Headers"] = ", ".join(rule.expose_headers)
    return found


async def preflight(request: web.Request, bucket: str | None) -> web.Response:
    """OPTIONS: unauthenticated, answered from the bucket's first rule that allows the
    Origin, the Access-Control-Request-Method and every Access-Control-Request-Headers."""
    origin = request.headers.get("Origin")
    method = request.headers.get("Access-Control-Request-Method")
    if not origin or not method:
        raise S3Error("BadRequest", "Insufficient information. Origin request header needed.")
    requested = [
        h.strip() for h in request.headers.get("Access-Control-Request-Headers", "").split(",")
    ]
    requested = [h for h in requested if h]
    rules = None if bucket is None else request.app[STORE].bucket_cors(bucket)
    if not rules:
        raise S3Error("AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.")
    rule = cors_first_match(rules, origin, method, requested)
    if rule is None:
        raise S3Error(
            "AccessForbidden",
            "CORSResponse: This CORS request is not allowed. This is usually because the "
            "evalution of Origin, request method / Access-Control-Request-Method or "
            "Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
        )
    headers = _headers(rule, origin)
    if requested:
        headers["Access-Control-Allow-Headers"] = ", ".join(requested)
    if rule.max_age_seconds is not None:
        headers["Access-Control-Max-Age"] = str(rule.max_age_seconds)
    return web.Response(headers=headers)


def add_headers(request: web.Request, response: web.StreamResponse, bucket: str) -> None:
    """The CORS headers of an actual request from a browser (one that sent Origin), success or
    S3 error alike, so that the page can read either."""
    origin = request.headers.get("Origin")
    if not origin:
        return
    rules = request.app[STORE].bucket_cors(bucket)
    rule = cors_first_match(rules or [], origin, request.method)
    if rule is not None:
        response.headers.update(_headers(rule, origin))
