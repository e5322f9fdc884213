"""The listing documents byte for byte. They are written as text in one pass, without
ElementTree; these are the bytes the ElementTree writer produced for the same pages (escaping,
empty elements as ``<Tag />``, element order), so clients see no change."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from server import s3xml
from storage import ListedObject, ListedUpload, Page, Part, Upload

T = 1700000000.5  # 2023-11-14T22:13:20.500Z
DECLARATION = "<?xml version='1.0' encoding='utf-8'?>\n"
ID = f"<ID>{s3xml.OWNER_ID}</ID><DisplayName>s3mpu</DisplayName>"
OWNER = f"<Owner>{ID}</Owner>"
BOTH = f"<Initiator>{ID}</Initiator>{OWNER}"
MD5 = "d41d8cd98f00b204e9800998ecf8427e"

OBJECTS = Page(
    [
        ListedObject("a&b <c>/d", 0, MD5, T, None, None),
        ListedObject("é %+?", 12, MD5 + "-2", T + 61.25, "CRC32", "COMPOSITE"),
    ],
    ["dir/", "x&y/"],
    truncated=True,
    last_name="x&y/",
)
CONTENTS_URL = (
    "<Contents><Key>a%26b%20%3Cc%3E/d</Key><LastModified>2023-11-14T22:13:20.500Z</LastModified>"
    f'<ETag>"{MD5}"</ETag><Size>0</Size><StorageClass>STANDARD</StorageClass>{OWNER}</Contents>'
    "<Contents><Key>%C3%A9%20%25%2B%3F</Key><LastModified>2023-11-14T22:14:21.750Z</LastModified>"
    f'<ETag>"{MD5}-2"</ETag><Size>12</Size><StorageClass>STANDARD</StorageClass>{OWNER}'
    "<ChecksumAlgorithm>CRC32</ChecksumAlgorithm><ChecksumType>COMPOSITE</ChecksumType></Contents>"
)


def test_list_objects_v2_bytes_url_encoded_with_owner() -> None:
    got = s3xml.list_objects_v2(
        "b", OBJECTS, prefix="", delimiter="/", max_keys=4, encoding_type="url", start_after="a",
        continuation_token="", next_token="tok", fetch_owner=True,
    )  # fmt: skip
    assert (
        got
        == (
            DECLARATION + f'<ListBucketResult xmlns="{s3xml.NS}"><Name>b</Name><Prefix />'
            "<Delimiter>/</Delimiter><MaxKeys>4</MaxKeys><EncodingType>url</EncodingType>"
            "<KeyCount>4</KeyCount><IsTruncated>true</IsTruncated><ContinuationToken />"
            "<NextContinuationToken>tok</NextContinuationToken><StartAfter>a</StartAfter>"
            + CONTENTS_URL
            + "<CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes>"
            "<CommonPrefixes><Prefix>x%26y/</Prefix></CommonPrefixes></ListBucketResult>"
        ).encode()
    )


def test_list_objects_v2_bytes_empty_page() -> None:
    got = s3xml.list_objects_v2(
        "b", Page(), prefix="p&", delimiter="", max_keys=0, encoding_type="", start_after="",
        continuation_token=None, next_token=None,
    )  # fmt: skip
    assert (
        got
        == (
            DECLARATION + f'<ListBucketResult xmlns="{s3xml.NS}"><Name>b</Name>'
            "<Prefix>p&amp;</Prefix><MaxKeys>0</MaxKeys><KeyCount>0</KeyCount>"
            "<IsTruncated>false</IsTruncated></ListBucketResult>"
        ).encode()
    )


def test_list_objects_bytes_escaped_with_next_marker() -> None:
    got = s3xml.list_objects(
        "b", OBJECTS, prefix="", delimiter="/", max_keys=4, encoding_type="", marker="a<"
    )
    assert (
        got
        == (
            DECLARATION + f'<ListBucketResult xmlns="{s3xml.NS}"><Name>b</Name><Prefix />'
            "<Marker>a&lt;</Marker><NextMarker>x&amp;y/</NextMarker><MaxKeys>4</MaxKeys>"
            "<Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>"
            "<Contents><Key>a&amp;b &lt;c&gt;/d</Key><LastModified>2023-11-14T22:13:20.500Z"
            f'</LastModified><ETag>"{MD5}"</ETag><Size>0</Size><StorageClass>STANDARD</StorageClass>'
            f"{OWNER}</Contents><Contents><Key>é %+?</Key>"
            f'<LastModified>2023-11-14T22:14:21.750Z</LastModified><ETag>"{MD5}-2"</ETag>'
            f"<Size>12</Size><StorageClass>STANDARD</StorageClass>{OWNER}"
            "<ChecksumAlgorithm>CRC32</ChecksumAlgorithm><ChecksumType>COMPOSITE</ChecksumType>"
            "</Contents><CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes>"
            "<CommonPrefixes><Prefix>x&amp;y/</Prefix></CommonPrefixes></ListBucketResult>"
        ).encode()
    )


UPLOADS = [
    ListedUpload("k&1", T, "id1", None, None),
    ListedUpload("k 2", T + 1, "id2", "SHA256", "COMPOSITE"),
]
UPLOAD_ELEMENTS = (
    f"<UploadId>id1</UploadId>{BOTH}<StorageClass>STANDARD</StorageClass>"
    "<Initiated>2023-11-14T22:13:20.500Z</Initiated></Upload><Upload>{key2}<UploadId>id2</UploadId>"
    f"{BOTH}<StorageClass>STANDARD</StorageClass><Initiated>2023-11-14T22:13:21.500Z</Initiated>"
    "<ChecksumAlgorithm>SHA256</ChecksumAlgorithm><ChecksumType>COMPOSITE</ChecksumType></Upload>"
)


def test_list_multipart_uploads_bytes_prefix_last() -> None:
    page = Page(UPLOADS, ["p/"], truncated=True, last_name="p/")
    got = s3xml.list_multipart_uploads(
        "b", page, prefix="", delimiter="/", max_uploads=3, key_marker="k", upload_id_marker="",
        encoding_type="url",
    )  # fmt: skip
    assert (
        got
        == (
            DECLARATION + f'<ListMultipartUploadsResult xmlns="{s3xml.NS}"><Bucket>b</Bucket>'
            "<KeyMarker>k</KeyMarker><UploadIdMarker /><NextKeyMarker>p/</NextKeyMarker>"
            "<NextUploadIdMarker /><Delimiter>/</Delimiter><MaxUploads>3</MaxUploads>"
            "<EncodingType>url</EncodingType><IsTruncated>true</IsTruncated><Upload><Key>k%261</Key>"
            + UPLOAD_ELEMENTS.replace("{key2}", "<Key>k%202</Key>")
            + "<CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes></ListMultipartUploadsResult>"
        ).encode()
    )


def test_list_multipart_uploads_bytes_upload_last() -> None:
    page = Page(UPLOADS, [], truncated=True, last_name="k 2", last_entry=UPLOADS[1])
    got = s3xml.list_multipart_uploads(
        "b", page, prefix="k", delimiter="", max_uploads=2, key_marker="", upload_id_marker="",
        encoding_type="",
    )  # fmt: skip
    assert (
        got
        == (
            DECLARATION + f'<ListMultipartUploadsResult xmlns="{s3xml.NS}"><Bucket>b</Bucket>'
            "<KeyMarker /><UploadIdMarker /><NextKeyMarker>k 2</NextKeyMarker>"
            "<NextUploadIdMarker>id2</NextUploadIdMarker><Prefix>k</Prefix><MaxUploads>2</MaxUploads>"
            "<IsTruncated>true</IsTruncated><Upload><Key>k&amp;1</Key>"
            + UPLOAD_ELEMENTS.replace("{key2}", "<Key>k 2</Key>")
            + "</ListMultipartUploadsResult>"
        ).encode()
    )


def test_list_parts_bytes_with_checksums() -> None:
    upload = Upload("id1", "b", "k<", T, {}, "CRC32", "COMPOSITE")
    parts = [Part(1, 5, "e1", T, "AAAAAA=="), Part(3, 7, "e3", T + 0.999, None)]
    got = s3xml.list_parts(upload, parts, marker=0, max_parts=2, truncated=True)
    assert (
        got
        == (
            DECLARATION + f'<ListPartsResult xmlns="{s3xml.NS}"><Bucket>b</Bucket><Key>k&lt;</Key>'
            f"<UploadId>id1</UploadId>{BOTH}<StorageClass>STANDARD</StorageClass>"
            "<PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>3</NextPartNumberMarker>"
            "<MaxParts>2</MaxParts><IsTruncated>true</IsTruncated>"
            "<ChecksumAlgorithm>CRC32</ChecksumAlgorithm><ChecksumType>COMPOSITE</ChecksumType>"
            "<Part><PartNumber>1</PartNumber><LastModified>2023-11-14T22:13:20.500Z</LastModified>"
            '<ETag>"e1"</ETag><Size>5</Size><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>'
            "<Part><PartNumber>3</PartNumber><LastModified>2023-11-14T22:13:21.499Z</LastModified>"
            '<ETag>"e3"</ETag><Size>7</Size></Part></ListPartsResult>'
        ).encode()
    )


def test_list_parts_bytes_empty_page() -> None:
    got = s3xml.list_parts(
        Upload("id2", "b", "k", T, {}), [], marker=5, max_parts=1000, truncated=False
    )
    assert (
        got
        == (
            DECLARATION + f'<ListPartsResult xmlns="{s3xml.NS}"><Bucket>b</Bucket><Key>k</Key>'
            f"<UploadId>id2</UploadId>{BOTH}<StorageClass>STANDARD</StorageClass>"
            "<PartNumberMarker>5</PartNumberMarker><MaxParts>1000</MaxParts>"
            "<IsTruncated>false</IsTruncated></ListPartsResult>"
        ).encode()
    )


@given(st.text())
def test_leaf_writes_what_elementtree_writes(text: str) -> None:
    element = ET.Element("Key")
    element.text = text
    assert s3xml._leaf("Key", text) == ET.tostring(element, encoding="unicode")


@given(st.floats(min_value=0, max_value=4e9))
def test_iso8601_cached_seconds_match_gmtime(ts: float) -> None:
    expected = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + (
        f".{int(ts * 1000) % 1000:03d}Z"
    )
    assert s3xml.iso8601(ts) == expected


@given(st.floats(min_value=0, max_value=4e9))
def test_list_parts_last_modified_as_iso8601_writes_it(ts: float) -> None:
    got = s3xml.list_parts(
        Upload("id", "b", "k", T, {}), [Part(1, 0, "e", ts)], marker=0, max_parts=1, truncated=False
    )
    assert f"<LastModified>{s3xml.iso8601(ts)}</LastModified>".encode() in got
