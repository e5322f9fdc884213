"""Bucket CORS configuration: PutBucketCors, GetBucketCors, DeleteBucketCors. The rules are
applied to browsers' requests by server/cors.py.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html
"""

from __future__ import annotations

from aiohttp import web

from server import s3xml
from server.context import Call, xml_response


async def put_bucket_cors(call: Call) -> web.StreamResponse:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketCors.html"""
    payload = await call.read_xml(integrity_required=True)
    await call.store.put_bucket_cors(call.bucket, s3xml.parse_cors_configuration(payload))
    return web.Response()


async def get_bucket_cors(call: Call) -> web.StreamResponse:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketCors.html"""
    return xml_response(s3xml.cors_configuration(await call.store.get_bucket_cors(call.bucket)))


async def delete_bucket_cors(call: Call) -> web.StreamResponse:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketCors.html"""
    await call.store.delete_bucket_cors(call.bucket)
    return web.Response(status=204)
