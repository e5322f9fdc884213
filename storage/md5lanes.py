"""MD5 of the bodies being received, advanced together in the lanes of SIMD registers.

One MD5 stream is latency-bound (about 750 MB/s per core here, whatever the CPU), and the ETag
of every upload is the MD5 of its body, so with hashlib MD5 is the largest share of an upload's
CPU. The bodies of concurrent uploads are independent streams: storage/_md5x.c advances up to 8
of them at once for about the cost of one (2 streams: 1.6x hashlib's bytes per CPU-second, 4:
2.7x, 8: 4.6x on this project's machine), as MinIO does with github.com/minio/md5-simd.

``LaneEngine`` is one daemon thread that takes the MD5 jobs (state, batch) of every body being
received, from any event loop, and advances all pending ones together SLICE bytes per lane at a
time, so a job that comes meanwhile joins at the next slice; alone, a job runs on the scalar
path. Batches of concurrent bodies rarely come at the same moment (at 4 concurrent uploads of
70 MB/s each, a body's 2 MiB batch comes every 30 ms and its MD5 takes 3 ms; blobs.py makes
them 8 MiB while few bodies come), so a job may be held back for company: until as many
bodies as were lately received at once (``stream``, ``RECENT``) have a job pending, or the
job's ``slack`` runs out (blobs.py gives 20 ms; a body's last batch is ``hurry``'d). Meanwhile
the body's next batch fills, so the wait costs it little.

Each job's future is completed on its own loop once its whole batch is digested: until then
the thread reads the batch, so its buffer must not be reused (blobs.py awaits the future
through shield and settles it, as it does its executor jobs).

Without the extension (no compiler where s3mpu was installed) ``ENGINE`` is None and MD5 is
hashlib's (checksums.py), in the default executor as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from storage.peak import RecentPeak

try:
    from storage import _md5x
except ImportError:  # built optional (setup.py): hashlib's MD5 then
    _md5x = None  # type: ignore[assignment]

log = logging.getLogger("s3mpu")

# Bytes of each job per round: small enough that a job that comes while others run waits little
# to join them, large enough that a round's own cost (a GIL hand-over, a few lists) is noise
# beside hashing it (a 256 KiB lane takes 0.3-0.4 ms).
SLICE = 256 * 1024
# How long the most bodies received at once is remembered (peak.py: the count drops and climbs
# back as each client thread hashes its next part). A job that comes while the count is down
# waits (within its slack) for the bodies about to come back, as it would for those streaming.
# Boto3 at 4 concurrent parts had a single body streaming for 12-14% of the bytes; against
# waiting only for the bodies streaming at that moment, at 4 concurrent 8 MiB parts: bytes
# through four lanes 45-54% -> 83%, through one 13-14% -> 3%; server CPU-s per GiB 3.58 -> 3.16
# (means of 18 interleaved runs), at 260 -> 269 MB/s.
RECENT = 0.5


@dataclass(eq=False)
class _Job:
    state: Any  # an _md5x.md5
    data: memoryview
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None]
    due: float  # time.monotonic() by which it must start
    done: int = 0


def _finish(future: asyncio.Future[None], error: BaseException | None) -> None:
    """On the job's loop: complete its future (a shielded future is never cancelled, but a
    bare one may be)."""
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


class LaneEngine:
    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._jobs: list[_Job] = []
        self._thread: threading.Thread | None = None
        # Bodies being received whose jobs come here, under _wake: how many jobs to run together.
        self._streams = RecentPeak()
        # A child made by fork has no engine thread and maybe a held lock: it starts afresh.
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._wake = threading.Condition()
        self._jobs = []
        self._thread = None
        self._streams = RecentPeak()

    @contextlib.contextmanager
    def stream(self) -> Iterator[None]:
        """Count a body being received while the block runs: a job waits for the others' jobs
        (within its slack) only while there are others, or were lately (``RECENT``)."""
        with self._wake:
            self._streams.enter(time.monotonic(), RECENT)
        try:
            yield
        finally:
            with self._wake:
                self._streams.leave()
                self._wake.notify()

    @staticmethod
    def takes(state: object) -> bool:
        """Whether ``state`` is an MD5 state the engine advances (checksums.new_hasher's MD5
        when the extension is built)."""
        return _md5x is not None and isinstance(state, _md5x.md5)

    def submit(self, state: Any, data: memoryview, slack: float = 0.0) -> asyncio.Future[None]:
        """Digest ``data`` into ``state`` (an ``_md5x.md5``) in the engine's thread, starting
        within ``slack`` seconds. The future is done once the thread no longer reads ``data``;
        ``state`` must not be used meanwhile."""
        loop = asyncio.get_running_loop()
        due = time.monotonic() + slack
        job = _Job(state, memoryview(data).cast("B"), loop, loop.create_future(), due)
        with self._wake:
            self._jobs.append(job)
            if self._thread is None:
                # Daemon: an idle engine does not keep the process alive.
                self._thread = threading.Thread(target=self._run, name="s3mpu-md5", daemon=True)
                self._thread.start()
            self._wake.notify()
        return job.future

    def hurry(self, state: object) -> None:
        """Start ``state``'s job now, with whatever company it has: its body is complete."""
        with self._wake:
            for job in self._jobs:
                if job.state is state:
                    job.due = 0.0
            self._wake.notify()

    def _run(self) -> None:
        try:
            while True:
                self._round()
        except BaseException as exc:  # a bug here must not leave every later upload hanging
            log.exception("MD5 lane engine stopped; the next job starts it again")
            with self._wake:
                jobs, self._jobs, self._thread = self._jobs, [], None
            self._complete(dict.fromkeys(jobs, exc))

    def _round(self) -> None:
        """Wait for jobs, advance them by a slice, complete those that are done. A function of
        its own, so the jobs (and the buffers they hold) are let go when it returns."""
        with self._wake:
            self._wait_for_company()
            jobs, seen = [], set()
            for job in self._jobs:
                if id(job.state) not in seen:  # one lane per state: the first job first
                    seen.add(id(job.state))
                    jobs.append(job)
            # Alone with no other body expected, a job runs to its end in one call: each slice
            # takes the GIL back, which a busy event loop makes costly.
            alone = len(jobs) == 1 and self._streams.expected(time.monotonic()) <= 1
            size = len(jobs[0].data) if alone else SLICE
        finished = self._advance(jobs, size)
        if finished:
            with self._wake:
                self._jobs = [job for job in self._jobs if job not in finished]
            self._complete(finished)

    @staticmethod
    def _complete(finished: dict[_Job, BaseException | None]) -> None:
        for job, error in finished.items():
            with contextlib.suppress(RuntimeError):  # its loop is closed: nobody waits
                job.loop.call_soon_threadsafe(_finish, job.future, error)

    def _wait_for_company(self) -> None:
        """Under the lock: until there are jobs to run, all pending ones together, once there
        is one per expected body or one is due. A job that has started may wait again, when the
        jobs it ran with are done before it (it came later): they are its company for a slice."""
        while True:
            if not self._jobs:
                self._wake.wait()
                continue
            now = time.monotonic()
            pending = len({id(job.state) for job in self._jobs})
            wait = min(job.due for job in self._jobs) - now
            if pending >= self._streams.expected(now) or wait <= 0:
                return
            self._wake.wait(wait)

    @staticmethod
    def _advance(jobs: list[_Job], size: int) -> dict[_Job, BaseException | None]:
        """One round: each job's next ``size`` bytes in one lockstep call. Returns the jobs it
        ended, each with its error (None: digested whole)."""
        slices = [job.data[job.done : job.done + size] for job in jobs]
        try:
            _md5x.update_many([job.state for job in jobs], slices)
        except Exception as exc:  # a state busy elsewhere, ...: those jobs fail, the engine lives
            log.warning("MD5 lanes failed", exc_info=True)
            return dict.fromkeys(jobs, exc)
        finished: dict[_Job, BaseException | None] = {}
        for job, piece in zip(jobs, slices, strict=True):
            job.done += len(piece)
            if job.done >= len(job.data):
                finished[job] = None
        return finished


# The process's engine, or None without the extension.
ENGINE: LaneEngine | None = LaneEngine() if _md5x is not None else None
