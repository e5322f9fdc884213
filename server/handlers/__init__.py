"""The S3 operations, by AWS operation name: parse, call the store, render; raise on error."""

from server.context import Handler
from server.handlers import bucket, copy, cors, lifecycle, multipart, objects, tagging

HANDLERS: dict[str, Handler] = {
    "ListBuckets": bucket.list_buckets,
    "CreateBucket": bucket.create_bucket,
    "HeadBucket": bucket.head_bucket,
    "DeleteBucket": bucket.delete_bucket,
    "ListObjectsV2": bucket.list_objects_v2,
    "ListObjects": bucket.list_objects,
    "GetBucketLocation": bucket.get_bucket_location,
    "DeleteObjects": objects.delete_objects,
    "PutBucketLifecycleConfiguration": lifecycle.put_bucket_lifecycle_configuration,
    "GetBucketLifecycleConfiguration": lifecycle.get_bucket_lifecycle_configuration,
    "DeleteBucketLifecycle": lifecycle.delete_bucket_lifecycle,
    "PutBucketCors": cors.put_bucket_cors,
    "GetBucketCors": cors.get_bucket_cors,
    "DeleteBucketCors": cors.delete_bucket_cors,
    "PutObject": objects.put_object,
    "GetObject": objects.get_object,
    "HeadObject": objects.head_object,
    "GetObjectAttributes": objects.get_object_attributes,
    "DeleteObject": objects.delete_object,
    "CopyObject": copy.copy_object,
    "UploadPartCopy": copy.upload_part_copy,
    "GetObjectTagging": tagging.get_object_tagging,
    "PutObjectTagging": tagging.put_object_tagging,
    "DeleteObjectTagging": tagging.delete_object_tagging,
    "CreateMultipartUpload": multipart.create_multipart_upload,
    "UploadPart": multipart.upload_part,
    "ListParts": multipart.list_parts,
    "ListMultipartUploads": multipart.list_multipart_uploads,
    "CompleteMultipartUpload": multipart.complete_multipart_upload,
    "AbortMultipartUpload": multipart.abort_multipart_upload,
}
