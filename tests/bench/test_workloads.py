from bench.workloads import _element, _truncated

PAGE = (
    b"<ListMultipartUploadsResult><KeyMarker /><NextKeyMarker>u/1&amp;2</NextKeyMarker>"
    b"<IsTruncated>true</IsTruncated><Upload><Key>u/0</Key><UploadId>a</UploadId></Upload>"
    b"<Upload><Key>u/1&amp;2</Key><UploadId>b</UploadId></Upload></ListMultipartUploadsResult>"
)


def test_element_first_last_and_absent() -> None:
    assert _element(PAGE, "NextKeyMarker") == "u/1&2"
    assert _element(PAGE, "Key") == "u/0"
    assert _element(PAGE, "Key", last=True) == "u/1&2"
    assert _element(PAGE, "KeyMarker") is None  # empty: <KeyMarker />
    assert _element(PAGE, "NextUploadIdMarker") is None


def test_truncated() -> None:
    assert _truncated(PAGE)
    assert not _truncated(PAGE.replace(b">true<", b">false<"))
