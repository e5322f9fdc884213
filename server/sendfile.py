"""A GetObject body from the object's data files to the socket.

An object is its part files in order (DESIGN.md invariant 3), so a body or a Range is a run of
spans, one per part file it covers. Over plain TCP one worker thread pumps the whole body: it
maps a window of a part file and writes it to the socket, and when the socket is full waits in
poll(2), so the event loop does nothing per chunk and no byte passes through Python. Measured on
the 2-core bench machine (docs/benchmarks.md, D), this took a 1 GiB GET from about 1.0 to about
0.8 CPU-seconds per GiB, server and client together, and a single stream 1.2-1.6x faster than
asyncio's loop.sendfile: that paid event-loop work on every wakeup (the socket takes about
4 MiB at a time), a thread hop per part file, and sendfile(2) hands the socket 4 KiB page
fragments the client's kernel then copies one by one.

Data files written with O_DIRECT (storage/blobs.py) are not in the page cache, so the pump asks
the kernel to read AHEAD bytes ahead of it (posix_fadvise WILLNEED), across part files: a GET
of a 1 GiB object not in the page cache went from about 580 MB/s (loop.sendfile) to about 900
on the bench's disk with 64 MiB ahead, against about 700 with 16 MiB.

A body of at most READ_WHOLE bytes takes neither way: it is read whole in the event loop's
thread and goes out with the headers in one write. A trip to a worker thread and back costs
more than such a read: a 4 KiB GET, 16 at a time, took about 1,500 server CPU microseconds
through the pump, about 950 read in a worker thread, about 500 read here (docs/benchmarks.md,
F). Bodies of at most 32 KiB are written through the page cache (storage/blobs.py,
SMALL_BODY), so one read back soon comes from memory; read from the disk, 4 KiB took about
0.15 ms and 256 KiB about 0.6 ms on the bench's machine, which the loop waits.

The pump is used for at most PUMPS bodies at once, and lets go of a client that takes nothing
for HANDBACK seconds; those bodies, the rest of a stalled one, and any body whose headers still
wait in the transport's buffer go through the event loop with sendfile(2), as before. Over TLS
the bytes are read in a worker thread and written. Either way the files stay on disk until the
body is sent: the caller holds the ObjectReader open, which leases them.
"""

from __future__ import annotations

import asyncio
import errno
import mmap
import os
import select
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import BinaryIO

from aiohttp import web

from storage import ObjectReader
from storage.reader import Span

# Bodies up to this size are read whole in the event loop's thread and go out with their
# headers in one write (see above). The write side's threshold is storage's SMALL_BODY.
READ_WHOLE = 256 << 10
PUMPS = 8  # bodies pumped by worker threads at once; more go through the event loop
HANDBACK = 2.0  # seconds a client may take nothing before its body goes back to the loop
# Bytes of a part file mapped at once: large enough that a write fills the socket buffer
# (4 MiB at most here, net.ipv4.tcp_wmem), small enough to keep the mapping modest.
WINDOW = 4 << 20
# Bytes the disk is asked to read ahead of the pump (posix_fadvise WILLNEED): page cache, not
# the process's memory.
AHEAD = 64 << 20
WILLNEED = getattr(os, "POSIX_FADV_WILLNEED", 3)
_POLL_MS = 250  # how often a waiting pump checks whether it was told to stop

_pool = ThreadPoolExecutor(PUMPS, thread_name_prefix="s3mpu-get")
_pumping = 0  # bodies in the pump now; only the event loop's thread changes it


class _Stalled(Exception):
    """The client took nothing for HANDBACK seconds."""


class _Shortened(Exception):
    """The data file ends before the window being sent."""


def _shorter(span: Span) -> OSError:
    return OSError(f"data file {span.blob} is shorter than its metadata says")


async def send_body(
    request: web.Request, response: web.StreamResponse, reader: ObjectReader, start: int, end: int
) -> None:
    """Prepare ``response`` and send bytes ``start`` to ``end`` (exclusive) of ``reader``'s
    object as its body; raises ConnectionError if the client goes away. ``response`` is not
    prepared yet if it raises before anything was sent."""
    global _pumping
    if end - start <= READ_WHOLE:
        # Read before the headers go out: a data file found short is still an S3 error.
        body = reader.read_now(start, end)
        await response.prepare(request)
        await response.write_eof(body)
        return
    transport = request.transport
    # Bytes go straight to the socket only on plain TCP; over TLS they must pass through it.
    plain = transport is not None and transport.get_extra_info("sslcontext") is None
    spans = reader.spans(start, end)
    # The slot is taken before the headers go out, so a client that has them knows the body
    # is on its way by one path or the other.
    pump = plain and bool(spans) and _pumping < PUMPS
    if pump:
        _pumping += 1
    try:
        await response.prepare(request)
        if pump:
            assert transport is not None
            # The headers must be on the socket before the thread writes to it: almost always
            # true at once, as the status line and headers are a few hundred bytes.
            if transport.get_write_buffer_size() == 0 and not transport.is_closing():
                spans = await _pump(transport, reader, spans)
    finally:
        if pump:
            _pumping -= 1
    await _send_in_loop(request, response, reader, spans, native=plain)
    await response.write_eof()


