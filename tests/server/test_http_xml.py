"""Request XML over raw HTTP: every CompleteMultipartUpload or CreateBucket body S3 cannot use is
MalformedXML (400), parsed safely and with a size cap, and leaves the upload or bucket untouched.

https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.harness import Server
from tests.server.rawhttp import (
    assert_alive,
    assert_error,
    assert_ok,
    md5_b64,
    new_upload,
    part_etags,
    request,
    stored,
)

NS = "http://s3.amazonaws.com/doc/2006-03-01/"
PART = b"part one, at least five bytes"


@pytest.fixture(scope="module", autouse=True)
def _server_survives(server: Server) -> Iterator[None]:
    yield
    assert_alive(server)


@pytest.fixture(scope="module")
def s3(server: Server) -> Any:
    return server.client()


def complete_xml(parts: list[tuple[str, str]], xmlns: str | None = None) -> bytes:
    """A CompleteMultipartUpload body listing (PartNumber, ETag) pairs as given."""
    ns = f' xmlns="{xmlns}"' if xmlns else ""
    listed = "".join(
        f"<Part><PartNumber>{number}</PartNumber><ETag>{etag}</ETag></Part>"
        for number, etag in parts
    )
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    return f"{head}<CompleteMultipartUpload{ns}>{listed}</CompleteMultipartUpload>".encode()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&lol9;</ETag></Part>
</CompleteMultipartUpload>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE CompleteMultipartUpload [<!ENTITY etag SYSTEM "file:///etc/hostname">]>
<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&etag;</ETag></Part>
</CompleteMultipartUpload>"""

# Bodies that name part 1 use the ETag placeholder {etag}, filled with the real one, so only the
# defect named by the case stands between the body and a successful Complete.
MALFORMED_COMPLETE: dict[str, bytes] = {
    "empty": b"",
    "garbage": b"this is not XML at all",
    "binary": bytes(range(256)),
    "unclosed": b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag>",
    "wrong-root": b"<CompleteUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part>"
    b"</CompleteUpload>",
    "no-parts": b"<CompleteMultipartUpload></CompleteMultipartUpload>",
    "part-without-number": b"<CompleteMultipartUpload><Part><ETag>{etag}</ETag></Part>"
    b"</CompleteMultipartUpload>",
    "part-number-abc": b"<CompleteMultipartUpload><Part><PartNumber>abc</PartNumber>"
    b"<ETag>{etag}</ETag></Part></CompleteMultipartUpload>",
    # "²".isdigit() is true, but it is no part number.
    "part-number-superscript": "<CompleteMultipartUpload><Part><PartNumber>\u00b2</PartNumber>"
    "<ETag>{etag}</ETag></Part></CompleteMultipartUpload>".encode(),
    "part-number-negative": b"<CompleteMultipartUpload><Part><PartNumber>-1</PartNumber>"
    b"<ETag>{etag}</ETag></Part></CompleteMultipartUpload>",
    "two-part-numbers": b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
    b"<PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>",
    "billion-laughs": BILLION_LAUGHS,
    "external-entity": EXTERNAL_ENTITY,
    "over-1-mib": b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag>"
    b"</Part>" + b" " * (1024 * 1024) + b"</CompleteMultipartUpload>",
}


@pytest.mark.parametrize("case", MALFORMED_COMPLETE)
def test_complete_malformed_xml_keeps_upload(
    server: Server, s3: Any, bucket: str, case: str
) -> None:
    upload_id, etags = new_upload(s3, bucket, "k", PART)
    body = MALFORMED_COMPLETE[case].replace(b"{etag}", etags[0].encode())
    reply = request(server, "POST", f"/{bucket}/k?uploadId={upload_id}", body)
    assert_error(reply, 400, "MalformedXML")
    assert stored(s3, bucket, "k") is None
    assert part_etags(s3, bucket, "k", upload_id) == {1: etags[0]}


@pytest.mark.parametrize("xmlns", [NS, None], ids=["s3-namespace", "no-namespace"])
def test_complete_accepts_elements_with_or_without_namespace(
    server: Server, s3: Any, bucket: str, xmlns: str | None
) -> None:
    upload_id, etags = new_upload(s3, bucket, "k", PART, b"last")
    body = complete_xml([("1", etags[0]), ("2", etags[1])], xmlns)
    assert_ok(request(server, "POST", f"/{bucket}/k?uploadId={upload_id}", body))
    assert stored(s3, bucket, "k") == PART + b"last"


def test_complete_accepts_prefixed_namespace(server: Server, s3: Any, bucket: str) -> None:
    upload_id, etags = new_upload(s3, bucket, "k", PART)
    body = (
        f'<s3:CompleteMultipartUpload xmlns:s3="{NS}"><s3:Part><s3:PartNumber>1</s3:PartNumber>'
        f"<s3:ETag>{etags[0]}</s3:ETag></s3:Part></s3:CompleteMultipartUpload>"
    ).encode()
    assert_ok(request(server, "POST", f"/{bucket}/k?uploadId={upload_id}", body))
    assert stored(s3, bucket, "k") == PART


