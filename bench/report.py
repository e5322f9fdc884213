"""The results table: one row per measure, one column per server, and s3mpu's ratio to each peer.

A ratio reads "s3mpu is N times better": the peer's figure over s3mpu's for times, CPU and memory
(lower is better), s3mpu's over the peer's for rates (higher is better). So above 1 always means
s3mpu wins.
"""

from __future__ import annotations

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
        return value
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
