"""A sink: just enough S3 for workloads A, B and D, storing nothing. Bodies are read and
discarded; a GET answers zeros of the object's size. It measures the client's own ceiling.

    python -m bench.sink --port PORT
"""

from __future__ import annotations

import argparse
import secrets

from aiohttp import web

ZEROS = bytes(1024 * 1024)
ETAG = '"' + "0" * 32 + '"'
# Object sizes by key, and each upload's parts' sizes: all the state a sink keeps.
sizes: dict[str, int] = {}
uploads: dict[str, dict[int, int]] = {}


async def _drain(request: web.Request) -> int:
    total = 0
    while True:
        data = await request.content.readany()
        if not data:
            return total
        total += len(data)


def _xml(body: str) -> web.Response:
    return web.Response(
        text='<?xml version="1.0" encoding="UTF-8"?>' + body, content_type="application/xml"
    )


async def handle(request: web.Request) -> web.StreamResponse:
    path = request.path.strip("/")
    bucket, _, key = path.partition("/")
    query = request.query
    method = request.method
    if not key:
        await _drain(request)
        if method == "GET" and not bucket:
            return _xml("<ListAllMyBucketsResult><Buckets/></ListAllMyBucketsResult>")
        return web.Response(status=204 if method == "DELETE" else 200)
    if method == "POST" and "uploads" in query:
        upload_id = secrets.token_hex(8)
        uploads[upload_id] = {}
        return _xml(
            f"<InitiateMultipartUploadResult><Bucket>{bucket}</Bucket><Key>{key}</Key>"
            f"<UploadId>{upload_id}</UploadId></InitiateMultipartUploadResult>"
        )
    if method == "PUT":
        size = await _drain(request)
        if "uploadId" in query:
            uploads.setdefault(query["uploadId"], {})[int(query["partNumber"])] = size
        else:
            sizes[key] = size
        return web.Response(headers={"ETag": ETAG})
    if method == "POST" and "uploadId" in query:
        await _drain(request)
        sizes[key] = sum(uploads.pop(query["uploadId"], {}).values())
        return _xml(
            f"<CompleteMultipartUploadResult><Bucket>{bucket}</Bucket><Key>{key}</Key>"
            f"<ETag>{ETAG}</ETag></CompleteMultipartUploadResult>"
        )
    if method == "DELETE":
        uploads.pop(query.get("uploadId", ""), None)
        sizes.pop(key, None)
        return web.Response(status=204)
    if method in ("GET", "HEAD"):
        return await _get(request, key)
    return web.Response(status=501)


async def _get(request: web.Request, key: str) -> web.StreamResponse:
    if key not in sizes:  # so that D uploads its object when A did not run
        return web.Response(status=404)
    size = sizes[key]
    start, end = 0, size
    status = 200
    header = request.headers.get("Range", "")
    if header.startswith("bytes="):
        first, _, last = header[6:].partition("-")
        start, end = int(first), min(size, int(last) + 1 if last else size)
        status = 206
    response = web.StreamResponse(status=status, headers={"ETag": ETAG})
    if status == 206:
        response.headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    response.content_length = end - start
    await response.prepare(request)
    if request.method == "GET":
        left = end - start
        while left > 0:
            n = min(left, len(ZEROS))
            await response.write(ZEROS[:n] if n < len(ZEROS) else ZEROS)
            left -= n
    await response.write_eof()
    return response


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = web.Application(client_max_size=1024**2)
    app.router.add_route("*", "/{tail:.*}", handle)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
