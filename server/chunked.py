"""Incremental decoder for ``Content-Encoding: aws-chunked`` request bodies.

The body arrives from the socket in arbitrary pieces; ``ChunkedDecoder.feed`` takes each piece and
returns the payload bytes it completes as zero-copy slices of that piece, so an upload streams
straight to disk without the decoder ever holding a chunk. Pure: no HTTP library and no I/O.

Wire formats (x-amz-content-sha256 selects one):

- ``STREAMING-UNSIGNED-PAYLOAD-TRAILER``: ``<hex>\\r\\n<data>\\r\\n`` ... ``0\\r\\n``, then trailer
  lines ``name:value\\r\\n`` and an empty line. This is what boto3 sends by default
  (botocore/httpchecksum.py ``AwsChunkedWrapper``).
- ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD``: ``<hex>;chunk-signature=<sig>\\r\\n<data>\\r\\n`` ...
  ending with ``0;chunk-signature=<sig>\\r\\n\\r\\n``.
  https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
- ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER``: signed chunks, ``0;chunk-signature=<sig>\\r\\n``,
  trailer lines, ``x-amz-trailer-signature:<sig>\\r\\n`` and an empty line.
  https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html

The decoder checks framing only. Signatures are checked by the caller through ``on_chunk`` and
``on_trailer``, which get what the string-to-sign needs (the chunk's SHA-256, the trailer bytes).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from storage import S3Error

# A chunk header is a hex size and, when signed, the only extension AWS defines. Sizes in upper or
# lower case are accepted: some clients print them upper case. 16 digits bound int() work.
_HEADER = re.compile(rb"([0-9A-Fa-f]{1,16})(?:;chunk-signature=([0-9A-Fa-f]{64}))?")
_CRLF = b"\r\n"
_MAX_HEADER_LINE = 4096  # a real header is at most ~90 bytes; anything longer is garbage
_MAX_TRAILER_SECTION = 8192  # the whole trailer section, CRLFs included
_TRAILER_SIGNATURE = "x-amz-trailer-signature"
_EMPTY_SHA256 = hashlib.sha256().digest()

# Decoder states. Plain ints: the dispatch in feed() runs a few times per chunk.
_HEADER_LINE, _DATA, _DATA_CRLF, _TRAILER, _TRAILER_END, _DONE = range(6)


class ChunkedDecoder:
    """Decode one aws-chunked body fed in pieces; raise ``S3Error`` on bad framing.

    After any exception the decoder's state is unspecified: discard it with the request.
    """

    def __init__(
        self,
        *,
        signed: bool,
        trailer: bool,
        on_chunk: Callable[[str, bytes], None] | None = None,
        on_trailer: Callable[[str, bytes], None] | None = None,
        max_chunk_size: int = 16 * 1024 * 1024,
    ) -> None:
        self._signed = signed
        self._trailer = trailer
        self._on_chunk = on_chunk
        self._on_trailer = on_trailer
        self._max_chunk_size = max_chunk_size
        # Hash chunk data only when someone will check the chunk signatures with it.
        self._hash = on_chunk is not None and signed
        self._state = _HEADER_LINE
        self._buf = bytearray()  # a header or trailer line split across pieces
        self._remaining = 0  # data bytes left in the current chunk
        self._signature = ""  # the current chunk's chunk-signature
        self._hasher: hashlib._Hash | None = None
        self._final = False  # the current chunk is the zero-size one
        self._crlf_seen = 0  # bytes of the CRLF after a chunk's data seen so far
        self._decoded = 0
        self._trailers: dict[str, str] = {}
        self._trailer_size = 0
        self._signed_trailer = bytearray()

    @property
    def done(self) -> bool:
        """True once the final chunk and the trailer section have been fully parsed."""
        return self._state == _DONE

    @property
    def trailers(self) -> dict[str, str]:
        """Trailers by lowercased name, values stripped; x-amz-trailer-signature excluded."""
        return self._trailers

    @property
    def decoded_length(self) -> int:
        """Payload bytes returned by feed() so far."""
        return self._decoded

    def feed(self, data: bytes) -> list[memoryview | bytes]:
        """Decode the next raw piece; return the payload pieces it completes (possibly empty)."""
        out: list[memoryview | bytes] = []
        view: memoryview | None = None
        pos = 0
        n = len(data)
        while pos < n:
            state = self._state
            if state == _DATA:
                end = min(pos + self._remaining, n)
                if view is None:
                    view = memoryview(data)
                piece = view[pos:end]
                out.append(piece)
                if self._hasher is not None:
                    self._hasher.update(piece)
                self._remaining -= end - pos
                self._decoded += end - pos
                pos = end
                if not self._remaining:
                    self._chunk_complete()
            elif state == _HEADER_LINE:
                line, pos = self._line(data, pos, _MAX_HEADER_LINE, "IncompleteBody")
                if line is not None:
                    self._start_chunk(line)
            elif state == _DATA_CRLF:
                pos = self._data_crlf(data, pos)
            elif state == _DONE:
                # The framing said the body was over but the client kept sending: this is not a
                # short body (IncompleteBody) but a request that does not mean what it says.
                raise S3Error("InvalidRequest", "Data follows the end of the aws-chunked body.")
            else:
                limit = _MAX_TRAILER_SECTION - self._trailer_size - len(_CRLF)
                line, pos = self._line(data, pos, limit, "MalformedTrailerError")
                if line is not None:
                    self._trailer_line(line)
        return out

    def finish(self) -> None:
        """The raw body has ended: raise unless the framing ended exactly and completely."""
        if self._state == _DONE:
            return
        # Some SDKs end the trailer section without its final empty line. Accept that only where
        # the body stops exactly after a complete trailer line: after the trailer signature when
        # signed, after at least one trailer when unsigned.
        at_line_end = not self._buf
        if at_line_end and (
            self._state == _TRAILER_END
            or (self._state == _TRAILER and not self._signed and self._trailers)
        ):
            self._state = _DONE
            return
        raise S3Error("IncompleteBody")

    def _line(self, data: bytes, pos: int, limit: int, code: str) -> tuple[bytes | None, int]:
        """Take one CRLF-terminated line of at most ``limit`` bytes starting at ``pos``.

        Return (line without CRLF, position after it), or (None, len(data)) after buffering an
        unfinished line for the next piece.
        """
        buf = self._buf
        if buf and buf[-1] == 0x0D and data[pos] == 0x0A:  # the CRLF itself was split
            line = bytes(buf[:-1])
            buf.clear()
            pos += 1
        else:
            # Bound the search so a body of garbage costs no more than one line's worth of scan.
            end = data.find(_CRLF, pos, pos + max(limit - len(buf), 0) + len(_CRLF))
            if end < 0:
                # A line may end here with its "\r", hence limit + 1.
                if len(buf) + len(data) - pos > limit + 1:
                    raise S3Error(code)
                buf += data[pos:]
                return None, len(data)
            if buf:
                buf += data[pos:end]
                line = bytes(buf)
                buf.clear()
            else:
                line = data[pos:end]
            pos = end + len(_CRLF)
        if len(line) > limit:
            raise S3Error(code)
        return line, pos

    def _start_chunk(self, line: bytes) -> None:
        match = _HEADER.fullmatch(line)
        if match is None:
            raise S3Error("IncompleteBody")
        size_hex, signature = match.groups()
        # chunk-signature is required in the signed modes and meaningless (so refused) otherwise.
        if (signature is None) == self._signed:
            raise S3Error("IncompleteBody")
        size = int(size_hex, 16)
        if size > self._max_chunk_size:
            raise S3Error("IncompleteBody")
        self._signature = signature.decode("ascii") if signature is not None else ""
        self._hasher = hashlib.sha256() if self._hash and size else None
        self._remaining = size
        if size:
            self._state = _DATA
        else:
            self._final = True
            self._chunk_complete()

    def _chunk_complete(self) -> None:
        if self._on_chunk is not None:
            if self._hasher is not None:
                digest = self._hasher.digest()
            else:
                digest = _EMPTY_SHA256 if self._hash else b""
            self._hasher = None
            self._on_chunk(self._signature, digest)
        # With a trailer the zero-size chunk's header is followed directly by the trailer lines;
        # every other chunk, the final one included, ends its (empty) data with CRLF.
        self._state = _TRAILER if self._final and self._trailer else _DATA_CRLF

    def _data_crlf(self, data: bytes, pos: int) -> int:
        if not self._crlf_seen and data.startswith(_CRLF, pos):
            pos += len(_CRLF)
        else:  # the CRLF is split across pieces, or missing
            while self._crlf_seen < len(_CRLF) and pos < len(data):
                if data[pos] != _CRLF[self._crlf_seen]:
                    raise S3Error("IncompleteBody")
                self._crlf_seen += 1
                pos += 1
            if self._crlf_seen < len(_CRLF):
                return pos
            self._crlf_seen = 0
        self._state = _DONE if self._final else _HEADER_LINE
        return pos

    def _trailer_line(self, line: bytes) -> None:
        self._trailer_size += len(line) + len(_CRLF)
        if not line:  # the empty line that ends the section
            if self._signed and self._state != _TRAILER_END:
                raise S3Error("MalformedTrailerError")  # signed trailers without their signature
            self._state = _DONE
            return
        if self._state == _TRAILER_END:
            raise S3Error("MalformedTrailerError")  # the signature must be the last trailer
        name_bytes, colon, value_bytes = line.partition(b":")
        try:
            # Optional whitespace around ':' is accepted, as in HTTP header fields.
            name = name_bytes.decode("ascii").strip().lower()
            value = value_bytes.decode("ascii").strip()
        except UnicodeDecodeError:
            raise S3Error("MalformedTrailerError") from None
        if not colon or not name or name in self._trailers:
            raise S3Error("MalformedTrailerError")
        if name == _TRAILER_SIGNATURE:
            if not self._signed:
                raise S3Error("MalformedTrailerError")
            self._state = _TRAILER_END
            if self._on_trailer is not None:
                self._on_trailer(value, bytes(self._signed_trailer))
            return
        self._trailers[name] = value
        if self._signed:
            # The trailer signature's string-to-sign hashes the trailer lines as "name:value\n",
            # LF-terminated rather than CRLF as on the wire (e.g. "x-amz-checksum-crc32c:sOO8/Q==\n"
            # in the AWS example), in the order sent. We pass the canonical form (lowercase name,
            # trimmed value), which is byte-identical to the wire for every SDK we know.
            # https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
            self._signed_trailer += b"%s:%s\n" % (name.encode("ascii"), value.encode("ascii"))
