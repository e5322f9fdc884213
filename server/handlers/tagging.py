"""Object tagging: GetObjectTagging, PutObjectTagging, DeleteObjectTagging.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html
"""

from __future__ import annotations

from aiohttp import web

from server import s3xml
from server.context import Call, xml_response
from storage import validate_tags


async def get_object_tagging(call: Call) -> web.StreamResponse:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectTagging.html"""
    info = await call.store.head_object(call.bucket, call.key)
    return xml_response(s3xml.tagging(info.tags))


async def put_object_tagging(call: Call) -> web.StreamResponse:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html
    An empty TagSet removes the tags, as the user guide says."""
    payload = await call.read_xml(integrity_required=True)  # botocore: requestChecksumRequired
    tags = validate_tags(s3xml.parse_tagging(payload))
    await call.store.put_object_tagging(call.bucket, call.key, tags)
    return web.Response()


async def delete_object_tagging(call: Call) -> web.StreamResponse:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjectTagging.html"""
    await call.store.put_object_tagging(call.bucket, call.key, ())
    return web.Response(status=204)
