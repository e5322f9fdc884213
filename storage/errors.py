"""The S3 error catalogue: every error code s3mpu answers, its HTTP status and message, once.

S3 error codes are part of S3's semantics, which is why the catalogue lives in ``storage``: the
store raises ``S3Error("NoSuchUpload", upload_id=...)`` and the server renders it. The status is a
plain number here; no HTTP library is involved.
https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorSpec:
    status: int
    message: str


CATALOGUE: dict[str, ErrorSpec] = {
    "AccessDenied": ErrorSpec(403, "Access Denied"),
    # A CORS preflight that no rule of the bucket allows.
    "AccessForbidden": ErrorSpec(403, "CORSResponse: This CORS request is not allowed."),
    "AuthorizationHeaderMalformed": ErrorSpec(
        400, "The authorization header you provided is invalid."
    ),
    "AuthorizationQueryParametersError": ErrorSpec(
        400, "Error parsing the query-string authentication parameters."
    ),
    "BadDigest": ErrorSpec(
        400,
        "The Content-MD5 or checksum value that you specified did not match what the server "
        "received.",
    ),
    "BadRequest": ErrorSpec(400, "Bad Request"),
    "BucketAlreadyExists": ErrorSpec(
        409, "The requested bucket name is not available. Please select a different name."
    ),
    "BucketAlreadyOwnedByYou": ErrorSpec(
        409, "The bucket you tried to create already exists, and you own it."
    ),
    "BucketNotEmpty": ErrorSpec(409, "The bucket you tried to delete is not empty."),
    "ConditionalRequestConflict": ErrorSpec(
        409, "A conflicting operation occurred. If using PutObject you can retry the request."
    ),
    "EntityTooLarge": ErrorSpec(400, "Your proposed upload exceeds the maximum allowed size."),
    "EntityTooSmall": ErrorSpec(
        400, "Your proposed upload is smaller than the minimum allowed object size."
    ),
    "IncompleteBody": ErrorSpec(
        400, "You did not provide the number of bytes specified by the Content-Length HTTP header."
    ),
    "InternalError": ErrorSpec(500, "We encountered an internal error. Please try again."),
    "InvalidAccessKeyId": ErrorSpec(
        403, "The AWS access key ID you provided does not exist in our records."
    ),
    "InvalidArgument": ErrorSpec(400, "Invalid Argument"),
    "InvalidBucketName": ErrorSpec(400, "The specified bucket is not valid."),
    "InvalidChunkSizeError": ErrorSpec(
        403, "Only the last chunk is allowed to have a size less than 8192 bytes"
    ),
    "InvalidDigest": ErrorSpec(400, "The Content-MD5 you specified is not valid."),
    "InvalidPart": ErrorSpec(
        400,
        "One or more of the specified parts could not be found. The part may not have been "
        "uploaded, or the specified entity tag may not match the part's entity tag.",
    ),
    "InvalidPartOrder": ErrorSpec(
        400, "The list of parts was not in ascending order. Parts must be ordered by part number."
    ),
    "InvalidPartNumber": ErrorSpec(416, "The requested partnumber is not satisfiable"),
    "InvalidRange": ErrorSpec(416, "The requested range is not satisfiable"),
    "InvalidRequest": ErrorSpec(400, "Invalid Request"),
    "InvalidTag": ErrorSpec(400, "Your request contains tag input that is not valid."),
    "InvalidURI": ErrorSpec(400, "Couldn't parse the specified URI."),
    "KeyTooLongError": ErrorSpec(400, "Your key is too long."),
    "MalformedTrailerError": ErrorSpec(
        400, "The request contained trailing data that was not well-formed."
    ),
    "MalformedXML": ErrorSpec(
        400,
        "The XML you provided was not well-formed or did not validate against our published "
        "schema.",
    ),
    "MetadataTooLarge": ErrorSpec(
        400, "Your metadata headers exceed the maximum allowed metadata size."
    ),
    "MethodNotAllowed": ErrorSpec(
        405, "The specified method is not allowed against this resource."
    ),
    "MissingContentLength": ErrorSpec(411, "You must provide the Content-Length HTTP header."),
    "MissingSecurityHeader": ErrorSpec(400, "Your request is missing a required header."),
    "NoSuchBucket": ErrorSpec(404, "The specified bucket does not exist."),
    "NoSuchKey": ErrorSpec(404, "The specified key does not exist."),
    "NoSuchCORSConfiguration": ErrorSpec(404, "The CORS configuration does not exist"),
    "NoSuchLifecycleConfiguration": ErrorSpec(404, "The lifecycle configuration does not exist."),
    "NoSuchVersion": ErrorSpec(404, "The specified version does not exist."),
    "NoSuchUpload": ErrorSpec(
        404,
        "The specified upload does not exist. The upload ID may be invalid, or the upload may "
        "have been aborted or completed.",
    ),
    "NotImplemented": ErrorSpec(
        501, "A header or query you provided implies functionality that is not implemented."
    ),
    "PreconditionFailed": ErrorSpec(
        412, "At least one of the preconditions you specified did not hold."
    ),
    "RequestTimeTooSkewed": ErrorSpec(
        403, "The difference between the request time and the server's time is too large."
    ),
    "RequestTimeout": ErrorSpec(
        400,
        "Your socket connection to the server was not read from or written to within the "
        "timeout period.",
    ),
    "SignatureDoesNotMatch": ErrorSpec(
        403,
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
    ),
    "UserKeyMustBeSpecified": ErrorSpec(
        400,
        "The bucket POST must contain the specified field name. If it is specified, check "
        "the order of the fields.",
    ),
    "XAmzContentSHA256Mismatch": ErrorSpec(
        400, "The provided 'x-amz-content-sha256' header does not match what was computed."
    ),
    # Not an AWS code: AWS never runs out of room. MinIO's name and status for a full disk, which
    # clients and tools already recognise; 507 is not retried by the AWS SDKs, so a client
    # learns at once rather than after a round of backoff. Nothing partial is stored.
    "XMinioStorageFull": ErrorSpec(
        507,
        "The server's storage is full. Delete objects or abort incomplete multipart uploads to "
        "make room.",
    ),
}


class S3Error(Exception):
    """An S3 error: a code from the catalogue, plus the fields AWS decorates it with.

    ``fields`` become extra elements of the XML error body, in order (for example NoSuchUpload
    carries UploadId; InvalidPart carries UploadId, PartNumber and ETag). ``message`` overrides the
    catalogue's generic message when a more specific one helps the client.
    """

    def __init__(self, code: str, message: str | None = None, **fields: str | int) -> None:
        if code not in CATALOGUE:
            raise KeyError(f"unknown S3 error code {code!r}")
        self.code = code
        self.spec = CATALOGUE[code]
        self.message = message or self.spec.message
        self.fields = fields
        super().__init__(f"{code}: {self.message}")

    @property
    def status(self) -> int:
        return self.spec.status
