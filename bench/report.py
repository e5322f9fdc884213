"""The results table: one row per measure, one column per server, and s3mpu's ratio to each peer.

A ratio reads "s3mpu is N times better": the peer's figure over s3mpu's for times, CPU and memory
(lower is better), s3mpu's over the peer's for rates (higher is better). So above 1 always means
s3mpu wins.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# A measured figure, or why there is none ("error: ...", "not implemented", "skipped").
Value = float | str | None


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    higher_is_better: bool
    digits: int = 0


def fmt_value(value: Value, digits: int) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        # A why-not, kept to one short table cell.
        text = " ".join(value.replace("|", "/").split())
        return text if len(text) <= 48 else text[:47] + "…"
    return f"{value:,.{digits}f}"


def ratio(measure: Measure, ours: Value, theirs: Value) -> float | None:
    """How many times better s3mpu's figure is than the peer's; None when either is missing."""
    if not isinstance(ours, float | int) or not isinstance(theirs, float | int):
        return None
    if ours <= 0 or theirs <= 0:
        return None
    return ours / theirs if measure.higher_is_better else theirs / ours


def fmt_ratio(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.2f}x" if value < 10 else f"{value:.0f}x"


def table(
    measures: Sequence[Measure],
    results: Mapping[str, Mapping[str, Value]],
    servers: Sequence[str],
    ours: str,
    peers: Sequence[str],
) -> str:
    """A Markdown table: measures down, ``servers`` across, then "s3mpu vs <peer>" columns."""
    header = ["measure", *servers, *(f"{ours} vs {peer}" for peer in peers)]
    lines = [
        "| " + " | ".join(header) + " |",
        "|---|" + "---:|" * (len(header) - 1),
    ]
    for measure in measures:
        cells = [measure.label]
        cells += [fmt_value(results.get(s, {}).get(measure.key), measure.digits) for s in servers]
        mine = results.get(ours, {}).get(measure.key)
        cells += [
            fmt_ratio(ratio(measure, mine, results.get(peer, {}).get(measure.key)))
            for peer in peers
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def median_of_rounds(rounds: Sequence[Mapping[str, Value]]) -> dict[str, Value]:
    """One server's figures over several rounds of the same run: each measure's median over
    the rounds that measured it; a measure no round measured keeps the first round's why-not."""
    merged: dict[str, Value] = {}
    for key in dict.fromkeys(key for got in rounds for key in got):
        values = [got.get(key) for got in rounds]
        numbers = [v for v in values if isinstance(v, float | int)]
        merged[key] = (
            float(statistics.median(numbers))
            if numbers
            else next((v for v in values if v is not None), None)
        )
    return merged


def spread_table(
    measures: Sequence[Measure],
    rounds: Mapping[str, Sequence[Mapping[str, Value]]],
    servers: Sequence[str],
) -> str:
    """A Markdown table of each measure's lowest and highest figure over the rounds, for the
    measures some server measured more than once."""
    lines = ["| measure | " + " | ".join(servers) + " |", "|---|" + "---:|" * len(servers)]
    for measure in measures:
        cells, repeated = [measure.label], False
        for server in servers:
            numbers = [
                float(v)
                for got in rounds.get(server, [])
                if isinstance(v := got.get(measure.key), float | int)
            ]
            repeated = repeated or len(numbers) > 1
            cells.append(
                f"{fmt_value(min(numbers), measure.digits)} to "
                f"{fmt_value(max(numbers), measure.digits)}"
                if numbers
                else ""
            )
        if repeated:
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


@dataclass(frozen=True)
class Target:
    """One of issue 5's targets: ``measure`` of s3mpu against a bound, or against a peer."""

    text: str
    measure: str
    bound: float
    peer: str | None = None  # the bound is a ratio to this peer's figure (s3mpu better by)


TARGETS = [
    Target("A at 4 concurrent: at least 3x SeaweedFS", "a4_mbps", 3.0, "seaweedfs"),
    Target("A at 4 concurrent: at least 3x moto", "a4_mbps", 3.0, "moto"),
    Target("A at 4 concurrent: at most 3.0 server CPU-s per GiB", "a4_cpu", 3.0),
    Target("B: 50 MiB parts' Complete within 1.5x of 5 MiB parts'", "b_big_ratio", 1.5),
    Target("B: a 10,000-part Complete under 1 s (ms)", "b10000_ms", 1000.0),
    # C's targets against both measures (see bench/workloads.py): boto3's wall time includes
    # botocore parsing the XML, which alone takes about 15 ms per 100 parts and over 100 ms per
    # 1,000 keys on the development machine; the raw client's time to the last byte does not.
    Target("C: ListParts at most half of SeaweedFS's time, boto3", "c_parts_ms", 2.0, "seaweedfs"),
    Target(
        "C: ListParts at most half of SeaweedFS's time, raw HTTP",
        "c_parts_raw_ms",
        2.0,
        "seaweedfs",
    ),
    Target("C: a page of 1,000 uploads under 50 ms, boto3", "c_uploads_ms", 50.0),
    Target("C: a page of 1,000 uploads under 50 ms, raw HTTP", "c_uploads_raw_ms", 50.0),
    Target("C: a page of 1,000 keys under 50 ms, boto3", "c_keys_ms", 50.0),
    Target("C: a page of 1,000 keys under 50 ms, raw HTTP", "c_keys_raw_ms", 50.0),
    Target("D: one GET stream at least 2x SeaweedFS", "d1_mbps", 2.0, "seaweedfs"),
    Target("E: peak RSS at most 150 MB", "e_rss", 150.0),
]


def target_table(
    measures: Sequence[Measure], results: Mapping[str, Mapping[str, Value]], ours: str
) -> str:
    """Each target with s3mpu's figure (or its ratio to the peer) and whether it is met."""
    by_key = {m.key: m for m in measures}
    lines = ["| target | measured | met |", "|---|---:|:---:|"]
    for target in TARGETS:
        measure = by_key.get(target.measure)
        mine = results.get(ours, {}).get(target.measure)
        if measure is None:
            continue
        if target.peer is not None:
            got = ratio(measure, mine, results.get(target.peer, {}).get(target.measure))
            shown, met = fmt_ratio(got), None if got is None else got >= target.bound
        else:
            ok = isinstance(mine, float | int)
            shown = fmt_value(mine, measure.digits)
            met = None if not ok else float(mine) <= target.bound  # type: ignore[arg-type]
        mark = "?" if met is None else "yes" if met else "no"
        lines.append(f"| {target.text} | {shown} | {mark} |")
    return "\n".join(lines)
