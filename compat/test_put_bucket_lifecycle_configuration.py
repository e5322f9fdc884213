"""PutBucketLifecycleConfiguration, GetBucketLifecycleConfiguration, DeleteBucketLifecycle.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from compat.helpers import s3_error
from tests.harness import Server

ABORT_RULE = {
    "ID": "abort-tmp",
    "Filter": {"Prefix": "tmp/"},
    "Status": "Enabled",
    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
}
EXPIRE_RULE = {
    "ID": "expire-logs",
    "Filter": {"And": {"Prefix": "logs/", "ObjectSizeGreaterThan": 10, "ObjectSizeLessThan": 5000}},
    "Status": "Disabled",
    "Expiration": {"Days": 30},
}


@pytest.fixture
def server(http_server: Server) -> Server:
    return http_server


def _put(s3: Any, bucket: str, *rules: dict[str, Any]) -> None:
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={"Rules": list(rules)}
    )


def test_put_bucket_lifecycle_configuration_round_trip(s3: Any, bucket: str) -> None:
    _put(s3, bucket, ABORT_RULE, EXPIRE_RULE)
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] == [
        ABORT_RULE,
        EXPIRE_RULE,
    ]


def test_put_bucket_lifecycle_configuration_replaces_previous(s3: Any, bucket: str) -> None:
    _put(s3, bucket, ABORT_RULE, EXPIRE_RULE)
    _put(s3, bucket, EXPIRE_RULE)
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] == [EXPIRE_RULE]


def test_put_bucket_lifecycle_configuration_legacy_prefix(s3: Any, bucket: str) -> None:
    # The deprecated PutBucketLifecycle shape, a rule-level Prefix, still read back as sent.
    s3.put_bucket_lifecycle(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [{"ID": "old", "Prefix": "a/", "Status": "Enabled", "Expiration": {"Days": 1}}]
        },
    )
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert (rule["ID"], rule["Prefix"], rule["Expiration"]) == ("old", "a/", {"Days": 1})


def test_put_bucket_lifecycle_configuration_names_rules_without_id(s3: Any, bucket: str) -> None:
    _put(s3, bucket, {"Filter": {}, "Status": "Enabled", "Expiration": {"Days": 1}})
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rule["ID"]


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ({**ABORT_RULE, "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 0}},
         "InvalidArgument"),
        ({**EXPIRE_RULE, "Expiration": {"Days": -3}}, "InvalidArgument"),
        ({**EXPIRE_RULE, "Expiration": {"Date": "2030-01-01T10:00:00Z"}}, "InvalidArgument"),
        ({**EXPIRE_RULE, "ID": "x" * 256}, "InvalidArgument"),
        ({"ID": "no-action", "Filter": {}, "Status": "Enabled"}, "InvalidArgument"),
        ({**ABORT_RULE, "Filter": {"ObjectSizeGreaterThan": 5}}, "InvalidArgument"),
        ({**ABORT_RULE, "Status": "Sometimes"}, "MalformedXML"),
    ],
)  # fmt: skip
def test_put_bucket_lifecycle_configuration_invalid(
    s3: Any, bucket: str, rule: dict[str, Any], code: str
) -> None:
    _put(s3, bucket, ABORT_RULE)
    with s3_error(code, 400):
        _put(s3, bucket, rule)
    # The configuration in place is untouched.
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] == [ABORT_RULE]


def test_put_bucket_lifecycle_configuration_duplicate_ids(s3: Any, bucket: str) -> None:
    with s3_error("InvalidArgument", 400):
        _put(s3, bucket, ABORT_RULE, {**EXPIRE_RULE, "ID": ABORT_RULE["ID"]})


def test_put_bucket_lifecycle_configuration_no_such_bucket(s3: Any) -> None:
    with s3_error("NoSuchBucket", 404):
        _put(s3, "compat-no-such-bucket", ABORT_RULE)


def test_get_bucket_lifecycle_configuration_none(s3: Any, bucket: str) -> None:
    with s3_error("NoSuchLifecycleConfiguration", 404):
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)


def test_delete_bucket_lifecycle(s3: Any, bucket: str) -> None:
    _put(s3, bucket, ABORT_RULE)
    s3.delete_bucket_lifecycle(Bucket=bucket)
    with s3_error("NoSuchLifecycleConfiguration", 404):
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    s3.delete_bucket_lifecycle(Bucket=bucket)  # deleting none succeeds, as on AWS


def test_delete_bucket_drops_its_lifecycle(s3: Any, bucket: str) -> None:
    _put(s3, bucket, ABORT_RULE)
    s3.delete_bucket(Bucket=bucket)
    s3.create_bucket(Bucket=bucket)
    with s3_error("NoSuchLifecycleConfiguration", 404):
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)


def test_create_multipart_upload_abort_date_and_rule(s3: Any, bucket: str) -> None:
    sooner = {
        **ABORT_RULE,
        "ID": "sooner",
        "Filter": {"Prefix": "tmp/a"},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2},
    }
    _put(s3, bucket, ABORT_RULE, sooner)
    created = s3.create_multipart_upload(Bucket=bucket, Key="tmp/abc")
    assert created["AbortRuleId"] == "sooner"
    abort_date = created["AbortDate"]
    (listed_upload,) = s3.list_multipart_uploads(Bucket=bucket, Prefix="tmp/abc")["Uploads"]
    # Two days after initiation, rounded up to the next midnight UTC.
    day = 86_400
    expected = (int(listed_upload["Initiated"].timestamp() + 2 * day) // day + 1) * day
    assert abort_date.timestamp() == expected
    listed = s3.list_parts(Bucket=bucket, Key="tmp/abc", UploadId=created["UploadId"])
    assert (listed["AbortRuleId"], listed["AbortDate"]) == ("sooner", abort_date)
    other = s3.create_multipart_upload(Bucket=bucket, Key="keep/abc")
    assert "AbortRuleId" not in other
    assert "AbortDate" not in other


def test_create_multipart_upload_disabled_rule_gives_no_abort_date(s3: Any, bucket: str) -> None:
    _put(s3, bucket, {**ABORT_RULE, "Status": "Disabled"})
    created = s3.create_multipart_upload(Bucket=bucket, Key="tmp/abc")
    assert "AbortRuleId" not in created


def test_objects_report_their_expiration(s3: Any, bucket: str) -> None:
    # x-amz-expiration on PutObject, HeadObject, GetObject and CompleteMultipartUpload.
    _put(s3, bucket, {"ID": "week", "Filter": {"Prefix": "logs/"}, "Status": "Enabled",
                      "Expiration": {"Days": 7}})  # fmt: skip
    put = s3.put_object(Bucket=bucket, Key="logs/a", Body=b"x")
    head = s3.head_object(Bucket=bucket, Key="logs/a")
    day = 86_400
    expected = (int(head["LastModified"].timestamp() + 7 * day) // day + 1) * day
    expected_text = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(expected))
    header = f'expiry-date="{expected_text}", rule-id="week"'
    assert put["Expiration"] == head["Expiration"] == header
    assert s3.get_object(Bucket=bucket, Key="logs/a")["Expiration"] == header
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="logs/b")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="logs/b", UploadId=upload_id, PartNumber=1,
                          Body=b"part")["ETag"]  # fmt: skip
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="logs/b", UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
    )  # fmt: skip
    assert 'rule-id="week"' in done["Expiration"]
    other = s3.put_object(Bucket=bucket, Key="data/a", Body=b"x")
    assert "Expiration" not in other
    assert "Expiration" not in s3.head_object(Bucket=bucket, Key="data/a")
