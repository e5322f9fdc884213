"""Benchmark s3mpu against its peers: ``python -m bench [--quick] [--only NAMES]``.

Installs the peers into bench/.cache on first use, starts each server in turn on 127.0.0.1,
runs workloads A-F against it, measures the machine's ceilings, prints one table with
s3mpu's ratio to every peer and writes it to docs/benchmarks.md (a --quick run writes only when
given --output). Never run in CI.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The client is stock boto3, as `pip install boto3` installs it: without awscrt. s3mpu depends on
# awscrt, so it is in this venv, and botocore would take it up (as boto3[crt] does) to sign each
# request and checksum its body, reading the body back through Python callbacks: 15-20% more
# client CPU per GiB uploaded, measured against the sink. BOTO_DISABLE_CRT is botocore's own
# switch, read when botocore is first imported (just below); servers.run starts the servers
# without it.
os.environ.setdefault("BOTO_DISABLE_CRT", "true")

import boto3
import botocore.compat

from bench import workloads
from bench.report import Measure, Value, median_of_rounds, spread_table, table, target_table
from bench.servers import CACHE, ROOT, TARGETS, Running, baseline, run
from bench.workloads import MB, Sizes

PEERS = ["seaweedfs", "moto", "s3rver"]
ALL = ["s3mpu", *PEERS, "sink"]


def measures(sizes: Sizes) -> list[Measure]:
    a = f"A: {sizes.a_parts} x 8 MiB"
    b_big = f"{sizes.b_big_parts} x"
    parts = f"C: ListParts of {sizes.c_parts:,} parts by 100"
    uploads = f"C: ListMultipartUploads, 1,000 of {sizes.c_rows:,}"
    keys = f"C: ListObjectsV2, 1,000 of {sizes.c_rows:,}"
    out = []
    for n in (1, 4, 16):
        out.append(Measure(f"a{n}_mbps", f"{a}, {n} concurrent, MB/s", True))
    for n in (1, 4, 16):
        out.append(Measure(f"a{n}_cpu", f"{a}, {n} concurrent, server CPU-s per GiB", False, 2))
    out.append(Measure("e_rss", "E: server peak RSS during A at 16 concurrent, MB", False))
    for n in sizes.b_counts:
        out.append(Measure(f"b{n}_ms", f"B: Complete of {n:,} parts, ms", False, 1))
    out += [
        Measure("b_5mib_ms", f"B: Complete of {b_big} 5 MiB, ms", False, 1),
        Measure("b_50mib_ms", f"B: Complete of {b_big} 50 MiB, ms", False, 1),
        Measure("b_big_ratio", "B: 50 MiB parts' Complete / 5 MiB parts'", False, 2),
        Measure("c_parts_ms", f"{parts}, boto3, ms", False, 1),
        Measure("c_parts_raw_ms", f"{parts}, raw HTTP, ms", False, 1),
        Measure("c_uploads_ms", f"{uploads}, boto3, ms", False, 1),
        Measure("c_uploads_raw_ms", f"{uploads}, raw HTTP, ms", False, 1),
        Measure("c_keys_ms", f"{keys}, boto3, ms", False, 1),
        Measure("c_keys_raw_ms", f"{keys}, raw HTTP, ms", False, 1),
        Measure("d1_mbps", "D: GET of A's object, one stream, MB/s", True),
        Measure("d1_cpu", "D: GET, one stream, server CPU-s per GiB", False, 2),
        Measure("d4_mbps", "D: GET of A's object, 4 ranged streams, MB/s", True),
    ]  # fmt: skip
    for kind, _, name in workloads.F_KINDS:
        at_once = f"{workloads.F_CONCURRENCY} at a time"
        out.append(Measure(f"f_{kind}_rps", f"F: {name}, {at_once}, requests/s", True))
        out.append(Measure(f"f_{kind}_us", f"F: {name}, server CPU us per request", False))
    return out


def ceilings() -> dict[str, float]:
    """Single-core hash rates, MB/s, over 8 MiB buffers for about half a second each."""
    data = os.urandom(8 * 1024 * 1024)
    rates = {}
    hashers = {
        "MD5": lambda: hashlib.md5(data).digest(),
        "SHA-256": lambda: hashlib.sha256(data).digest(),
        "CRC32": lambda: zlib.crc32(data),
    }
    for name, fn in hashers.items():
        count, started = 0, time.perf_counter()
        while time.perf_counter() - started < 0.5:
            fn()
            count += 1
        rates[name] = count * len(data) / (time.perf_counter() - started) / MB
    return rates


def machine() -> str:
    model = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().split()[1]
    return (
        f"{platform.system()} {platform.release()}, {model}, {os.cpu_count()} cores, "
        f"{int(mem) / 1024 / 1024:.0f} GiB memory, load average before the run "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )


def bench_server(
    name: str, sizes: Sizes, workdir: Path, log: Path, only: str = "abcdf"
) -> tuple[dict[str, Value], str]:
    target = TARGETS[name]
    binary = target.install(log)
    version = target.version(binary)
    results: dict[str, Value] = {}
    print(f"== {name} ({version})", file=sys.stderr, flush=True)
    try:
        with run(target, binary, workdir) as server:
            client = server.client()
            client.create_bucket(Bucket=workloads.BUCKET)  # type: ignore[attr-defined]
            steps = []
            if "a" in only:
                steps.append(lambda: workloads.workload_a_e(server, client, sizes))
            if "d" in only:
                steps.append(lambda: workloads.workload_d(server, client, sizes))
            if "b" in only or "c" in only:
                steps.append(
                    lambda: workloads.workload_b_c_parts(server, client, sizes, sink=target.sink)
                )
            if "b" in only:
                steps.append(
                    lambda: workloads.workload_b_big(
                        server, client, sizes, in_memory=target.in_memory
                    )
                )
            if "f" in only:
                steps.append(lambda: workloads.workload_f(server, sizes, sink=target.sink))
            if "c" in only and not target.sink and target.fill_args is None:
                steps.append(lambda: c_listing(server, client, sizes))
            for step in steps:
                _step(step, results)
        if "c" in only and not target.sink and target.fill_args is not None:
            # Filled by a run with the fill arguments (s3mpu: --no-fsync), timed by a run with
            # the server's defaults on the same data dir.
            with run(target, binary, workdir, extra_args=target.fill_args, keep=True) as server:
                client = server.client()
                client.create_bucket(Bucket=workloads.BUCKET)  # type: ignore[attr-defined]
                _step(lambda: c_listing(server, client, sizes, measure=False), results)
            if not any(key in results for key in C_LISTING):  # the fill failed: no pages
                with run(target, binary, workdir, fresh=False) as server:
                    _step(lambda: c_listing(server, server.client(), sizes, fill=False), results)
    except Exception as exc:
        print(f"   {name} failed: {exc}", file=sys.stderr, flush=True)
        results.setdefault("a1_mbps", f"error: {str(exc)[:60]}")
    return results, version


def _step(step: Callable[[], dict[str, Value]], results: dict[str, Value]) -> None:
    started = time.perf_counter()
    got = step()
    results.update(got)
    print(f"   {time.perf_counter() - started:6.1f}s {got}", file=sys.stderr, flush=True)


C_LISTING = ["c_uploads_ms", "c_uploads_raw_ms", "c_keys_ms", "c_keys_raw_ms"]


def c_listing(
    server: Running, client: Any, sizes: Sizes, *, fill: bool = True, measure: bool = True
) -> dict[str, Value]:
    """C's uploads and keys listings: fill the server, time its pages, or both."""
    results: dict[str, Value] = {}
    if fill:
        with workloads.recorded(results, *C_LISTING):
            workloads.fill_c_listing(server, client, sizes)
    if measure and not results:
        results.update(workloads.workload_c_listing(server, client, sizes))
    return results


