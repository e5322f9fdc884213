"""The s3mpu command line, run as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.cli import _parser, config_from_args
from server.config import DEV_ACCESS_KEY, DEV_SECRET_KEY
from server.credentials import Key
from tests.harness import free_port, run_server


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("S3MPU_")}
    env.update(extra)
    return env


def _config(monkeypatch: pytest.MonkeyPatch, *argv: str, **env: str):  # type: ignore[no-untyped-def]
    for name in ("S3MPU_ACCESS_KEY", "S3MPU_SECRET_KEY", "S3MPU_CLOCK_OFFSET"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return config_from_args(_parser().parse_args(["serve", *argv]))


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(monkeypatch)
    assert (config.data_dir, config.host, config.port, config.region) == (
        Path("data"), "127.0.0.1", 9000, "us-east-1",
    )  # fmt: skip
    assert config.min_part_size == 5 * 1024 * 1024
    assert config.keys == {DEV_ACCESS_KEY: Key(DEV_ACCESS_KEY, DEV_SECRET_KEY)}
    assert config.clock_offset == 0
    assert config.fsync
    assert config.direct_io
    assert not _config(monkeypatch, "--no-direct-io").direct_io


def test_domain(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _config(monkeypatch).domain is None
    assert _config(monkeypatch, "--domain", "S3.Example.com.").domain == "s3.example.com"


def test_credentials_from_environment_and_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(monkeypatch, S3MPU_ACCESS_KEY="ak", S3MPU_SECRET_KEY="sk")
    assert config.keys == {"ak": Key("ak", "sk")}
    config = _config(
        monkeypatch, "--access-key", "flag-ak", "--secret-key", "flag-sk",
        S3MPU_ACCESS_KEY="ak", S3MPU_SECRET_KEY="sk",
    )  # fmt: skip
    assert config.keys == {"flag-ak": Key("flag-ak", "flag-sk")}


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "::", "example.org"])
def test_dev_credentials_refused_beyond_loopback(
    monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    with pytest.raises(SystemExit):
        _config(monkeypatch, "--host", host)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "localhost"])
def test_dev_credentials_allowed_on_loopback(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    assert _config(monkeypatch, "--host", host).host == host


def test_real_credentials_may_listen_anywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(monkeypatch, "--host", "0.0.0.0", S3MPU_ACCESS_KEY="a", S3MPU_SECRET_KEY="s")
    assert config.host == "0.0.0.0"


@pytest.mark.parametrize(
    "argv",
    [
        ["--tls-cert", "c.pem"],
        ["--tls-key", "k.pem"],
        ["--min-part-size", "-1"],
        ["--min-free-space", "-1"],
        ["--body-idle-timeout", "0"],
        ["--domain", "."],
        ["--domain", "s3.test:9000"],
        ["--domain", "http://s3.test"],
    ],
)
def test_bad_flag_combinations(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        _config(monkeypatch, *argv)


def test_half_a_key_pair_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit):
        _config(monkeypatch, S3MPU_ACCESS_KEY="only-the-key")


def test_serve_prints_dev_credentials_and_refuses_public_address(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "server", "serve", "--data-dir", str(tmp_path / "d")]
    refused = subprocess.run(
        [*argv, "--host", "0.0.0.0", "--port", str(free_port())],
        env=_env(), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert refused.returncode != 0
    assert not (tmp_path / "d").exists()
    with subprocess.Popen(
        [*argv, "--port", str(free_port())],
        env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    ) as process:  # fmt: skip
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            assert DEV_ACCESS_KEY in first
            assert DEV_SECRET_KEY in first
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_credentials_file_replaces_the_development_pair(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    creds = tmp_path / "creds.toml"
    creds.write_text('[[keys]]\naccess_key = "ro"\nsecret_key = "s"\naccess = "read-only"\n')
    config = _config(monkeypatch, "--credentials", str(creds), "--host", "0.0.0.0")
    assert config.keys == {"ro": Key("ro", "s", read_only=True)}
    config = _config(
        monkeypatch, "--credentials", str(creds), S3MPU_ACCESS_KEY="ak", S3MPU_SECRET_KEY="sk"
    )
    assert set(config.keys) == {"ak", "ro"}


@pytest.mark.parametrize("text", ["broken [", '[[keys]]\naccess_key = "ak"\nsecret_key = "x"\n'])
def test_bad_or_clashing_credentials_file_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str
) -> None:
    creds = tmp_path / "creds.toml"
    creds.write_text(text)
    with pytest.raises(SystemExit):
        _config(
            monkeypatch, "--credentials", str(creds), S3MPU_ACCESS_KEY="ak", S3MPU_SECRET_KEY="s"
        )


def test_missing_credentials_file_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        _config(monkeypatch, "--credentials", str(tmp_path / "nope.toml"))


def test_clock_offset_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _config(monkeypatch, S3MPU_CLOCK_OFFSET="-90.5").clock_offset == -90.5
    with pytest.raises(SystemExit):
        _config(monkeypatch, S3MPU_CLOCK_OFFSET="soon")


def _fsck(data_dir: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", "fsck", "--data-dir", str(data_dir), *argv],
        env=_env(), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_fsck_and_a_second_server_refuse_while_a_server_runs(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with run_server(data_dir) as server:
        s3 = server.client()
        s3.create_bucket(Bucket="kept")
        s3.put_object(Bucket="kept", Key="k", Body=b"bytes")
        refused = _fsck(data_dir, "--repair")
        assert refused.returncode == 2
        assert refused.stdout == ""
        second = subprocess.run(
            [sys.executable, "-m", "server", "serve", "--data-dir", str(data_dir),
             "--port", str(free_port())],
            env=_env(), capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert second.returncode != 0
        assert s3.get_object(Bucket="kept", Key="k")["Body"].read() == b"bytes"
    assert _fsck(data_dir).returncode == 0


def test_fsck_exit_status_and_repair(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with run_server(data_dir) as server:
        server.client().create_bucket(Bucket="kept")
        server.client().put_object(Bucket="kept", Key="k", Body=b"bytes")
    orphan = data_dir / "blobs" / "ab" / ("ab" * 16)
    orphan.parent.mkdir(exist_ok=True)
    orphan.write_bytes(b"nobody's")
    found = _fsck(data_dir)
    assert found.returncode == 1
    assert orphan.exists()
    repaired = _fsck(data_dir, "--repair")
    assert repaired.returncode == 0
    assert not orphan.exists()
    assert _fsck(data_dir).returncode == 0
    assert _fsck(tmp_path / "nowhere").returncode == 2
    assert not (tmp_path / "nowhere").exists()
