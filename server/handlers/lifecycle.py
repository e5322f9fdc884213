"""Bucket lifecycle configuration: PutBucketLifecycleConfiguration,
GetBucketLifecycleConfiguration, DeleteBucketLifecycle. The rules are applied by the sweeper
the app runs (server/app.py).
https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lifecycle-mgmt.html
"""

from __future__ import annotations

from aiohttp import web

from server import s3xml
from server.context import Call, xml_response
from server.headers import http_date
from storage import ObjectInfo


async def put_bucket_lifecycle_configuration(call: Call) -> web.StreamResponse:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html"""
    payload = await call.read_xml(integrity_required=True)
    rules = s3xml.parse_lifecycle_configuration(payload)
    await call.store.put_bucket_lifecycle(call.bucket, rules)
    return web.Response()


async def get_bucket_lifecycle_configuration(call: Call) -> web.StreamResponse:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLifecycleConfiguration.html"""
    rules = await call.store.get_bucket_lifecycle(call.bucket)
    return xml_response(s3xml.lifecycle_configuration(rules))


async def delete_bucket_lifecycle(call: Call) -> web.StreamResponse:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketLifecycle.html"""
    await call.store.delete_bucket_lifecycle(call.bucket)
    return web.Response(status=204)


def expiration_headers(call: Call, info: ObjectInfo) -> dict[str, str]:
    """x-amz-expiration, when a lifecycle rule will expire the object: PutObject, GetObject,
    HeadObject and CompleteMultipartUpload answer it.
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html#API_HeadObject_ResponseSyntax
    """
    found = call.store.expiration(info)
    if found is None:
        return {}
    rule_id, when = found
    # The rule id is quoted as-is: AWS does not escape it either.
    return {"x-amz-expiration": f'expiry-date="{http_date(when)}", rule-id="{rule_id}"'}
