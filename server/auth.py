"""Who is asking: every way a request can prove its key, in one place.

Three forms, each verified against the key's secret from the Config:

- a SigV4 Authorization header (sigv4.py), held to AWS's 15-minute clock skew;
- a SigV4 presigned URL, X-Amz-* query parameters (presign.py), held to its X-Amz-Expires;
- a SigV2 presigned URL, AWSAccessKeyId/Expires/Signature (sigv2.py), held to its Expires.

Each yields a SigningContext; the middleware then authorizes the key for the operation, so a
presigned URL can do only what its signer's key may do. "Now" is the server's clock plus its
configured offset (Config.now()).
https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from server import presign, routing, sigv2, sigv4
from server.config import Config
from storage import S3Error

ONE_MECHANISM = (
    "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
    "Signature query string parameter or the Authorization header should be specified"
)


def authenticate(request: web.Request, config: Config) -> sigv4.SigningContext:
    """The verified signing context of ``request``, or the S3Error AWS answers."""
    url = request.rel_url
    now = datetime.fromtimestamp(config.now(), UTC)
    form = query_form(url.raw_query_string)
    if form is not None and "Authorization" in request.headers:
        # AWS's answer, quoted by the many clients that forward an Authorization header to a
        # presigned URL (e.g. on a redirect).
        raise S3Error(
            "InvalidArgument",
            ONE_MECHANISM,
            ArgumentName="Authorization",
            ArgumentValue=sigv4.printable(request.headers["Authorization"]),
        )
    if form == "v4":
        return presign.verify_presigned(
            request.method,
            url.raw_path,
            url.raw_query_string,
            request.headers,
            secret_for=config.secret_for,
            region=config.region,
            now=now,
        )
    if form == "v2":
        # SigV2 signs the bucket as part of the resource, even when the host names it.
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html#ConstructingTheCanonicalizedResourceElement
        bucket = routing.virtual_bucket(request.headers.get("Host"), config.domain)
        return sigv2.verify_presigned(
            request.method,
            url.raw_path if bucket is None else f"/{bucket}{url.raw_path}",
            url.raw_query_string,
            request.headers,
            secret_for=config.secret_for,
            now=now,
        )
    return sigv4.verify_request(
        request.method,
        url.raw_path,
        url.raw_query_string,
        request.headers,
        secret_for=config.secret_for,
        region=config.region,
        now=now,
    )


def query_form(raw_query: str) -> str | None:
    """ "v4" or "v2" if the query carries presigned-URL authentication, else None.

    Both at once is refused: like a header beside a query, it is two mechanisms.
    """
    names = {name for name, _ in sigv4.query_pairs(raw_query)}
    v4 = not names.isdisjoint(presign.PARAMETERS)
    v2 = not names.isdisjoint(sigv2.PARAMETERS)
    if v4 and v2:
        raise S3Error(
            "InvalidArgument",
            ONE_MECHANISM,
            ArgumentName="Signature",
        )
    return "v4" if v4 else "v2" if v2 else None
