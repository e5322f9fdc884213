"""The aiohttp application: create_app(config) wires the store, the middleware and the route."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from server.body import continue_expected
from server.config import Config
from server.context import CONFIG, STORE
from server.middleware import add_request_headers, s3_middleware
from storage import Store

log = logging.getLogger("s3mpu")


async def _store(app: web.Application) -> AsyncIterator[None]:
    config = app[CONFIG]
    store = await Store.open(
        config.data_dir,
        fsync=config.fsync,
        direct_io=config.direct_io,
        min_part_size=config.min_part_size,
        lifecycle_day_seconds=config.lifecycle_day_seconds,
        min_free_space=config.min_free_space,
    )
    app[STORE] = store
    try:
        yield
    finally:
        await store.close()


# How long a completed upload's answer is kept for a retried CompleteMultipartUpload.
COMPLETED_UPLOAD_RETENTION = 24 * 3600.0
HOUSEKEEPING_INTERVAL = 3600.0


def _periodic(
    name: str, interval: Callable[[Config], float], action: Callable[[Store], Awaitable[None]]
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context running ``action`` at startup and every ``interval`` seconds after,
    until the app stops; a failure is logged and retried at the next turn."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        every = interval(app[CONFIG])

        async def loop() -> None:
            while True:
                try:
                    await action(app[STORE])
                except Exception:
                    log.exception("%s failed; retrying in %.0f s", name, every)
                await asyncio.sleep(every)

        task = asyncio.create_task(loop())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return context


async def _forget_completed(store: Store) -> None:
    await store.forget_completed(time.time() - COMPLETED_UPLOAD_RETENTION)


def lifecycle_interval(day_seconds: float) -> float:
    """How often the lifecycle sweeper runs: 24 times a lifecycle day, at most hourly, so an
    upload or object goes at most a twenty-fourth of a day after it falls due."""
    return min(HOUSEKEEPING_INTERVAL, max(day_seconds / 24, 0.05))


async def _apply_lifecycle(store: Store) -> None:
    """Applies the buckets' lifecycle rules: aborts expired uploads, deletes expired objects."""
    aborted, expired = await store.apply_lifecycle(time.time())
    if aborted or expired:
        log.info("lifecycle: aborted %d uploads, expired %d objects", aborted, expired)


async def _unreachable(request: web.Request) -> web.StreamResponse:
    # s3_middleware answers every request itself; this handler only gives aiohttp a route.
    raise AssertionError("s3_middleware did not handle the request")


def create_app(config: Config) -> web.Application:
    # Bodies are streamed by the handlers, never read whole by aiohttp: client_max_size only
    # bounds what aiohttp itself would buffer (form posts), which s3mpu never asks for.
    # auto_decompress off: a body sent with Content-Encoding: gzip is an object stored as sent,
    # not something for the server to inflate.
    app = web.Application(
        middlewares=[s3_middleware],
        client_max_size=1024**2,
        handler_args={"auto_decompress": False},
    )
    app[CONFIG] = config
    app.cleanup_ctx.append(_store)
    app.cleanup_ctx.append(
        _periodic("housekeeping", lambda _: HOUSEKEEPING_INTERVAL, _forget_completed)
    )
    app.cleanup_ctx.append(
        _periodic(
            "lifecycle sweep",
            lambda config: lifecycle_interval(config.lifecycle_day_seconds),
            _apply_lifecycle,
        )
    )
    app.on_response_prepare.append(add_request_headers)
    app.router.add_route("*", "/{tail:.*}", _unreachable, expect_handler=continue_expected)
    return app
