"""What a handler gets: the request, its route and signature, and the app's resources."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from server import body, s3xml
from server.config import Config
from server.credentials import Key
from server.routing import Route
from server.sigv4 import SigningContext
from storage import S3Error, Store

STORE = web.AppKey("store", Store)
MAX_INT32 = 2**31 - 1
_DIGITS = re.compile(r"-?[0-9]{1,12}")


def parse_int(text: str) -> int | None:
    """A decimal integer in ASCII digits, or None (int() also takes "1_0", "²" and " 1")."""
    return int(text) if _DIGITS.fullmatch(text) else None


CONFIG = web.AppKey("config", Config)


@dataclass(frozen=True)
class Call:
    request: web.Request
    route: Route
    auth: SigningContext
    principal: Key  # the access key the request was signed with, and its scope

    @property
    def store(self) -> Store:
        return self.request.app[STORE]

    @property
    def config(self) -> Config:
        return self.request.app[CONFIG]

    @property
    def bucket(self) -> str:
        assert self.route.bucket is not None  # routing gives bucket endpoints a bucket
        return self.route.bucket

    @property
    def key(self) -> str:
        assert self.route.key is not None  # routing gives object endpoints a key
        return self.route.key

    async def read_xml(
        self, *, integrity_required: bool = False, limit: int = s3xml.MAX_REQUEST_XML
    ) -> bytes:
        """The request's XML body, whole and checked (body.read_small)."""
        return await body.read_small(
            self.request,
            self.auth,
            limit=limit,
            idle_timeout=self.config.body_idle_timeout,
            integrity_required=integrity_required,
        )

    def query_int(self, name: str, default: int, *, low: int = 0, high: int | None = None) -> int:
        """An integer query parameter: ASCII digits from ``low`` to 2147483647, else
        InvalidArgument. Values above ``high`` are capped, as S3 caps max-keys and friends at
        1000."""
        raw = self.request.query.get(name)
        if raw is None:
            return default
        value = parse_int(raw)
        if value is None or not low <= value <= MAX_INT32:
            raise S3Error("InvalidArgument", ArgumentName=name, ArgumentValue=raw)
        return value if high is None else min(value, high)


Handler = Callable[[Call], Awaitable[web.StreamResponse]]


def xml_response(body: bytes, status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, content_type="application/xml")
