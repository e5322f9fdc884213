"""s3xml's fast paths: _serialize writes byte for byte what ElementTree writes, for any tree
of our shape; parse uses ElementTree's C parser only where no DTD can be."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server import s3xml
from storage import S3Error

TAGS = st.sampled_from(["Key", "Contents", "ETag", "a", "Upload"])
TEXT = st.one_of(st.none(), st.just(""), st.text(max_size=20))


@st.composite
def trees(draw: st.DrawFn, depth: int = 3) -> ET.Element:
    element = ET.Element(draw(TAGS))
    if draw(st.booleans()):
        element.set("xmlns", draw(st.text(max_size=10)))
    element.text = draw(TEXT)
    if depth:
        for _ in range(draw(st.integers(0, 3))):
            element.append(draw(trees(depth - 1)))
    return element


def reference(root: ET.Element) -> bytes:
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


@given(trees())
def test_serialize_matches_elementtree(root: ET.Element) -> None:
    assert s3xml._serialize(root) == reference(root)


def test_serialize_escapes_text_and_attributes() -> None:
    root = ET.Element("R", xmlns='a"b<&>\n\r\t')
    ET.SubElement(root, "Key").text = "a<b>&c\"d'e\r\n"
    ET.SubElement(root, "Empty")
    assert s3xml._serialize(root) == reference(root)
    assert b"<Empty />" in s3xml._serialize(root)


def test_serialize_hands_namespaced_tags_and_tails_to_elementtree() -> None:
    root = ET.Element("{http://example.com/}R")
    child = ET.SubElement(root, "C")
    child.tail = "tail"
    assert s3xml._serialize(root) == reference(root)
    plain = ET.Element("R")
    ET.SubElement(plain, "C").tail = "tail"
    assert s3xml._serialize(plain) == reference(plain)


# s3xml.parse: ElementTree's C parser for documents without "<!", defusedxml for the rest.

PARTS = "<Part><PartNumber>1</PartNumber><ETag>&quot;abc&quot;</ETag></Part>"
DTD = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'


def test_parse_without_markup_declarations_takes_the_fast_path() -> None:
    body = f"<CompleteMultipartUpload>{PARTS}</CompleteMultipartUpload>".encode()
    assert s3xml._fast_parse(body) is not None
    parts = s3xml.parse_complete_multipart_upload(body)
    assert [(p.part_number, p.etag) for p in parts] == [(1, '"abc"')]


@pytest.mark.parametrize(
    "body",
    [
        f"{DTD}<CompleteMultipartUpload>{PARTS}&e;</CompleteMultipartUpload>".encode(),
        # A DTD spelled in UTF-16 has no b"<!" in its bytes: it is not UTF-8, so not fast.
        (
            f'<?xml version="1.0" encoding="UTF-16"?>{DTD}<CompleteMultipartUpload>{PARTS}&e;'
            "</CompleteMultipartUpload>"
        ).encode("utf-16"),
    ],
)
def test_parse_documents_with_a_dtd_are_refused(body: bytes) -> None:
    assert s3xml._fast_parse(body) is None
    with pytest.raises(S3Error) as caught:
        s3xml.parse_complete_multipart_upload(body)
    assert caught.value.code == "MalformedXML"


def test_parse_reads_utf8_whatever_the_declaration_says() -> None:
    # The fast path hands expat text, so a declared encoding cannot change how it is read.
    body = (
        b'<?xml version="1.0" encoding="cp037"?><CreateBucketConfiguration>'
        b"<LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"
    )
    assert s3xml.parse_create_bucket(body) == "eu-west-1"


def test_parse_comments_and_cdata_go_to_defusedxml() -> None:
    body = (
        b"<CompleteMultipartUpload><!-- note -->"
        b'<Part><PartNumber>2</PartNumber><ETag><![CDATA["x"]]></ETag></Part>'
        b"</CompleteMultipartUpload>"
    )
    assert s3xml._fast_parse(body) is None
    assert [(p.part_number, p.etag) for p in s3xml.parse_complete_multipart_upload(body)] == [
        (2, '"x"')
    ]
