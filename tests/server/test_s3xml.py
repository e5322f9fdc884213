"""XML golden tests: each response against the example in the AWS API reference, with the
example's values fed in (owner fields are s3mpu's single owner), compared element by element."""

from __future__ import annotations

import calendar
import time
import xml.etree.ElementTree as ET

import pytest

from server import s3xml
from storage import (
    CompletedPart,
    CompleteResult,
    CorsRule,
    LifecycleFilter,
    LifecycleRule,
    ObjectInfo,
    Page,
    Part,
    S3Error,
    Upload,
)

OWNER = f"<ID>{s3xml.OWNER_ID}</ID><DisplayName>{s3xml.OWNER_NAME}</DisplayName>"


def _ts(text: str) -> float:
    return calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")) + int(text[20:23]) / 1000


def _canon(element: ET.Element) -> tuple[object, ...]:
    return (
        element.tag,
        (element.text or "").strip(),
        tuple(sorted(element.attrib.items())),
        tuple(_canon(child) for child in element),
    )


def assert_same_xml(actual: bytes, expected: str) -> None:
    assert actual.startswith(b"<?xml")
    assert _canon(ET.fromstring(actual)) == _canon(ET.fromstring(expected))


def test_initiate_multipart_upload_matches_aws_example() -> None:
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html#API_CreateMultipartUpload_Examples
    upload = Upload(
        "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA", "example-bucket",
        "example-object", 0.0, {},
    )  # fmt: skip
    assert_same_xml(
        s3xml.initiate_multipart_upload(upload),
        """<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <Bucket>example-bucket</Bucket>
          <Key>example-object</Key>
          <UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>
        </InitiateMultipartUploadResult>""",
    )


def test_list_parts_matches_aws_example() -> None:
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html#API_ListParts_Examples
    upload = Upload(
        "XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA", "example-bucket",
        "example-object", 0.0, {},
    )  # fmt: skip
    parts = [
        Part(2, 10485760, "7778aef83f66abc1fa1e8477f296d394", _ts("2010-11-10T20:48:34.000Z")),
        Part(3, 10485760, "aaaa18db4cc2f85cedef654fccc4a4x8", _ts("2010-11-10T20:48:33.000Z")),
    ]
    assert_same_xml(
        s3xml.list_parts(upload, parts, marker=1, max_parts=2, truncated=True),
        f"""<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <Bucket>example-bucket</Bucket>
          <Key>example-object</Key>
          <UploadId>XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA</UploadId>
          <Initiator>{OWNER}</Initiator>
          <Owner>{OWNER}</Owner>
          <StorageClass>STANDARD</StorageClass>
          <PartNumberMarker>1</PartNumberMarker>
          <NextPartNumberMarker>3</NextPartNumberMarker>
          <MaxParts>2</MaxParts>
          <IsTruncated>true</IsTruncated>
          <Part>
            <PartNumber>2</PartNumber>
            <LastModified>2010-11-10T20:48:34.000Z</LastModified>
            <ETag>"7778aef83f66abc1fa1e8477f296d394"</ETag>
            <Size>10485760</Size>
          </Part>
          <Part>
            <PartNumber>3</PartNumber>
            <LastModified>2010-11-10T20:48:33.000Z</LastModified>
            <ETag>"aaaa18db4cc2f85cedef654fccc4a4x8"</ETag>
            <Size>10485760</Size>
          </Part>
        </ListPartsResult>""",
    )


def test_complete_multipart_upload_matches_aws_example() -> None:
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html#API_CompleteMultipartUpload_Examples
    result = CompleteResult(
        "Example-Bucket", "Example-Object", "3858f62230ac3c915f300c664312c11f-9", 1
    )
    assert_same_xml(
        s3xml.complete_multipart_upload(
            result, "http://Example-Bucket.s3.region.amazonaws.com/Example-Object"
        ),
        """<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <Location>http://Example-Bucket.s3.region.amazonaws.com/Example-Object</Location>
          <Bucket>Example-Bucket</Bucket>
          <Key>Example-Object</Key>
          <ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag>
        </CompleteMultipartUploadResult>""",
    )


