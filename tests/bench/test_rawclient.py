"""bench/rawclient.py's burst: answers read whole however the server frames them, against
canned bytes and a real server."""

from __future__ import annotations

import asyncio

import pytest

from bench.rawclient import Answer, RawClient, burst, read_answer
from tests.harness import ACCESS_KEY, SECRET_KEY, Server


def _read(data: bytes, *, head: bool = False) -> tuple[Answer, bytes]:
    """The answer read from ``data``, and what is left after it."""

    async def read() -> tuple[Answer, bytes]:
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        answer = await read_answer(reader, head=head)
        return answer, await reader.read()

    return asyncio.run(read())


NEXT = b"HTTP/1.1 200 OK\r\n\r\n"  # the next answer on the connection, left unread


@pytest.mark.parametrize(
    ("data", "head", "status", "body", "keep_alive"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", False, 200, b"abc", True),
        (
            b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\nConnection: close\r\n\r\nabc",
            False, 200, b"abc", False,
        ),
        # HEAD: the length is the object's, and no body follows.
        (b"HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n", True, 200, b"", True),
        (b"HTTP/1.1 204 No Content\r\n\r\n", False, 204, b"", True),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", False, 200, b"x", False),
        (
            b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx",
            False, 200, b"x", True,
        ),
        (
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nx-trailer: 1\r\n\r\n",
            False, 404, b"abcde", True,
        ),
    ],
)  # fmt: skip
def test_read_answer_reads_one_whole_answer(
    data: bytes, head: bool, status: int, body: bytes, keep_alive: bool
) -> None:
    answer, rest = _read(data + NEXT, head=head)
    assert (answer.status, answer.body, answer.keep_alive) == (status, body, keep_alive)
    assert rest == NEXT


def test_read_answer_without_length_reads_to_the_end() -> None:
    answer, rest = _read(b"HTTP/1.1 200 OK\r\n\r\nall of it")
    assert (answer.body, answer.keep_alive, rest) == (b"all of it", False, b"")


def _raw(server: Server) -> RawClient:
    return RawClient(f"http://127.0.0.1:{server.port}", ACCESS_KEY, SECRET_KEY)


def test_burst_puts_heads_and_gets_in_order(server: Server, bucket: str) -> None:
    raw = _raw(server)
    bodies = [bytes([i]) * (100 + i) for i in range(40)]
    puts = [raw.prepared("PUT", f"/{bucket}/k{i}", body=body) for i, body in enumerate(bodies)]
    seconds, _ = burst(raw.hostname, raw.port, puts, concurrency=4)
    assert seconds > 0
    heads = [raw.prepared("HEAD", f"/{bucket}/k{i}") for i in range(len(bodies))]
    assert burst(raw.hostname, raw.port, heads, head=True, concurrency=4)[1] == [b""] * 40
    gets = [raw.prepared("GET", f"/{bucket}/k{i}") for i in range(len(bodies))]
    assert burst(raw.hostname, raw.port, gets, concurrency=4)[1] == bodies


def test_burst_raises_on_an_error_answer(server: Server, bucket: str) -> None:
    raw = _raw(server)
    gets = [raw.prepared("GET", f"/{bucket}/missing")]
    with pytest.raises(RuntimeError):
        burst(raw.hostname, raw.port, gets)
