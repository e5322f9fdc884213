"""A GetObject body from the object's data files to the socket with sendfile(2).

The bytes go from the page cache to the socket without entering Python: no reads in worker
threads, no copies. An object is its part files in order (DESIGN.md invariant 3), so a body or
a Range is one sendfile per part file it covers. Where the transport cannot sendfile (TLS),
the bytes are read in a worker thread and written, as before. Either way the files stay on disk
until the body is sent: the caller holds the ObjectReader open, which leases them.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from storage import ObjectReader


async def send_body(
    request: web.Request, response: web.StreamResponse, reader: ObjectReader, start: int, end: int
) -> None:
    """Send bytes ``start`` to ``end`` (exclusive) of ``reader``'s object as the body of the
    prepared ``response``; raises ConnectionError if the client goes away."""
    loop = asyncio.get_running_loop()
    transport = request.transport
    # asyncio sendfiles only on plain sockets; over TLS it would refuse.
    native = transport is not None and transport.get_extra_info("sslcontext") is None
    for span in reader.spans(start, end):
        if native:
            assert transport is not None
            if transport.is_closing():
                raise ConnectionResetError("the client went away")
            fh = await reader.open(span)
            try:
                # Raises SendfileNotAvailableError before sending anything if this transport
                # cannot after all; then this span and the rest are streamed.
                await loop.sendfile(transport, fh, span.offset, span.length, fallback=False)
                continue
            except asyncio.SendfileNotAvailableError:
                native = False
            finally:
                fh.close()
        async for chunk in reader.read_span(span):
            await response.write(chunk)
    await response.write_eof()
