"""XML golden tests for the operations around multipart: ListObjects (v1), GetBucketLocation,
DeleteObjects; each against the AWS API reference's example."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from server import s3xml
from storage import ObjectInfo, Page, Part, S3Error, Segment, UploadedPart
from tests.server.test_s3xml import OWNER, _ts, assert_same_xml

NS = {"s3": s3xml.NS}


def test_list_objects_matches_aws_example() -> None:
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html#API_ListObjects_Examples
    obj = ObjectInfo(
        "quotes", "my-image.jpg", 434234, "fba9dede5f27731c9771645a39863328",
        _ts("2009-10-12T17:50:30.000Z"), {},
    )  # fmt: skip
    assert_same_xml(
        s3xml.list_objects(
            "quotes",
            Page(entries=[obj]),
            prefix="N",
            delimiter="",
            max_keys=40,
            encoding_type="",
            marker="Ned",
        ),
        f"""<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <Name>quotes</Name>
          <Prefix>N</Prefix>
          <Marker>Ned</Marker>
          <MaxKeys>40</MaxKeys>
          <IsTruncated>false</IsTruncated>
          <Contents>
            <Key>my-image.jpg</Key>
            <LastModified>2009-10-12T17:50:30.000Z</LastModified>
            <ETag>"fba9dede5f27731c9771645a39863328"</ETag>
            <Size>434234</Size>
            <StorageClass>STANDARD</StorageClass>
            <Owner>{OWNER}</Owner>
          </Contents>
        </ListBucketResult>""",
    )


def _list(page: Page[ObjectInfo], delimiter: str, encoding_type: str = "") -> ET.Element:
    body = s3xml.list_objects(
        "b", page, prefix="a b", delimiter=delimiter, max_keys=1, encoding_type=encoding_type,
        marker="a b/0",
    )  # fmt: skip
    return ET.fromstring(body)


def test_list_objects_next_marker_only_with_a_delimiter() -> None:
    obj = ObjectInfo("b", "a b/1", 1, "00", 0.0, {})
    page = Page(entries=[obj], truncated=True, last_name="a b/1", last_entry=obj)
    assert _list(page, "").find("s3:NextMarker", NS) is None
    assert _list(page, "/").findtext("s3:NextMarker", namespaces=NS) == "a b/1"
    # A truncated page that ends on a common prefix names it.
    folded = Page[ObjectInfo](prefixes=["a b/x/"], truncated=True, last_name="a b/x/")
    assert _list(folded, "/").findtext("s3:NextMarker", namespaces=NS) == "a b/x/"
    untruncated = Page(entries=[obj], last_name="a b/1", last_entry=obj)
    assert _list(untruncated, "/").find("s3:NextMarker", NS) is None


def test_list_objects_url_encoding() -> None:
    obj = ObjectInfo("b", "a b/é+", 1, "00", 0.0, {})
    page = Page(entries=[obj], prefixes=["a b/x y/"], truncated=True, last_name="a b/x y/")
    root = _list(page, "/", "url")
    assert root.findtext("s3:Contents/s3:Key", namespaces=NS) == "a%20b/%C3%A9%2B"
    assert root.findtext("s3:CommonPrefixes/s3:Prefix", namespaces=NS) == "a%20b/x%20y/"
    assert root.findtext("s3:Prefix", namespaces=NS) == "a%20b"
    assert root.findtext("s3:Marker", namespaces=NS) == "a%20b/0"
    assert root.findtext("s3:NextMarker", namespaces=NS) == "a%20b/x%20y/"
    assert root.findtext("s3:EncodingType", namespaces=NS) == "url"


def test_get_bucket_location_matches_aws_example() -> None:
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html#API_GetBucketLocation_Examples
    assert_same_xml(
        s3xml.get_bucket_location("Europe"),
        '<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">Europe'
        "</LocationConstraint>",
    )


def test_get_bucket_location_us_east_1_is_empty() -> None:
    assert_same_xml(
        s3xml.get_bucket_location("us-east-1"),
        '<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>',
    )


def test_delete_result_matches_aws_example() -> None:
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html#API_DeleteObjects_Examples
    outcomes = [
        s3xml.DeleteOutcome("sample1.txt"),
        s3xml.DeleteOutcome("sample2.txt", error=S3Error("AccessDenied")),
    ]
    assert_same_xml(
        s3xml.delete_result(outcomes, quiet=False),
        """<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <Deleted><Key>sample1.txt</Key></Deleted>
          <Error><Key>sample2.txt</Key><Code>AccessDenied</Code><Message>Access Denied</Message>
          </Error>
        </DeleteResult>""",
    )
    assert_same_xml(
        s3xml.delete_result(outcomes, quiet=True),
        """<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <Error><Key>sample2.txt</Key><Code>AccessDenied</Code><Message>Access Denied</Message>
          </Error>
        </DeleteResult>""",
    )


def test_parse_delete_objects_matches_aws_example() -> None:
    body = b"""<Delete>
      <Object><Key>sample1.txt</Key></Object>
      <Object><Key>sample2.txt</Key></Object>
    </Delete>"""
    parsed = s3xml.parse_delete_objects(body)
    assert parsed == s3xml.DeleteRequest(False, [("sample1.txt", None), ("sample2.txt", None)])


def test_parse_delete_objects_quiet_versions_namespace_and_spaces() -> None:
    body = f"""<Delete xmlns="{s3xml.NS}"><Quiet>True</Quiet>
      <Object><Key> spaced </Key><VersionId>null</VersionId></Object>
    </Delete>""".encode()
    assert s3xml.parse_delete_objects(body) == s3xml.DeleteRequest(True, [(" spaced ", "null")])


def _objects(n: int) -> bytes:
    return b"<Object><Key>k</Key></Object>" * n


@pytest.mark.parametrize(
    "body",
    [
        b"<Delete></Delete>",
        b"<Delete><Quiet>true</Quiet></Delete>",
        b"<Delete><Quiet>maybe</Quiet>" + _objects(1) + b"</Delete>",
        b"<Delete><Object><VersionId>null</VersionId></Object></Delete>",
        b"<Delete><Object><Key>a</Key><Key>b</Key></Object></Delete>",
        b"<Delete>" + _objects(1001) + b"</Delete>",
        b"<Remove>" + _objects(1) + b"</Remove>",
        b"<Delete>",
    ],
)
def test_parse_delete_objects_malformed(body: bytes) -> None:
    with pytest.raises(S3Error) as caught:
        s3xml.parse_delete_objects(body)
    assert caught.value.code == "MalformedXML"


def test_parse_delete_objects_takes_1000_keys() -> None:
    assert len(s3xml.parse_delete_objects(b"<Delete>" + _objects(1000) + b"</Delete>").objects) == (
        1000
    )


def test_tagging_matches_aws_example() -> None:
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectTagging.html#API_GetObjectTagging_Examples
    assert_same_xml(
        s3xml.tagging((("tag1", "val1"), ("tag2", "val2"))),
        """<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <TagSet>
            <Tag><Key>tag1</Key><Value>val1</Value></Tag>
            <Tag><Key>tag2</Key><Value>val2</Value></Tag>
          </TagSet>
        </Tagging>""",
    )
    assert_same_xml(
        s3xml.tagging(()),
        '<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet/></Tagging>',
    )


def test_parse_tagging_matches_aws_example() -> None:
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html#API_PutObjectTagging_Examples
    body = b"""<Tagging>
      <TagSet>
        <Tag><Key>tag1</Key><Value>val1</Value></Tag>
        <Tag><Key>tag2</Key><Value>val2</Value></Tag>
      </TagSet>
    </Tagging>"""
    assert s3xml.parse_tagging(body) == [("tag1", "val1"), ("tag2", "val2")]
    namespaced = f'<Tagging xmlns="{s3xml.NS}"><TagSet><Tag><Key> k </Key><Value/></Tag>'
    assert s3xml.parse_tagging((namespaced + "</TagSet></Tagging>").encode()) == [(" k ", "")]
    assert s3xml.parse_tagging(b"<Tagging><TagSet/></Tagging>") == []


@pytest.mark.parametrize(
    "body",
    [
        b"<Tagging/>",
        b"<Tagging><TagSet/><TagSet/></Tagging>",
        b"<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>",
        b"<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>",
        b"<Tagging><TagSet><Tag><Key>k</Key><Key>j</Key><Value/></Tag></TagSet></Tagging>",
        b"<Tagging><TagSet><Other/></TagSet></Tagging>",
        b"<TagSet><Tag><Key>k</Key><Value/></Tag></TagSet>",
    ],
)
def test_parse_tagging_malformed(body: bytes) -> None:
    with pytest.raises(S3Error) as caught:
        s3xml.parse_tagging(body)
    assert caught.value.code == "MalformedXML"


def test_object_attributes_matches_aws_response_syntax() -> None:
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html#API_GetObjectAttributes_ResponseSyntax
    info = ObjectInfo(
        "b", "k", 12, "e7d3b2a1f0c4d5e6f7a8b9c0d1e2f3a4-3", 0.0, {}, "CRC32", "COMPOSITE",
        "AAAAAA==-3", parts_count=3,
    )  # fmt: skip
    segments = [
        Segment("x", 5, 1, "a", "AAAAAQ=="),
        Segment("y", 5, 2, "b", "AAAAAg=="),
        Segment("z", 2, 3, "c", "AAAAAw=="),
    ]
    every = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]
    assert_same_xml(
        s3xml.object_attributes(info, segments, every, max_parts=1, marker=1),
        """<GetObjectAttributesResponse xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <ETag>e7d3b2a1f0c4d5e6f7a8b9c0d1e2f3a4-3</ETag>
          <Checksum><ChecksumCRC32>AAAAAA==-3</ChecksumCRC32><ChecksumType>COMPOSITE</ChecksumType>
          </Checksum>
          <ObjectParts>
            <PartsCount>3</PartsCount>
            <PartNumberMarker>1</PartNumberMarker>
            <NextPartNumberMarker>2</NextPartNumberMarker>
            <MaxParts>1</MaxParts>
            <IsTruncated>true</IsTruncated>
            <Part><PartNumber>2</PartNumber><Size>5</Size><ChecksumCRC32>AAAAAg==</ChecksumCRC32>
            </Part>
          </ObjectParts>
          <StorageClass>STANDARD</StorageClass>
          <ObjectSize>12</ObjectSize>
        </GetObjectAttributesResponse>""",
    )


def test_object_attributes_only_what_is_asked_and_no_parts_for_plain_objects() -> None:
    info = ObjectInfo("b", "k", 3, "abc", 0.0, {})
    segments = [Segment("x", 3, 1, "abc", None)]
    wanted = ["ObjectParts", "ObjectSize"]
    body = s3xml.object_attributes(info, segments, wanted, max_parts=1000, marker=0)
    assert_same_xml(
        body,
        """<GetObjectAttributesResponse xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <ObjectSize>3</ObjectSize></GetObjectAttributesResponse>""",
    )


def test_copy_object_result_matches_aws_example() -> None:
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html#API_CopyObject_Examples
    info = ObjectInfo("b", "k", 1, "9b2cf535f27731c974343645a3985328",
                      _ts("2009-10-28T22:32:00.000Z"), {})  # fmt: skip
    assert_same_xml(
        s3xml.copy_object_result(info),
        """<CopyObjectResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <ETag>"9b2cf535f27731c974343645a3985328"</ETag>
          <LastModified>2009-10-28T22:32:00.000Z</LastModified>
        </CopyObjectResult>""",
    )
    with_checksum = ObjectInfo("b", "k", 1, "00", 0.0, {}, "CRC32", "FULL_OBJECT", "AAAAAA==")
    root = ET.fromstring(s3xml.copy_object_result(with_checksum))
    assert root.findtext("s3:ChecksumCRC32", namespaces=NS) == "AAAAAA=="
    assert root.findtext("s3:ChecksumType", namespaces=NS) == "FULL_OBJECT"


def test_copy_part_result_matches_aws_example() -> None:
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html#API_UploadPartCopy_Examples
    part = Part(1, 5, "b20b9b3b3a8a2a1bd8ce5a23b4b5ae07", _ts("2009-10-28T22:32:00.000Z"))
    assert_same_xml(
        s3xml.copy_part_result(UploadedPart(part)),
        """<CopyPartResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <ETag>"b20b9b3b3a8a2a1bd8ce5a23b4b5ae07"</ETag>
          <LastModified>2009-10-28T22:32:00.000Z</LastModified>
        </CopyPartResult>""",
    )
    root = ET.fromstring(s3xml.copy_part_result(UploadedPart(part, "SHA256", "c2hh")))
    assert root.findtext("s3:ChecksumSHA256", namespaces=NS) == "c2hh"