async def _pump(
    transport: asyncio.BaseTransport, reader: ObjectReader, spans: list[Span]
) -> list[Span]:
    """Pump ``spans`` to the transport's socket in a worker thread; return what is left to
    send (nothing, or the rest after a stall)."""
    loop = asyncio.get_running_loop()
    # A descriptor of our own: should the loop close the transport meanwhile (the client
    # went away), its number cannot be reused under the thread for another file or socket.
    fd = os.dup(transport.get_extra_info("socket").fileno())
    stop = threading.Event()
    job = loop.run_in_executor(_pool, _pump_spans, fd, reader, spans, stop)
    # Once abandoned, the thread's end (ConnectionAbortedError) is nobody's concern.
    job.add_done_callback(lambda done: done.cancelled() or done.exception())
    try:
        return await asyncio.shield(job)
    except asyncio.CancelledError:
        stop.set()  # the thread sees it within _POLL_MS and closes its files and descriptor
        raise


def _windows(spans: Sequence[Span]) -> list[tuple[int, int, int]]:
    """The body as windows: (index of the span, offset in its file, length), each within one
    WINDOW-sized, page-aligned stretch of the file, so that it can be mapped."""
    windows = []
    for i, span in enumerate(spans):
        at, end = span.offset, span.offset + span.length
        while at < end:
            length = min(end - at, WINDOW - at % WINDOW)
            windows.append((i, at, length))
            at += length
    return windows


def _pump_spans(
    fd: int, reader: ObjectReader, spans: list[Span], stop: threading.Event
) -> list[Span]:
    """In a worker thread: write ``spans`` to socket ``fd`` (non-blocking, shared with the
    loop's), then close ``fd``. Returns the spans not sent, from a stall on."""
    files: dict[int, BinaryIO] = {}

    def file(i: int) -> BinaryIO:
        if i not in files:
            files[i] = reader.open_now(spans[i])
        return files[i]

    try:
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        windows = _windows(spans)
        asked = 0  # windows the kernel was asked to read ahead
        for w, (i, at, length) in enumerate(windows):
            # Data files written with O_DIRECT are not in the page cache: have the disk read
            # the next AHEAD bytes, across part files, while this window goes out.
            while asked < len(windows) and asked <= w + AHEAD // WINDOW:
                j, ahead_at, ahead_length = windows[asked]
                os.posix_fadvise(file(j).fileno(), ahead_at, ahead_length, WILLNEED)
                asked += 1
            try:
                _write_window(fd, file(i).fileno(), at, length, poller, stop)
            except _Shortened:
                raise _shorter(spans[i]) from None
            except _Stalled as stalled:
                sent = at + stalled.args[0] - spans[i].offset
                rest = Span(spans[i].blob, spans[i].offset + sent, spans[i].length - sent)
                return [rest, *spans[i + 1 :]]
            if w + 1 == len(windows) or windows[w + 1][0] != i:
                files.pop(i).close()
        return []
    finally:
        for fh in files.values():
            fh.close()
        os.close(fd)


def _write_window(
    fd: int, file: int, at: int, length: int, poller: select.poll, stop: threading.Event
) -> None:
    """Write ``length`` bytes of ``file`` from ``at`` (all in one window) to ``fd``. Raises
    _Stalled(bytes written) if the client takes nothing for HANDBACK seconds, _Shortened if
    the file does not hold them (any more)."""
    # A data file shortened by something outside the server (a disk error, fsck's findings,
    # a hand at the shell): map only bytes that exist. Touching a mapped page past the end of
    # the file is SIGBUS for user code; for write(2) it is EFAULT, caught below.
    if os.fstat(file).st_size < at + length:
        raise _Shortened
    base = at - at % mmap.ALLOCATIONGRANULARITY  # a mapping starts on a page boundary
    window = mmap.mmap(file, at + length - base, prot=mmap.PROT_READ, offset=base)
    done = 0
    idle_since = time.monotonic()
    try:
        with memoryview(window) as view:
            while done < length:
                if stop.is_set():
                    raise ConnectionAbortedError("the response was abandoned")
                try:
                    done += os.write(fd, view[at - base + done :])
                    idle_since = time.monotonic()
                except OSError as exc:
                    if exc.errno == errno.EFAULT:
                        raise _Shortened from None  # shortened under the mapping, below
                    if not isinstance(exc, BlockingIOError):
                        raise
                    if time.monotonic() - idle_since > HANDBACK:
                        raise _Stalled(done) from None
                    # POLLERR or POLLHUP also wake it: the next write then raises.
                    poller.poll(_POLL_MS)
    finally:
        # The kernel copies the mapped pages in write(2): Python never touches them, so a
        # file shortened underneath fails the write with EFAULT (the bytes before the cut go
        # out first), and does not kill the process with SIGBUS.
        window.close()


async def _send_in_loop(
    request: web.Request,
    response: web.StreamResponse,
    reader: ObjectReader,
    spans: Sequence[Span],
    *,
    native: bool,
) -> None:
    """Send ``spans`` from the event loop: sendfile(2) per part file where the transport can,
    otherwise read in a worker thread and written."""
    loop = asyncio.get_running_loop()
    transport = request.transport
    for span in spans:
        if native:
            assert transport is not None
            if transport.is_closing():
                raise ConnectionResetError("the client went away")
            fh = await reader.open(span)
            try:
                # Raises SendfileNotAvailableError before sending anything if this transport
                # cannot after all; then this span and the rest are streamed.
                sent = await loop.sendfile(transport, fh, span.offset, span.length, fallback=False)
                if sent != span.length:
                    raise _shorter(span)
                continue
            except asyncio.SendfileNotAvailableError:
                native = False
            finally:
                fh.close()
        async for chunk in reader.read_span(span):
            await response.write(chunk)
