"""s3xml._serialize: byte for byte what ElementTree writes, for any tree of our shape."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from server import s3xml

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