def test_list_multipart_uploads_matches_aws_example() -> None:
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html#API_ListMultipartUploads_Examples
    # (the example with a delimiter and prefix)
    uploads = [
        Upload("VXBsb2FkIElEIGZvciBqb2huJ3MgcGhvdG8zLmpwZw--", "example-bucket",
               "photos/photo2.jpg", _ts("2010-11-26T19:24:17.000Z"), {}),
    ]  # fmt: skip
    page = Page(entries=uploads, prefixes=["photos/2006/"], truncated=False)
    assert_same_xml(
        s3xml.list_multipart_uploads(
            "example-bucket",
            page,
            prefix="photos/",
            delimiter="/",
            max_uploads=1000,
            key_marker="",
            upload_id_marker="",
            encoding_type="",
        ),
        f"""<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <Bucket>example-bucket</Bucket>
          <KeyMarker/>
          <UploadIdMarker/>
          <Delimiter>/</Delimiter>
          <Prefix>photos/</Prefix>
          <MaxUploads>1000</MaxUploads>
          <IsTruncated>false</IsTruncated>
          <Upload>
            <Key>photos/photo2.jpg</Key>
            <UploadId>VXBsb2FkIElEIGZvciBqb2huJ3MgcGhvdG8zLmpwZw--</UploadId>
            <Initiator>{OWNER}</Initiator>
            <Owner>{OWNER}</Owner>
            <StorageClass>STANDARD</StorageClass>
            <Initiated>2010-11-26T19:24:17.000Z</Initiated>
          </Upload>
          <CommonPrefixes><Prefix>photos/2006/</Prefix></CommonPrefixes>
        </ListMultipartUploadsResult>""",
    )


def test_list_multipart_uploads_truncated_names_next_markers() -> None:
    upload = Upload("id-2", "b", "my-movie.m2ts", 0.0, {})
    page = Page(entries=[upload], truncated=True, last_name=upload.key, last_entry=upload)
    root = ET.fromstring(
        s3xml.list_multipart_uploads(
            "b", page, prefix="", delimiter="", max_uploads=1, key_marker="", upload_id_marker="",
            encoding_type="",
        )
    )  # fmt: skip
    ns = {"s3": s3xml.NS}
    assert root.findtext("s3:NextKeyMarker", namespaces=ns) == "my-movie.m2ts"
    assert root.findtext("s3:NextUploadIdMarker", namespaces=ns) == "id-2"


def test_list_objects_v2_matches_aws_example() -> None:
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html#API_ListObjectsV2_Examples
    obj = ObjectInfo(
        "bucket", "ExampleObject.txt", 857, "599bab3ed2c697f1d26842727561fd94",
        _ts("2013-09-17T18:07:53.000Z"), {},
    )  # fmt: skip
    assert_same_xml(
        s3xml.list_objects_v2(
            "bucket",
            Page(entries=[obj]),
            prefix="",
            delimiter="",
            max_keys=1000,
            encoding_type="",
            start_after="",
            continuation_token=None,
            next_token=None,
        ),
        """<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <Name>bucket</Name>
          <Prefix/>
          <MaxKeys>1000</MaxKeys>
          <KeyCount>1</KeyCount>
          <IsTruncated>false</IsTruncated>
          <Contents>
            <Key>ExampleObject.txt</Key>
            <LastModified>2013-09-17T18:07:53.000Z</LastModified>
            <ETag>"599bab3ed2c697f1d26842727561fd94"</ETag>
            <Size>857</Size>
            <StorageClass>STANDARD</StorageClass>
          </Contents>
        </ListBucketResult>""",
    )


def test_list_objects_v2_url_encoding_and_tokens() -> None:
    obj = ObjectInfo("b", "a b+c/é", 1, "00", 0.0, {})
    root = ET.fromstring(
        s3xml.list_objects_v2(
            "b", Page(entries=[obj], prefixes=["x y/"], truncated=True), prefix="a b",
            delimiter="/", max_keys=2, encoding_type="url", start_after="",
            continuation_token="tok", next_token="next",
        )
    )  # fmt: skip
    ns = {"s3": s3xml.NS}
    assert root.findtext("s3:Contents/s3:Key", namespaces=ns) == "a%20b%2Bc/%C3%A9"
    assert root.findtext("s3:CommonPrefixes/s3:Prefix", namespaces=ns) == "x%20y/"
    assert root.findtext("s3:Prefix", namespaces=ns) == "a%20b"
    assert root.findtext("s3:EncodingType", namespaces=ns) == "url"
    assert root.findtext("s3:KeyCount", namespaces=ns) == "2"
    assert root.findtext("s3:ContinuationToken", namespaces=ns) == "tok"
    assert root.findtext("s3:NextContinuationToken", namespaces=ns) == "next"


