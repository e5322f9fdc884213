"""A large plain request body, received from the socket straight into the store's buffers.

aiohttp hands a body over as bytes objects of at most 256 KiB, each copied once more by its
parser, each costing an event-loop turn and a wake-up of the reading task. For a body of known
length (Content-Length, no aws-chunked framing) on a plain TCP connection, ``SocketBody`` first
takes what aiohttp has already buffered, then swaps itself in as the transport's protocol: an
``asyncio.BufferedProtocol``, so the loop's recv_into writes the bytes straight into the buffer
the store is filling, as much as the socket holds at each wake-up, and never past the body's
last byte. When the body is done (or has failed) aiohttp's protocol is put back.

aiohttp's HTTP parser never sees those bytes, so it still waits for them: the connection cannot
carry another request. The response therefore closes it ("Connection: close", which every
HTTP/1.1 client honours by opening a new connection), and the request's payload is marked ended
so aiohttp neither waits for nor drains it. Bodies below ``TAKEOVER_SIZE`` keep the ordinary path
and their keep-alive connection: for them a new connection would cost more than the copies.
https://docs.python.org/3/library/asyncio-protocol.html#buffered-streaming-protocols
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from storage import S3Error

# Bodies from this size on are taken over (see the module's docstring).
TAKEOVER_SIZE = 1024 * 1024


class _Receiver(asyncio.BufferedProtocol):
    """The transport's protocol while a body is received: fills the buffer it was given (which
    ends at the body's end at most, so nothing past it is read), and forwards everything else to
    aiohttp's protocol."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._outer = transport.get_protocol()
        self.error: S3Error | None = None
        self._target = memoryview(bytearray())
        self._filled = 0
        self._waiter: asyncio.Future[None] | None = None

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._target[self._filled :]

    def buffer_updated(self, nbytes: int) -> None:
        self._filled += nbytes
        if self._filled == len(self._target):
            # No buffer to fill until the store asks again: the kernel keeps the rest.
            self._transport.pause_reading()
            self._wake()

    def eof_received(self) -> bool | None:
        # The client stopped sending before the body's end.
        self._fail()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail()
        self._outer.connection_lost(exc)

    def pause_writing(self) -> None:
        self._outer.pause_writing()

    def resume_writing(self) -> None:
        self._outer.resume_writing()

    def _fail(self) -> None:
        self.error = S3Error("IncompleteBody")
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def readinto(self, buffer: memoryview, idle_timeout: float) -> int:
        if self.error is not None:
            raise self.error
        self._target, self._filled = buffer, 0
        self._waiter = asyncio.get_running_loop().create_future()
        self._transport.resume_reading()
        try:
            while not self._waiter.done():
                seen = self._filled
                done, _ = await asyncio.wait([self._waiter], timeout=idle_timeout)
                if not done and self._filled == seen:
                    raise S3Error("RequestTimeout")
        finally:
            self._transport.pause_reading()
            self._target, self._waiter = memoryview(bytearray()), None
        if self.error is not None and not self._filled:
            raise self.error
        return self._filled

    def restore(self) -> None:
        """Give the transport back to aiohttp's protocol, not reading."""
        self._transport.pause_reading()
        self._transport.set_protocol(self._outer)


def can_take_over(request: web.Request) -> bool:
    """True for a plain body of known length, large enough, on a plain TCP connection."""
    transport = request.transport
    return (
        isinstance(transport, asyncio.Transport)
        and not transport.is_closing()
        and transport.get_extra_info("sslcontext") is None
        and request.content_length is not None
        and request.content_length >= TAKEOVER_SIZE
        and "Transfer-Encoding" not in request.headers
    )


class SocketBody:
    """The body of a request ``can_take_over`` accepted, as a storage ``BodyReader``:
    ``request.content_length`` bytes, the first ones from aiohttp's buffer, the rest through a
    ``_Receiver``. ``before_first_read`` runs once, before anything is read (100 Continue)."""

    def __init__(
        self,
        request: web.Request,
        idle_timeout: float,
        before_first_read: Callable[[web.Request], Awaitable[None]],
    ) -> None:
        self._request = request
        self._idle_timeout = idle_timeout
        self._before_first_read: Callable[[web.Request], Awaitable[None]] | None = before_first_read
        self._left = request.content_length or 0
        self._receiver: _Receiver | None = None

    async def readinto(self, buffer: memoryview, /) -> int:
        if self._before_first_read is not None:
            await self._before_first_read(self._request)
            self._before_first_read = None
        if not self._left:
            return 0
        ended = True  # unless this read leaves more of the body to come
        try:
            count = await self._read(buffer[: self._left])
            if not count:
                raise S3Error("IncompleteBody")
            self._left -= count
            ended = not self._left
            return count
        except (HttpProcessingError, ConnectionError) as exc:
            raise S3Error("IncompleteBody") from exc
        finally:
            if ended:
                self.finish()

    async def _read(self, buffer: memoryview) -> int:
        if self._receiver is None:
            content = self._request.content
            data = content.read_nowait(len(buffer))  # what aiohttp already has, first
            if data or content.at_eof():
                buffer[: len(data)] = data
                return len(data)
            transport = self._request.transport
            if not isinstance(transport, asyncio.Transport) or transport.is_closing():
                return 0
            # No await from the read above to the swap: aiohttp sees no more of the body.
            self._request[TAKEN_OVER] = self
            transport.pause_reading()
            self._receiver = _Receiver(transport)
            transport.set_protocol(self._receiver)
        return await self._receiver.readinto(buffer, self._idle_timeout)

    def finish(self) -> None:
        """The body is done with (read, refused, failed, or left unread by the store): hand the
        connection back, its payload ended for aiohttp, which closes it after the response
        instead of waiting for the rest of the body. Idempotent."""
        if self._receiver is not None:
            self._receiver.restore()
            self._request.content.feed_eof()
            self._receiver = None


# The body of a request that was taken over: its response must close the connection, and hand
# the transport back if the store stopped reading before the body's end (a full disk).
TAKEN_OVER = web.RequestKey("taken_over", SocketBody)
