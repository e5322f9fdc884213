"""A minimal SigV4 HTTP client for filling servers with many small things quickly.

boto3 spends about a millisecond of client CPU per request; populating 100,000 keys through it
would measure boto3. Setup goes through this instead. Measured calls use boto3, and C also times
its listing pages through this client (``timed``): the server's time to the last byte of a
response, without boto3's parsing of it. F's small requests are signed in advance
(``prepared``) and sent by ``burst``, a small asyncio client that does far less per request
than http.client, so that the server, not the client, sets the pace.
https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import hmac
import http.client
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import quote, urlsplit

T = TypeVar("T")
R = TypeVar("R")


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sign_headers(
    method: str,
    host: str,
    path: str,
    query: Mapping[str, str],
    body: bytes,
    access_key: str,
    secret_key: str,
    now: datetime.datetime,
    region: str = "us-east-1",
) -> dict[str, str]:
    """The headers (Host, X-Amz-Date, X-Amz-Content-SHA256, Authorization) of a signed request.
    ``path`` is the decoded path; it is URI-encoded here once, as S3 wants."""
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    payload = hashlib.sha256(body).hexdigest()
    canonical_query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query.items())
    )
    headers = {"host": host, "x-amz-content-sha256": payload, "x-amz-date": amz_date}
    signed = ";".join(sorted(headers))
    canonical = "\n".join(
        [
            method,
            quote(path, safe="/-_.~"),
            canonical_query,
            "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)),
            signed,
            payload,
        ]
    )
    scope = f"{day}/{region}/s3/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _hmac(
        _hmac(_hmac(_hmac(f"AWS4{secret_key}".encode(), day), region), "s3"), "aws4_request"
    )
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return {
        "Host": host,
        "X-Amz-Date": amz_date,
        "X-Amz-Content-SHA256": payload,
        "Authorization": f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
        f"SignedHeaders={signed}, Signature={signature}",
    }


class ServerError(RuntimeError):
    """A 5xx answer."""


class RawClient:
    """One keep-alive connection per thread."""

    def __init__(self, url: str, access_key: str, secret_key: str) -> None:
        parts = urlsplit(url)
        self.host = parts.netloc
        self.hostname = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.access_key = access_key
        self.secret_key = secret_key
        self._local = threading.local()

    def _conn(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(self.hostname, self.port, timeout=120)
            self._local.conn = conn
        return conn

    def request(
        self, method: str, path: str, query: Mapping[str, str] | None = None, body: bytes = b""
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        """One request; a 5xx answer or a dropped connection is retried twice (setup only: a
        peer that fails one PUT in 100,000 under load should not lose its whole workload)."""
        for attempt in range(3):
            try:
                return self._request(method, path, query, body)
            except (ServerError, OSError, http.client.HTTPException):
                if attempt == 2:
                    raise
                time.sleep(0.5)
        raise AssertionError("unreachable")

    def timed(self, path: str, query: Mapping[str, str]) -> tuple[float, bytes]:
        """A signed GET, not retried: the seconds from sending it to the last byte of the
        answer (signed before the clock starts), and the answer's body."""
        target, headers = self._prepare("GET", path, query, b"")
        started = time.perf_counter()
        response, data = self._send("GET", target, b"", headers)
        seconds = time.perf_counter() - started
        if response.status >= 300:
            raise RuntimeError(f"GET answered {response.status}: {data[:200]!r}")
        return seconds, data

    def prepared(
        self, method: str, path: str, query: Mapping[str, str] | None = None, body: bytes = b""
    ) -> bytes:
        """A whole signed request, for ``burst``."""
        target, headers = self._prepare(method, path, query, body)
        head = f"{method} {target} HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers.items()
        )
        return head.encode("latin-1") + b"\r\n" + body

    def _request(
        self, method: str, path: str, query: Mapping[str, str] | None, body: bytes
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        target, headers = self._prepare(method, path, query, body)
        response, data = self._send(method, target, body, headers)
        if response.status >= 300:
            error = ServerError if response.status >= 500 else RuntimeError
            raise error(f"setup {method} answered {response.status}")
        return response.status, response.headers, data

    def _prepare(
        self, method: str, path: str, query: Mapping[str, str] | None, body: bytes
    ) -> tuple[str, dict[str, str]]:
        """The request target and signed headers."""
        query = dict(query or {})
        headers = sign_headers(
            method, self.host, path, query, body, self.access_key, self.secret_key,
            datetime.datetime.now(datetime.UTC),
        )  # fmt: skip
        headers["Content-Length"] = str(len(body))
        target = quote(path, safe="/-_.~")
        if query:
            target += "?" + "&".join(
                f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" if v else quote(k, safe="-_.~")
                for k, v in query.items()
            )
        return target, headers

    def _send(
        self, method: str, target: str, body: bytes, headers: dict[str, str]
    ) -> tuple[http.client.HTTPResponse, bytes]:
        conn = self._conn()
        try:
            conn.request(method, target, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            self._local.conn = None
            raise
        return response, data


def parallel(fn: Callable[[T], R], items: Iterable[T], threads: int = 16) -> list[R]:
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(fn, items))


@dataclass(frozen=True)
class Answer:
    """What ``read_answer`` read: the status, the body, and whether the connection stays open."""

    status: int
    body: bytes
    keep_alive: bool


async def read_answer(reader: asyncio.StreamReader, *, head: bool) -> Answer:
    """One HTTP/1.1 response: a Content-Length or chunked body (none for HEAD, 204 or 304),
    or else a body to the connection's end."""
    lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    version, status = lines[0].split(" ", 2)[:2]
    fields = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            fields[name.strip().lower()] = value.strip().lower()
    connection = fields.get("connection", "")
    keep_alive = connection == "keep-alive" or (version == "HTTP/1.1" and connection != "close")
    if head or status in ("204", "304"):
        return Answer(int(status), b"", keep_alive)
    if "content-length" in fields:
        body = await reader.readexactly(int(fields["content-length"]))
    elif fields.get("transfer-encoding") == "chunked":
        pieces = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            pieces.append(await reader.readexactly(size))
            await reader.readexactly(2)
        while await reader.readuntil(b"\r\n") != b"\r\n":
            pass  # a trailer field
        body = b"".join(pieces)
    else:
        body, keep_alive = await reader.read(), False
    return Answer(int(status), body, keep_alive)


def burst(
    host: str, port: int, requests: Sequence[bytes], *, head: bool = False, concurrency: int = 16
) -> tuple[float, list[bytes]]:
    """Send ``requests`` (``prepared``), ``concurrency`` at a time, each connection kept open
    while the server allows: the seconds they took, and the answers' bodies in order. An answer
    other than 2xx raises."""
    return asyncio.run(_burst(host, port, requests, head, concurrency))


async def _burst(
    host: str, port: int, requests: Sequence[bytes], head: bool, concurrency: int
) -> tuple[float, list[bytes]]:
    bodies: list[bytes] = [b""] * len(requests)
    waiting = list(reversed(range(len(requests))))

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while waiting:
                index = waiting.pop()
                writer.write(requests[index])
                answer = await read_answer(reader, head=head)
                if not 200 <= answer.status < 300:
                    raise RuntimeError(f"answered {answer.status}: {answer.body[:200]!r}")
                bodies[index] = answer.body
                if not answer.keep_alive and waiting:
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return time.perf_counter() - started, bodies
