from bench.report import (
    Measure,
    fmt_ratio,
    fmt_value,
    median_of_rounds,
    ratio,
    spread_table,
    table,
)

RATE = Measure("mbps", "MB/s", higher_is_better=True)
TIME = Measure("ms", "ms", higher_is_better=False, digits=1)


def test_ratio_rate_is_ours_over_theirs() -> None:
    assert ratio(RATE, 300.0, 100.0) == 3.0


def test_ratio_time_is_theirs_over_ours() -> None:
    assert ratio(TIME, 10.0, 40.0) == 4.0


def test_ratio_missing_or_text_is_none() -> None:
    assert ratio(RATE, 300.0, None) is None
    assert ratio(RATE, "error: boom", 1.0) is None
    assert ratio(TIME, 0.0, 1.0) is None


def test_fmt_value_and_ratio() -> None:
    assert fmt_value(1234.567, 1) == "1,234.6"
    assert fmt_value("not implemented", 1) == "not implemented"
    assert fmt_value(None, 0) == ""
    assert fmt_value("error: a | b\n c " + "x" * 60, 0) == "error: a / b c " + "x" * 32 + "…"
    assert fmt_ratio(2.345) == "2.35x"
    assert fmt_ratio(123.4) == "123x"
    assert fmt_ratio(None) == ""


def test_table_rows_columns_and_ratios() -> None:
    results = {"s3mpu": {"mbps": 450.0, "ms": 5.0}, "moto": {"mbps": 150.0, "ms": "error: x"}}
    text = table([RATE, TIME], results, ["s3mpu", "moto"], "s3mpu", ["moto"])
    lines = text.splitlines()
    assert lines[0] == "| measure | s3mpu | moto | s3mpu vs moto |"
    assert lines[1] == "|---|---:|---:|---:|"
    assert lines[2] == "| MB/s | 450 | 150 | 3.00x |"
    assert lines[3] == "| ms | 5.0 | error: x |  |"


def test_target_table_bounds_and_peer_ratios() -> None:
    from bench.report import target_table

    measures = [
        Measure("a4_mbps", "A4", higher_is_better=True),
        Measure("e_rss", "E", higher_is_better=False),
        Measure("b10000_ms", "B", higher_is_better=False),
    ]
    results = {
        "s3mpu": {"a4_mbps": 450.0, "e_rss": 200.0, "b10000_ms": "error: x"},
        "seaweedfs": {"a4_mbps": 100.0},
        "moto": {"a4_mbps": 200.0},
    }
    lines = target_table(measures, results, "s3mpu").splitlines()
    assert "| A at 4 concurrent: at least 3x SeaweedFS | 4.50x | yes |" in lines
    assert "| A at 4 concurrent: at least 3x moto | 2.25x | no |" in lines
    assert "| E: peak RSS at most 150 MB | 200 | no |" in lines
    assert "| B: a 10,000-part Complete under 1 s (ms) | error: x | ? |" in lines


def test_targets_name_the_measure_they_use() -> None:
    from bench.report import TARGETS

    for target in TARGETS:
        if target.text.startswith("C:"):
            assert target.text.endswith(("boto3", "raw HTTP"))
            assert target.measure.endswith("_raw_ms") == target.text.endswith("raw HTTP")


def test_median_of_rounds_takes_each_measures_median() -> None:
    rounds = [
        {"mbps": 100.0, "ms": "error: x"},
        {"mbps": 300.0, "ms": 4.0},
        {"mbps": 200.0, "ms": 8.0, "rss": "skipped"},
    ]
    assert median_of_rounds(rounds) == {"mbps": 200.0, "ms": 6.0, "rss": "skipped"}


def test_median_of_rounds_keeps_the_why_not_when_no_round_measured() -> None:
    assert median_of_rounds([{"ms": "error: a"}, {"ms": "error: b"}]) == {"ms": "error: a"}


def test_spread_table_shows_lowest_and_highest_of_repeated_measures() -> None:
    rounds = {
        "s3mpu": [{"mbps": 180.0, "ms": 5.0}, {"mbps": 240.0}],
        "moto": [{"mbps": 60.0}, {"mbps": 55.0}],
    }
    lines = spread_table([RATE, TIME], rounds, ["s3mpu", "moto"]).splitlines()
    assert lines[0] == "| measure | s3mpu | moto |"
    assert lines[2] == "| MB/s | 180 to 240 | 55 to 60 |"
    assert len(lines) == 3  # ms was measured once: no spread to show
