"""The s3mpu command: ``s3mpu serve`` and ``s3mpu fsck``."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import os
import signal
import ssl
import sys
from pathlib import Path

from aiohttp import web

from server import credentials
from server.app import create_app
from server.config import DEV_ACCESS_KEY, DEV_SECRET_KEY, Config
from server.credentials import Key
from storage import (
    DEFAULT_MIN_PART_SIZE,
    LIFECYCLE_DAY_SECONDS,
    DataDirLocked,
    NotADataDir,
    fsck,
)

log = logging.getLogger("s3mpu")

# SIGTERM and SIGINT (handled by aiohttp's run_app) stop the server: it stops listening, gives
# the requests in flight SHUTDOWN_GRACE seconds to finish, as long again once aiohttp has told
# their bodies to stop, then cancels them (a cut upload stores nothing, DESIGN.md invariant 2)
# and exits 0. aiohttp's default of 60 seconds per stage let a client that stalls mid-body
# hold the process for two minutes, past any supervisor's patience (Docker sends SIGKILL
# after 10 seconds).
SHUTDOWN_GRACE = 3.0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="s3mpu", description="An S3-compatible object server.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the server")
    serve.add_argument("--data-dir", type=Path, default=Path("data"), help="default: ./data")
    serve.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    serve.add_argument("--port", type=int, default=9000, help="default: 9000")
    serve.add_argument("--region", default="us-east-1", help="default: us-east-1")
    serve.add_argument(
        "--domain",
        help="serve virtual-hosted-style requests to BUCKET.DOMAIN as well as path-style ones "
        "(e.g. --domain s3.example.com, with a wildcard DNS record for *.s3.example.com)",
    )
    serve.add_argument("--access-key", help="overrides $S3MPU_ACCESS_KEY")
    serve.add_argument("--secret-key", help="overrides $S3MPU_SECRET_KEY")
    serve.add_argument(
        "--credentials",
        type=Path,
        help="a TOML or JSON file of access keys, each read-write or read-only, optionally "
        "limited to named buckets (see README)",
    )
    serve.add_argument("--tls-cert", type=Path, help="serve HTTPS with this certificate (PEM)")
    serve.add_argument("--tls-key", type=Path, help="the certificate's private key (PEM)")
    serve.add_argument(
        "--min-part-size",
        type=int,
        default=DEFAULT_MIN_PART_SIZE,
        help="smallest size of every part but the last, in bytes (default: 5 MiB, as AWS)",
    )
    serve.add_argument(
        "--no-fsync",
        action="store_true",
        help="do not sync data files and the database before answering (throw-away data only)",
    )
    serve.add_argument(
        "--no-direct-io",
        action="store_true",
        help="write data files through the page cache, not with O_DIRECT: a large object read "
        "right after it was written then comes from memory, at more CPU per write",
    )
    serve.add_argument(
        "--min-free-space",
        type=int,
        help="bytes of the data dir's filesystem that uploads leave free, so deletes and aborts "
        "can still be recorded when it fills up (default: 1%% of it, at most 64 MiB)",
    )
    serve.add_argument(
        "--lifecycle-day-seconds",
        type=float,
        default=LIFECYCLE_DAY_SECONDS,
        help="how long a lifecycle-rule day lasts, in seconds (default: 86400; shorter to "
        "watch expiry happen in development)",
    )
    serve.add_argument(
        "--body-idle-timeout",
        type=float,
        default=60.0,
        help="seconds a client may send nothing mid-body before it gets RequestTimeout "
        "(default: 60)",
    )
    serve.add_argument("--log-level", default="INFO")
    check = commands.add_parser(
        "fsck",
        help="check a stopped server's data dir: every stored byte against its MD5, and the "
        "metadata against the files",
    )
    check.add_argument("--data-dir", type=Path, default=Path("data"), help="default: ./data")
    check.add_argument(
        "--repair",
        action="store_true",
        help="remove files no metadata row references (never data a row references)",
    )
    check.add_argument("--log-level", default="WARNING")
    return parser


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _keys(args: argparse.Namespace) -> dict[str, Key]:
    """The S3MPU_ACCESS_KEY pair (read-write, every bucket) plus the credentials file's keys;
    the development pair when there are none."""
    access_key = args.access_key or os.environ.get("S3MPU_ACCESS_KEY")
    secret_key = args.secret_key or os.environ.get("S3MPU_SECRET_KEY")
    if bool(access_key) != bool(secret_key):
        raise SystemExit("s3mpu: set both the access key and the secret key, or neither")
    keys = [Key(access_key, secret_key)] if access_key and secret_key else []
    try:
        if args.credentials is not None:
            keys += credentials.load(args.credentials)
        if keys:
            return credentials.by_access_key(keys)
    except (OSError, credentials.CredentialsError) as exc:
        raise SystemExit(f"s3mpu: {exc}") from exc
    if not _is_loopback(args.host):
        raise SystemExit(
            "s3mpu: refusing to listen on a non-loopback address with the development "
            "credentials; set S3MPU_ACCESS_KEY and S3MPU_SECRET_KEY or --credentials"
        )
    print(
        f"s3mpu: using the development credentials: access key {DEV_ACCESS_KEY}, "
        f"secret key {DEV_SECRET_KEY}",
        flush=True,
    )
    return {DEV_ACCESS_KEY: Key(DEV_ACCESS_KEY, DEV_SECRET_KEY)}


def _clock_offset() -> float:
    raw = os.environ.get("S3MPU_CLOCK_OFFSET", "0")
    try:
        return float(raw)
    except ValueError as exc:
        raise SystemExit("s3mpu: S3MPU_CLOCK_OFFSET must be a number of seconds") from exc


def _domain(value: str | None) -> str | None:
    if value is None:
        return None
    domain = value.strip().strip(".").lower()
    if not domain or "/" in domain or ":" in domain:
        raise SystemExit("s3mpu: --domain takes a host name, such as s3.example.com")
    return domain


def config_from_args(args: argparse.Namespace) -> Config:
    keys = _keys(args)
    if bool(args.tls_cert) != bool(args.tls_key):
        raise SystemExit("s3mpu: --tls-cert and --tls-key go together")
    if args.min_part_size < 0:
        raise SystemExit("s3mpu: --min-part-size must not be negative")
    if args.min_free_space is not None and args.min_free_space < 0:
        raise SystemExit("s3mpu: --min-free-space must not be negative")
    if not args.lifecycle_day_seconds > 0:
        raise SystemExit("s3mpu: --lifecycle-day-seconds must be positive")
    if not args.body_idle_timeout > 0:
        raise SystemExit("s3mpu: --body-idle-timeout must be positive")
    return Config(
        data_dir=args.data_dir,
        host=args.host,
        port=args.port,
        region=args.region,
        domain=_domain(args.domain),
        keys=keys,
        clock_offset=_clock_offset(),
        min_part_size=args.min_part_size,
        lifecycle_day_seconds=args.lifecycle_day_seconds,
        body_idle_timeout=args.body_idle_timeout,
        fsync=not args.no_fsync,
        direct_io=not args.no_direct_io,
        min_free_space=args.min_free_space,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
    )


def run_fsck(data_dir: Path, *, repair: bool) -> int:
    """``s3mpu fsck``: print the report; 0 when nothing is wrong (or all of it was repaired),
    1 when problems remain, 2 when the check could not run."""
    try:
        report = asyncio.run(fsck(data_dir, repair=repair))
    except DataDirLocked as exc:
        print(f"s3mpu fsck: {exc}; stop the server first", file=sys.stderr)
        return 2
    except NotADataDir as exc:
        print(f"s3mpu fsck: {exc}", file=sys.stderr)
        return 2
    for line in report.lines():
        print(line)
    if report.remaining and not repair and any(p.repairable for p in report.problems):
        print("run with --repair to remove the files no row references")
    return 1 if report.remaining else 0


async def _stopping(app: web.Application) -> None:
    """on_shutdown, once the first SIGTERM or SIGINT has started the shutdown: a second one
    (Ctrl-C pressed twice, a supervisor that repeats itself) would break aiohttp's shutdown off
    half-way, exiting 1 with tracebacks of the requests it was cutting. The shutdown ends
    within twice SHUTDOWN_GRACE anyway; SIGKILL is there for "now"."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, log.info, "stopping already: a moment")


def serve(config: Config) -> None:
    ssl_context = None
    if config.tls_cert and config.tls_key:
        ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ssl_context.load_cert_chain(config.tls_cert, config.tls_key)
    scheme = "https" if ssl_context else "http"
    app = create_app(config)
    app.on_shutdown.append(_stopping)
    web.run_app(
        app,
        host=config.host,
        port=config.port,
        ssl_context=ssl_context,
        access_log=None,  # s3_middleware writes one line per request itself
        shutdown_timeout=SHUTDOWN_GRACE,
        print=lambda _: print(
            f"s3mpu: serving {scheme}://{config.host}:{config.port} from {config.data_dir}",
            flush=True,
        ),
    )


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    if args.command == "serve":
        config = config_from_args(args)
        try:
            serve(config)
        except DataDirLocked as exc:
            raise SystemExit(f"s3mpu: {exc}") from None
    elif args.command == "fsck":
        raise SystemExit(run_fsck(args.data_dir, repair=args.repair))


if __name__ == "__main__":
    main()
