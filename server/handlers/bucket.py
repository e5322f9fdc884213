"""Bucket operations: CreateBucket, HeadBucket, DeleteBucket, ListBuckets, GetBucketLocation,
ListObjects and ListObjectsV2."""

from __future__ import annotations

import base64
import binascii
import re

from aiohttp import web

from server import s3xml
from server.context import Call, xml_response
from storage import MAX_KEYS, S3Error

# https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_IP_ADDRESS = re.compile(r"\d+\.\d+\.\d+\.\d+")


def valid_bucket_name(name: str) -> bool:
    return (
        _BUCKET_NAME.fullmatch(name) is not None
        and ".." not in name
        and _IP_ADDRESS.fullmatch(name) is None
        and not name.startswith("xn--")
        and not name.endswith("-s3alias")
    )


async def list_buckets(call: Call) -> web.StreamResponse:
    # A key limited to named buckets sees only those.
    buckets = [b for b in await call.store.list_buckets() if call.principal.sees(b.name)]
    return xml_response(s3xml.list_buckets(buckets))


async def create_bucket(call: Call) -> web.StreamResponse:
    if not valid_bucket_name(call.bucket):
        raise S3Error("InvalidBucketName", BucketName=call.bucket)
    payload = await call.read_xml()
    if payload:
        # The LocationConstraint is accepted and ignored: s3mpu serves one region.
        s3xml.parse_create_bucket(payload)
    await call.store.create_bucket(call.bucket)
    return web.Response(headers={"Location": f"/{call.bucket}"})


async def head_bucket(call: Call) -> web.StreamResponse:
    await call.store.head_bucket(call.bucket)
    return web.Response(headers={"x-amz-bucket-region": call.config.region})


async def get_bucket_location(call: Call) -> web.StreamResponse:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html"""
    await call.store.head_bucket(call.bucket)
    return xml_response(s3xml.get_bucket_location(call.config.region))


async def delete_bucket(call: Call) -> web.StreamResponse:
    await call.store.delete_bucket(call.bucket)
    return web.Response(status=204)


_TOKEN_TAG = "s3mpu1:"


def encode_token(name: str) -> str:
    """A continuation token: the name the next page starts after, opaque to clients."""
    return base64.urlsafe_b64encode((_TOKEN_TAG + name).encode()).decode("ascii")


def decode_token(token: str) -> str:
    try:
        text = base64.urlsafe_b64decode(token.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    if not text.startswith(_TOKEN_TAG):
        raise S3Error(
            "InvalidArgument",
            "The continuation token provided is incorrect",
            ArgumentName="continuation-token",
        )
    return text.removeprefix(_TOKEN_TAG)


def encoding_type(call: Call) -> str:
    value = call.request.query.get("encoding-type", "")
    if value not in ("", "url"):
        raise S3Error("InvalidArgument", "Invalid Encoding Method specified in Request")
    return value


async def list_objects_v2(call: Call) -> web.StreamResponse:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html"""
    query = call.request.query
    prefix = query.get("prefix", "")
    delimiter = query.get("delimiter", "")
    max_keys = call.query_int("max-keys", MAX_KEYS, high=MAX_KEYS)
    start_after = query.get("start-after", "")
    token = query.get("continuation-token")
    after = decode_token(token) if token is not None else start_after
    page = await call.store.list_objects(
        call.bucket, prefix=prefix, delimiter=delimiter, max_keys=max_keys, after=after
    )
    next_token = encode_token(page.last_name) if page.truncated and page.last_name else None
    return xml_response(
        s3xml.list_objects_v2(
            call.bucket,
            page,
            prefix=prefix,
            delimiter=delimiter,
            max_keys=max_keys,
            encoding_type=encoding_type(call),
            start_after=start_after,
            continuation_token=token,
            next_token=next_token,
            fetch_owner=query.get("fetch-owner", "").lower() == "true",
        )
    )


async def list_objects(call: Call) -> web.StreamResponse:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html"""
    query = call.request.query
    prefix = query.get("prefix", "")
    delimiter = query.get("delimiter", "")
    max_keys = call.query_int("max-keys", MAX_KEYS, high=MAX_KEYS)
    marker = query.get("marker", "")
    encoding = encoding_type(call)
    page = await call.store.list_objects(
        call.bucket, prefix=prefix, delimiter=delimiter, max_keys=max_keys, after=marker
    )
    return xml_response(
        s3xml.list_objects(
            call.bucket,
            page,
            prefix=prefix,
            delimiter=delimiter,
            max_keys=max_keys,
            encoding_type=encoding,
            marker=marker,
        )
    )