def test_error_matches_aws_example() -> None:
    # https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#RESTErrorResponses
    err = S3Error("NoSuchKey", "The resource you requested does not exist")
    assert_same_xml(
        s3xml.error(err, "/mybucket/myfoto.jpg", "4442587FB7D0A2F9"),
        """<Error>
          <Code>NoSuchKey</Code>
          <Message>The resource you requested does not exist</Message>
          <Resource>/mybucket/myfoto.jpg</Resource>
          <RequestId>4442587FB7D0A2F9</RequestId>
        </Error>""",
    )


def test_error_carries_its_fields() -> None:
    err = S3Error("InvalidPart", UploadId="u", PartNumber=3, ETag='"e"')
    root = ET.fromstring(s3xml.error(err, "/b/k", "id"))
    assert [child.tag for child in root] == [
        "Code", "Message", "UploadId", "PartNumber", "ETag", "Resource", "RequestId",
    ]  # fmt: skip
    assert root.findtext("PartNumber") == "3"


def test_list_buckets_shape() -> None:
    from storage import Bucket

    root = ET.fromstring(s3xml.list_buckets([Bucket("a", 0.0), Bucket("b", 1.5)]))
    ns = {"s3": s3xml.NS}
    assert [e.text for e in root.findall("s3:Buckets/s3:Bucket/s3:Name", ns)] == ["a", "b"]
    assert root.findtext("s3:Buckets/s3:Bucket/s3:CreationDate", namespaces=ns) == (
        "1970-01-01T00:00:00.000Z"
    )
    assert root.find("s3:Owner/s3:ID", ns) is not None


COMPLETE_BODY = """<CompleteMultipartUpload {ns}>
  <Part><PartNumber>1</PartNumber><ETag>"a54357aff0632cce46d942af68356b38"</ETag></Part>
  <Part><ETag>0c78aef83f66abc1fa1e8477f296d394</ETag><PartNumber>3</PartNumber></Part>
</CompleteMultipartUpload>"""


@pytest.mark.parametrize("ns", ['xmlns="http://s3.amazonaws.com/doc/2006-03-01/"', ""])
def test_parse_complete_with_or_without_namespace(ns: str) -> None:
    assert s3xml.parse_complete_multipart_upload(COMPLETE_BODY.format(ns=ns).encode()) == [
        CompletedPart(1, '"a54357aff0632cce46d942af68356b38"'),
        CompletedPart(3, "0c78aef83f66abc1fa1e8477f296d394"),
    ]


def test_parse_complete_part_checksums() -> None:
    # The body botocore sends for a CompletedPart with checksums (its member order), plus an
    # element S3 does not define, which is ignored.
    body = b"""<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
      <Part><ETag>"e1"</ETag><ChecksumCRC32> 7kxlUA== </ChecksumCRC32><PartNumber>1</PartNumber>
      </Part>
      <Part><ETag>"e2"</ETag><ChecksumSHA256>x</ChecksumSHA256><ChecksumCRC64NVME>y</ChecksumCRC64NVME>
      <ChecksumMD4>z</ChecksumMD4><PartNumber>2</PartNumber></Part>
    </CompleteMultipartUpload>"""
    assert s3xml.parse_complete_multipart_upload(body) == [
        CompletedPart(1, '"e1"', {"CRC32": "7kxlUA=="}),
        CompletedPart(2, '"e2"', {"SHA256": "x", "CRC64NVME": "y"}),
    ]


