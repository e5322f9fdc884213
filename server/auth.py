"""Who is asking: every way a request can prove its key, in one place.

Header-signed SigV4 requests today; presigned URLs (SigV4 and SigV2 query forms) next. The
middleware calls ``authenticate`` before routing and ``authorize`` after it.
"""

from __future__ import annotations

from aiohttp import web

from server import sigv4
from server.config import Config


def authenticate(request: web.Request, config: Config) -> sigv4.SigningContext:
    """The verified signing context of ``request``, or the S3Error AWS answers."""
    return sigv4.verify_request(
        request.method,
        request.rel_url.raw_path,
        request.rel_url.raw_query_string,
        request.headers,
        secret_for=config.secret_for,
        region=config.region,
    )