def test_complete_wrong_etag_is_invalid_part_with_fields(
    server: Server, s3: Any, bucket: str
) -> None:
    upload_id, etags = new_upload(s3, bucket, "k", PART)
    wrong = '"' + "0" * 32 + '"'
    reply = request(
        server, "POST", f"/{bucket}/k?uploadId={upload_id}", complete_xml([("1", wrong)])
    )
    fields = assert_error(reply, 400, "InvalidPart")
    assert fields["UploadId"] == upload_id
    assert fields["PartNumber"] == "1"
    assert fields["ETag"] == wrong
    assert part_etags(s3, bucket, "k", upload_id) == {1: etags[0]}


def test_complete_missing_part_is_invalid_part_with_fields(
    server: Server, s3: Any, bucket: str
) -> None:
    upload_id, etags = new_upload(s3, bucket, "k", PART)
    body = complete_xml([("1", etags[0]), ("2", etags[0])])
    fields = assert_error(
        request(server, "POST", f"/{bucket}/k?uploadId={upload_id}", body), 400, "InvalidPart"
    )
    assert (fields["UploadId"], fields["PartNumber"], fields["ETag"]) == (upload_id, "2", etags[0])
    assert part_etags(s3, bucket, "k", upload_id) == {1: etags[0]}


MALFORMED_CREATE_BUCKET: dict[str, bytes] = {
    "garbage": b"not XML",
    "unclosed": b"<CreateBucketConfiguration><LocationConstraint>us-east-1",
    "wrong-root": b"<BucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint>"
    b"</BucketConfiguration>",
    "billion-laughs": BILLION_LAUGHS,
    "external-entity": b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/hostname">]>'
    b"<CreateBucketConfiguration><LocationConstraint>&e;</LocationConstraint>"
    b"</CreateBucketConfiguration>",
    "over-1-mib": b"<CreateBucketConfiguration>" + b" " * (1024 * 1024)
    + b"</CreateBucketConfiguration>",
}  # fmt: skip


@pytest.mark.parametrize("case", MALFORMED_CREATE_BUCKET)
def test_create_bucket_malformed_configuration_creates_nothing(
    server: Server, s3: Any, case: str
) -> None:
    name = f"xml-create-{case}"
    reply = request(server, "PUT", f"/{name}", MALFORMED_CREATE_BUCKET[case])
    assert_error(reply, 400, "MalformedXML")
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


@pytest.mark.parametrize("xmlns", [NS, None], ids=["s3-namespace", "no-namespace"])
def test_create_bucket_configuration_with_or_without_namespace(
    server: Server, s3: Any, xmlns: str | None
) -> None:
    ns = f' xmlns="{xmlns}"' if xmlns else ""
    body = f"<CreateBucketConfiguration{ns}><LocationConstraint>us-east-1</LocationConstraint>"
    body += "</CreateBucketConfiguration>"
    name = "xml-create-ok-ns" if xmlns else "xml-create-ok-plain"
    assert_ok(request(server, "PUT", f"/{name}", body.encode()))
    s3.head_bucket(Bucket=name)
    s3.delete_bucket(Bucket=name)


# Content-MD5 is a common request header: a message integrity check on any body, XML included.
# https://docs.aws.amazon.com/AmazonS3/latest/API/RESTCommonRequestHeaders.html


@pytest.mark.parametrize(
    ("content_md5", "code"), [("not base64!", "InvalidDigest"), ("MD5", "BadDigest")]
)
def test_complete_with_bad_content_md5_keeps_upload(
    server: Server, s3: Any, bucket: str, content_md5: str, code: str
) -> None:
    upload_id, etags = new_upload(s3, bucket, "k", PART)
    body = complete_xml([("1", etags[0])])
    if content_md5 == "MD5":
        content_md5 = md5_b64(body + b" ")
    target = f"/{bucket}/k?uploadId={upload_id}"
    assert_error(request(server, "POST", target, body, {"Content-MD5": content_md5}), 400, code)
    assert stored(s3, bucket, "k") is None
    assert part_etags(s3, bucket, "k", upload_id) == {1: etags[0]}


@pytest.mark.parametrize(
    ("content_md5", "code"), [("not base64!", "InvalidDigest"), ("MD5", "BadDigest")]
)
def test_create_bucket_with_bad_content_md5_creates_nothing(
    server: Server, s3: Any, content_md5: str, code: str
) -> None:
    body = b"<CreateBucketConfiguration><LocationConstraint>us-east-1</LocationConstraint>"
    body += b"</CreateBucketConfiguration>"
    if content_md5 == "MD5":
        content_md5 = md5_b64(body + b" ")
    name = f"xml-create-md5-{code.lower()}"
    assert_error(request(server, "PUT", f"/{name}", body, {"Content-MD5": content_md5}), 400, code)
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