def test_complete_multipart_upload_with_checksum() -> None:
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html#API_CompleteMultipartUpload_ResponseSyntax
    result = CompleteResult("b", "k", "3858f62230ac3c915f300c664312c11f-2", 1, "SHA1", "COMPOSITE",
                            "CBB1y8xhBCot1HoCMQCx18NR2tU=-2")  # fmt: skip
    assert_same_xml(
        s3xml.complete_multipart_upload(result, "http://h/b/k"),
        """<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <Location>http://h/b/k</Location>
          <Bucket>b</Bucket>
          <Key>k</Key>
          <ETag>"3858f62230ac3c915f300c664312c11f-2"</ETag>
          <ChecksumSHA1>CBB1y8xhBCot1HoCMQCx18NR2tU=-2</ChecksumSHA1>
          <ChecksumType>COMPOSITE</ChecksumType>
        </CompleteMultipartUploadResult>""",
    )


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&lol2;</ETag></Part>
</CompleteMultipartUpload>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&e;</ETag></Part>
</CompleteMultipartUpload>"""


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml",
        b"<CompleteMultipartUpload>",
        b"<Other><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></Other>",
        b"<CompleteMultipartUpload></CompleteMultipartUpload>",
        b"<CompleteMultipartUpload><Part><ETag>x</ETag></Part></CompleteMultipartUpload>",
        b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>",
        b"<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>e</ETag></Part>"
        b"</CompleteMultipartUpload>",
        b"<CompleteMultipartUpload><Part><PartNumber>-1</PartNumber><ETag>e</ETag></Part>"
        b"</CompleteMultipartUpload>",
        BOMB,
        EXTERNAL,
        b"<CompleteMultipartUpload>" + b" " * (s3xml.MAX_REQUEST_XML + 1),
    ],
)
def test_parse_complete_malformed(body: bytes) -> None:
    with pytest.raises(S3Error) as caught:
        s3xml.parse_complete_multipart_upload(body)
    assert caught.value.code == "MalformedXML"


# Lifecycle configuration


def test_lifecycle_abort_rule_matches_aws_example() -> None:
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpu-abort-incomplete-mpu-lifecycle-config.html
    example = """<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
        <Rule>
            <ID>sample-rule</ID>
            <Filter><Prefix>SomeKeyPrefix/</Prefix></Filter>
            <Status>Enabled</Status>
            <AbortIncompleteMultipartUpload>
              <DaysAfterInitiation>7</DaysAfterInitiation>
            </AbortIncompleteMultipartUpload>
        </Rule>
    </LifecycleConfiguration>"""
    rules = s3xml.parse_lifecycle_configuration(example.encode())
    assert rules == [
        LifecycleRule("sample-rule", True, LifecycleFilter("SomeKeyPrefix/"), abort_days=7)
    ]
    assert_same_xml(s3xml.lifecycle_configuration(rules), example)


def test_lifecycle_legacy_prefix_expiration_matches_aws_example() -> None:
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLifecycleConfiguration.html#API_GetBucketLifecycleConfiguration_Examples
    # (without its Transition: s3mpu has one storage class)
    example = """<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
        <Rule>
            <ID>Archive and then delete rule</ID>
            <Prefix>projectdocs/</Prefix>
            <Status>Enabled</Status>
            <Expiration><Days>3650</Days></Expiration>
        </Rule>
    </LifecycleConfiguration>"""
    rules = s3xml.parse_lifecycle_configuration(example.encode())
    assert rules[0].filter == LifecycleFilter("projectdocs/", form="prefix")
    assert rules[0].expiration_days == 3650
    assert_same_xml(s3xml.lifecycle_configuration(rules), example)


def test_lifecycle_and_filter_round_trips() -> None:
    example = """<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
        <Rule>
            <ID>big-logs</ID>
            <Filter><And><Prefix>logs/</Prefix><ObjectSizeGreaterThan>500</ObjectSizeGreaterThan>
              <ObjectSizeLessThan>64000</ObjectSizeLessThan></And></Filter>
            <Status>Disabled</Status>
            <Expiration><Date>2030-01-01T00:00:00.000Z</Date></Expiration>
            <NoncurrentVersionExpiration><NoncurrentDays>3</NoncurrentDays>
            </NoncurrentVersionExpiration>
        </Rule>
    </LifecycleConfiguration>"""
    rules = s3xml.parse_lifecycle_configuration(example.encode())
    assert rules[0].filter == LifecycleFilter("logs/", 500, 64000, "and")
    assert_same_xml(s3xml.lifecycle_configuration(rules), example)


def test_lifecycle_rule_without_id_is_given_one() -> None:
    body = b"<LifecycleConfiguration><Rule><Filter/><Status>Enabled</Status>"
    body += b"<Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>"
    (rule,) = s3xml.parse_lifecycle_configuration(body)
    assert rule.id
    assert rule.filter == LifecycleFilter()


def _rule(inner: str) -> bytes:
    return f"<LifecycleConfiguration><Rule>{inner}</Rule></LifecycleConfiguration>".encode()


EXPIRE = "<Expiration><Days>1</Days></Expiration>"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"<LifecycleConfiguration/>", "MalformedXML"),
        (b"<LifecycleConfiguration>" + b"<Rule/>" * 1001 + b"</LifecycleConfiguration>",
         "MalformedXML"),
        (b"<LifecycleConfiguration><Bogus/></LifecycleConfiguration>", "MalformedXML"),
        (_rule(EXPIRE), "MalformedXML"),  # no Status
        (_rule("<Status>On</Status>" + EXPIRE), "MalformedXML"),
        (_rule("<Status>Enabled</Status><Prefix/><Filter/>" + EXPIRE), "MalformedXML"),
        (_rule("<Status>Enabled</Status><Expiration><Days>x</Days></Expiration>"), "MalformedXML"),
        (_rule("<Status>Enabled</Status><Expiration><Days>1</Days><Date>2030-01-01</Date>"
               "</Expiration>"), "MalformedXML"),
        (_rule("<Status>Enabled</Status><AbortIncompleteMultipartUpload/>"), "MalformedXML"),
        (_rule("<Status>Enabled</Status><Filter><Prefix>a</Prefix><ObjectSizeLessThan>5"
               "</ObjectSizeLessThan></Filter>" + EXPIRE), "MalformedXML"),
        (_rule("<Status>Enabled</Status><Bogus/>" + EXPIRE), "MalformedXML"),
        (_rule("<Status>Enabled</Status><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>"
               + EXPIRE), "NotImplemented"),
        (_rule("<Status>Enabled</Status><Transition><Days>1</Days>"
               "<StorageClass>GLACIER</StorageClass></Transition>"), "NotImplemented"),
    ],
)  # fmt: skip
def test_parse_lifecycle_malformed(body: bytes, code: str) -> None:
    with pytest.raises(S3Error) as caught:
        s3xml.parse_lifecycle_configuration(body)
    assert caught.value.code == code


# CORS configuration


def test_cors_configuration_matches_aws_example() -> None:
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketCors.html#API_GetBucketCors_Examples
    example = """<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
      <CORSRule>
        <AllowedOrigin>http://www.example.com</AllowedOrigin>
        <AllowedHeader>*</AllowedHeader>
        <AllowedMethod>GET</AllowedMethod>
        <MaxAgeSeconds>3000</MaxAgeSeconds>
        <ExposeHeader>x-amz-server-side-encryption</ExposeHeader>
      </CORSRule>
    </CORSConfiguration>"""
    rules = s3xml.parse_cors_configuration(example.encode())
    assert rules == [
        CorsRule(
            allowed_methods=("GET",),
            allowed_origins=("http://www.example.com",),
            allowed_headers=("*",),
            expose_headers=("x-amz-server-side-encryption",),
            max_age_seconds=3000,
        )
    ]
    assert_same_xml(s3xml.cors_configuration(rules), example)


def test_parse_cors_put_example() -> None:
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketCors.html#API_PutBucketCors_Examples
    example = b"""<CORSConfiguration>
     <CORSRule>
       <AllowedOrigin>http://www.example.com</AllowedOrigin>
       <AllowedMethod>PUT</AllowedMethod>
       <AllowedMethod>POST</AllowedMethod>
       <AllowedMethod>DELETE</AllowedMethod>
       <AllowedHeader>*</AllowedHeader>
       <MaxAgeSeconds>3000</MaxAgeSeconds>
       <ExposeHeader>x-amz-server-side-encryption</ExposeHeader>
       <ExposeHeader>x-amz-request-id</ExposeHeader>
       <ExposeHeader>x-amz-id-2</ExposeHeader>
     </CORSRule>
    </CORSConfiguration>"""
    (rule,) = s3xml.parse_cors_configuration(example)
    assert rule.allowed_methods == ("PUT", "POST", "DELETE")
    assert rule.expose_headers == ("x-amz-server-side-encryption", "x-amz-request-id", "x-amz-id-2")


@pytest.mark.parametrize(
    "body",
    [
        b"<CORSConfiguration><Other/></CORSConfiguration>",
        b"<CORSConfiguration><CORSRule><Bogus/></CORSRule></CORSConfiguration>",
        b"<CORSConfiguration><CORSRule><MaxAgeSeconds>x</MaxAgeSeconds></CORSRule>"
        b"</CORSConfiguration>",
        b"<CORSRule/>",
    ],
)
def test_parse_cors_malformed(body: bytes) -> None:
    with pytest.raises(S3Error) as caught:
        s3xml.parse_cors_configuration(body)
    assert caught.value.code == "MalformedXML"