def render(
    sizes: Sizes, quick: bool, servers: list[str], results: dict[str, dict[str, Value]],
    versions: dict[str, str], rates: dict[str, float], started: datetime.datetime, host: str,
    note: str | None = None, rounds: dict[str, list[dict[str, Value]]] | None = None,
) -> str:  # fmt: skip
    peers = [p for p in [*PEERS, "baseline"] if p in servers]
    floor = sum(1024**3 / MB / rate for rate in rates.values())
    lines = [
        "# Benchmarks",
        "",
        "Produced by `make bench` (`python -m bench`; see bench/). Every figure comes from one run",
        'on one machine, client and servers sharing it; the ratio columns read "s3mpu is N times',
        'better" (above 1: s3mpu wins) for rates, times, CPU and memory alike.',
        "",
        f"- date: {started:%Y-%m-%d %H:%M} UTC{' (--quick sizes)' if quick else ''}",
        f"- machine: {host}",
        f"- client: Python {platform.python_version()}, boto3 {boto3.__version__} "
        "(default checksums: SHA-256 payload signing and CRC32 over http; "
        f"awscrt {'in use' if botocore.compat.HAS_CRT else 'not in use, as in a stock install'})",
        "- servers: " + "; ".join(f"{s}: {v}" for s, v in versions.items()),
        "- hash ceilings, one core: "
        + ", ".join(f"{name} {rate:,.0f} MB/s" for name, rate in rates.items())
        + f"; so MD5 + SHA-256 + CRC32 of a body cost {floor:.2f} CPU-s per GiB",
        "",
        *([note, ""] if note else []),
        table(measures(sizes), results, servers, "s3mpu", peers),
        "",
        "Issue 5's targets, from the same run:",
        "",
        target_table(measures(sizes), results, "s3mpu"),
        "",
        "MB is 10^6 bytes. Server CPU-seconds are utime + stime of the server's process tree from",
        "/proc/<pid>/stat; peak RSS is the tree's VmHWM, reset before A at 16 concurrent parts.",
        "The sink discards bodies and answers zeros: its rates are the client's own ceiling.",
        "s3mpu runs with its defaults (fsync on); small parts are allowed on every server",
        "(`--min-part-size 1`, moto's S3_UPLOAD_PART_MIN_SIZE) so B can complete 10,000 parts;",
        "SeaweedFS has no such setting and refuses them (EntityTooSmall). moto keeps bodies in",
        "memory, so its 100 x 50 MiB is skipped.",
        "",
        "C's rows are timed twice over the same pages: by boto3 (wall time of the call, which",
        "includes botocore parsing the XML, every timestamp through dateutil) and by a raw",
        "HTTP client (bench/rawclient.py: the time from sending the signed request to the last",
        "byte of the answer, no parsing). ListParts is the total of its 10 pages, the median",
        f"of {workloads.WALKS} walks through them; the ListMultipartUploads and ListObjectsV2",
        "rows are the median page. Their uploads and",
        "keys are created through the S3 API (16 requests at a time); s3mpu is filled by a",
        "run with --no-fsync, then restarted with its defaults (fsync on) on the same data dir",
        "before its pages are timed; the peers are filled and timed in one run (moto keeps",
        "everything in memory).",
        "",
        f"F's requests ({sizes.f_requests:,} of each kind, one kind after the other) go through",
        "the raw client's burst (bench/rawclient.py): signed before the clock starts,",
        f"{workloads.F_CONCURRENCY} at a time on keep-alive connections, so that the server",
        "sets the pace. The sink's GET answers zeros.",
        "",
    ]
    repeated = max((len(got) for got in (rounds or {}).values()), default=1)
    if rounds and repeated > 1:
        lines += [
            f"Each figure above is the median of {repeated} rounds, every server once in each",
            "round. The lowest and highest figure of each repeated measure:",
            "",
            spread_table(measures(sizes), rounds, servers),
            "",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for development")
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(ALL)}")
    parser.add_argument("--output", type=Path, help="where to write the Markdown results")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="also run s3mpu from this checkout (e.g. a git worktree of main), as 'baseline'",
    )
    parser.add_argument(
        "--workloads",
        default="abcdf",
        help="which of a (with e), b, c, d, f to run (default: abcdf)",
    )
    parser.add_argument(
        "--rows", type=int, help="uploads and keys listed in C (default: 100,000; --quick 5,000)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run every server this many times, in turns; the table shows each figure's median",
    )
    parser.add_argument("--note", help="a paragraph to put above the results")
    parser.add_argument(
        "--render", type=Path, help="write the Markdown of a saved bench/.cache/results-*.json"
    )
    args = parser.parse_args()
    if args.render is not None:
        saved = json.loads(args.render.read_text())
        sizes = Sizes.quick() if saved["quick"] else Sizes()
        sizes = dataclasses.replace(sizes, c_rows=saved["c_rows"])
        text = render(
            sizes, saved["quick"], saved["servers"], saved["results"], saved["versions"],
            saved["rates"], datetime.datetime.fromisoformat(saved["started"]), saved["machine"],
            args.note, saved.get("rounds"),
        )  # fmt: skip
        (args.output or ROOT / "docs" / "benchmarks.md").write_text(text)
        return
    sizes = Sizes.quick() if args.quick else Sizes()
    if args.rows is not None:
        sizes = dataclasses.replace(sizes, c_rows=args.rows)
    servers = args.only.split(",") if args.only else ALL
    if args.baseline is not None:
        TARGETS["baseline"] = baseline(args.baseline.resolve())
        servers.insert(1, "baseline")
    unknown = set(servers) - set(ALL) - {"baseline"}
    if unknown:
        parser.error(f"unknown servers: {', '.join(sorted(unknown))}")
    output = args.output or (None if args.quick else ROOT / "docs" / "benchmarks.md")
    CACHE.mkdir(parents=True, exist_ok=True)
    log = CACHE / "install.log"
    started = datetime.datetime.now(datetime.UTC)
    host = machine()
    rates = ceilings()
    rounds: dict[str, list[dict[str, Value]]] = {name: [] for name in servers}
    versions: dict[str, str] = {}
    workdir = Path(tempfile.mkdtemp(prefix="s3mpu-bench-", dir=CACHE))
    try:
        # Round by round, every server in each, so a slow spell of the shared machine falls on
        # all of them rather than on one.
        for _ in range(args.repeat):
            for name in servers:
                got, versions[name] = bench_server(
                    name, sizes, workdir, log, args.workloads.lower()
                )
                rounds[name].append(got)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results = {name: median_of_rounds(got) for name, got in rounds.items()}
    saved = CACHE / f"results-{started:%Y%m%d-%H%M%S}.json"
    saved.write_text(
        json.dumps(
            {
                "results": results, "versions": versions, "rates": rates, "servers": servers,
                "quick": args.quick, "c_rows": sizes.c_rows, "started": started.isoformat(),
                "machine": host, "rounds": rounds,
            }
        )
    )  # fmt: skip
    text = render(
        sizes, args.quick, servers, results, versions, rates, started, host, args.note, rounds
    )  # fmt: skip
    print(text)
    if output is not None:
        output.write_text(text)
        print(f"written to {output}", file=sys.stderr)


if __name__ == "__main__":
    main()
